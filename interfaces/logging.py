"""structlog: JSON in production, readable in development. Request and correlation ids are bound
per request/job through contextvars. Nothing here logs PHI: log ids and counts, never names,
MBIs, addresses or note text.

The standard library's loggers (uvicorn, alembic, dramatiq, psycopg) go through the same
processors and renderer (structlog's ProcessorFormatter on one root handler), so a production
log is JSON from the first line uvicorn writes to the last migration alembic runs.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written, not when logging was configured: a
    replaced stream (pytest's capture, a daemon's redirect) may be closed by then."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR = _CurrentStderr()
# httpx logs every URL it calls at INFO (a query string may carry what no log should).
NOISY = ("psycopg.pool", "uvicorn.access", "pgserver", "dramatiq", "httpx")


class _AriesHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler `configure_logging` installs (and replaces when called again, leaving
    any other handler, such as pytest's capture, alone)."""


def _renderer(json: bool) -> Any:
    if json:
        return structlog.processors.JSONRenderer()
    # Plain tracebacks: rich's default shows every frame's locals, which can hold PHI (and
    # takes minutes to render a large request body).
    return structlog.dev.ConsoleRenderer(
        colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
    )


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = _renderer(json)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer]
        if json
        else [*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(file=STDERR),
        cache_logger_on_first_use=False,
    )
    # Stdlib records: the logger's name and the message (args interpolated) become `logger`
    # and `event`, then the same processors as structlog's own lines.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([structlog.processors.format_exc_info] if json else []),
            renderer,
        ],
    )
    handler = _AriesHandler(STDERR)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _AriesHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level))
    # uvicorn's loggers print through their own handlers unless told to propagate only.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Library chatter that would otherwise print connection strings or SQL.
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))

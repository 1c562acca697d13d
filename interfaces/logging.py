"""structlog: JSON in production, readable in development. Request and correlation ids are bound
per request/job through contextvars. Nothing here logs PHI: log ids and counts, never names,
MBIs, addresses or note text."""

from __future__ import annotations

import logging
import sys

import structlog


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written, not when logging was configured: a
    replaced stream (pytest's capture, a daemon's redirect) may be closed by then."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR = _CurrentStderr()


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if json
        # Plain tracebacks: rich's default shows every frame's locals, which can hold PHI (and
        # takes minutes to render a large request body).
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer]
        if json
        else [*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(file=STDERR),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=getattr(logging, level), stream=STDERR, format="%(message)s")
    # Library chatter that would otherwise print connection strings or SQL.
    for noisy in ("psycopg.pool", "uvicorn.access", "pgserver", "dramatiq"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))

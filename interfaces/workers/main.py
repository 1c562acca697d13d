"""`aries worker`: the reactions that follow the event logs.

Today this runs the claims process manager (delivered orders -> claims). It wakes on the
Orders log's NOTIFY and polls once a second as a fallback; a lost connection is retried with
backoff, never fatal.
"""

from __future__ import annotations

import signal
import threading

import psycopg
import structlog
from eventsourcing.persistence import OperationalError

from interfaces.bootstrap import Aries

log = structlog.get_logger("aries.worker")


def run_workers(aries: Aries, stop: threading.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    backoff = 1.0
    log.info("worker started", reactions=["claims"])
    while not stop.is_set():
        try:
            with psycopg.connect(aries.settings.database_url, autocommit=True) as listener:
                listener.execute(f"LISTEN {aries.orders.events_table}")
                backoff = 1.0
                while not stop.is_set():
                    processed = aries.claims.catch_up_all()
                    if processed:
                        log.debug("order events processed", count=processed)
                    # Wake on the next order event, or after a second at the latest.
                    for _ in listener.notifies(timeout=1.0, stop_after=1):
                        break
        except (psycopg.OperationalError, OperationalError, OSError) as error:
            log.warning("database connection lost; retrying", error=type(error).__name__)
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)
    log.info("worker stopped")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop

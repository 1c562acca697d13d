"""Test-only pieces for the projection framework tests: a tiny aggregate, applications that write
into the real event tables, a composition root with just what the framework needs, and a test
projection whose table has no unique key (so an event applied twice shows up as a duplicate).

Also runnable (`python -m tests.integration.projection_support URL ...`) as the projector process
the SIGKILL test kills.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import event
from eventsourcing.utils import get_topic
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    Table,
    Text,
    Uuid,
    create_engine,
    select,
)

from application.eventstore import AriesApplication, postgres_env
from domain.base import AriesAggregate, pin_topics
from migrations import sqlalchemy_url
from projections import Projection, Rows, handles
from tests.unit.replay import event_classes


class Widget(AriesAggregate):
    """Test-only aggregate."""

    class Made(AriesAggregate.Created):
        label: str

    @event(Made)
    def __init__(self, label: str) -> None:
        self.label = label

    @event("Tweaked")
    def tweak(self, label: str) -> None:
        self.label = label


pin_topics(Widget, "test.projections.Widget")
for _cls in (Widget, *event_classes(Widget)):
    get_topic(_cls)


class Patients(AriesApplication):
    """Writes into patients_events, like the real PatientApplication."""


class Orders(AriesApplication):
    """Writes into orders_events."""


@dataclass
class FrameworkAries:
    """The part of `interfaces.bootstrap.Aries` the projection framework uses."""

    applications: dict[str, Application[Any]]
    read_engine: Engine

    def close(self) -> None:
        for app in self.applications.values():
            app.close()
        self.read_engine.dispose()


def build_aries(database_url: str) -> FrameworkAries:
    env = postgres_env(database_url, pool_size=2, max_overflow=4, connect_timeout=5)
    return FrameworkAries(
        applications={"patients": Patients(env=env), "orders": Orders(env=env)},
        read_engine=create_engine(sqlalchemy_url(database_url), pool_size=2, max_overflow=4),
    )


# --- A test projection ------------------------------------------------------------------------

test_metadata = MetaData(schema="read")

applied_log = Table(
    "test_applied_log",
    test_metadata,
    Column("upstream", Text, nullable=False, comment="Upstream."),
    Column("position", BigInteger, nullable=False, comment="Notification id."),
    Column("originator_id", Uuid, nullable=False, comment="Widget."),
    Column("originator_version", BigInteger, nullable=False, comment="Version."),
    Column("label", Text, nullable=False, comment="Label after the event."),
    comment="One row per applied Widget event; no unique key on purpose.",
)


class AppliedLog(Projection):
    name = "test_applied_log"
    upstreams = ("patients",)
    tables = (applied_log,)

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay

    @handles(Widget.Made, Widget.Tweaked)
    def applied(self, rows: Rows, event: Any) -> None:
        if self.delay:
            time.sleep(self.delay)
        rows[applied_log].add(
            {
                "upstream": rows.upstream,
                "position": rows.position,
                "originator_id": event.originator_id,
                "originator_version": event.originator_version,
                "label": event.label,
            }
        )


def applied_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(select(applied_log)))


def save_widgets(app: AriesApplication, widgets: int, tweaks: int, per_save: int = 50) -> int:
    """`widgets` new widgets with `tweaks` changes each, saved `per_save` aggregates at a time;
    answers the number of events."""
    pending = []
    events = 0
    for w in range(widgets):
        widget = Widget(label=f"w{w}")
        for t in range(tweaks):
            widget.tweak(label=f"w{w}.{t}")
        pending.append(widget)
        events += 1 + tweaks
        if len(pending) == per_save:
            app.save(*pending)
            pending = []
    if pending:
        app.save(*pending)
    return events


def main() -> None:
    from projections.runner import catch_up

    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    aries = build_aries(args.database_url)
    try:
        print(catch_up(aries, AppliedLog(delay=args.delay), batch_size=args.batch_size, timeout=60))
    finally:
        aries.close()


if __name__ == "__main__":
    main()

"""Projector metrics, in prometheus_client's default registry.

Labels are the projection and upstream names only (never ids or PHI). Only the live projectors
report; a rebuild's progress is reported by its own command.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LABELS = ("projection", "upstream")

position = Gauge(
    "aries_projection_position",
    "Last upstream notification id applied to the projection's tables.",
    LABELS,
)
lag_events = Gauge(
    "aries_projection_lag_events",
    "Upstream head minus the projection's position, as of its last batch or poll.",
    LABELS,
)
events_total = Counter(
    "aries_projection_events_total",
    "Upstream events applied (including events the projection has no handler for).",
    LABELS,
)
batch_duration_seconds = Histogram(
    "aries_projection_batch_duration_seconds",
    "Time to read, apply and commit one batch of events.",
    LABELS,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_batch(
    projection: str, upstream: str, *, events: int, seconds: float, position_: int, head: int
) -> None:
    events_total.labels(projection, upstream).inc(events)
    batch_duration_seconds.labels(projection, upstream).observe(seconds)
    observe_position(projection, upstream, position_=position_, head=head)


def observe_position(projection: str, upstream: str, *, position_: int, head: int) -> None:
    position.labels(projection, upstream).set(position_)
    lag_events.labels(projection, upstream).set(max(head - position_, 0))

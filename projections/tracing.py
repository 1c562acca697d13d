"""A span per projector batch, in the trace of the command whose events it applies.

Each stored event carries the W3C traceparent of the span it was created in (domain/base.py).
A batch's span is a child of its first traced event's and links to the others' (up to
`MOST_LINKS`), so following one command's trace leads to the batch that made its rows
visible. The traceparents are read from the stored JSON with a regular expression, without
decoding the events, and only while a tracer records (tracing off: nothing is read).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Notification
from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, TraceFlags

tracer = trace.get_tracer("aries.projections")
TRACEPARENT = re.compile(rb'"traceparent":"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})"')
MOST_LINKS = 32


def _traced(notifications: Sequence[Notification]) -> list[SpanContext]:
    found: dict[tuple[int, int], SpanContext] = {}
    for notification in notifications:
        match = TRACEPARENT.search(notification.state)
        if match is None:
            continue
        trace_id, span_id = int(match[1], 16), int(match[2], 16)
        found.setdefault((trace_id, span_id), SpanContext(
            trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(match[3], 16)),
        ))
    return list(found.values())


@contextmanager
def batch_span(
    projection: str, upstream: str, notifications: Sequence[Notification]
) -> Iterator[Any]:
    """The span of one batch (no-op unless tracing is configured)."""
    if not _recording():
        yield None
        return
    traced = _traced(notifications)
    parent = (trace.set_span_in_context(NonRecordingSpan(traced[0])) if traced else None)
    with tracer.start_as_current_span(
        f"project {projection}", context=parent,
        links=[Link(context) for context in traced[1:MOST_LINKS + 1]],
        attributes={"aries.projection": projection, "aries.upstream": upstream,
                    "aries.events": len(notifications),
                    "aries.first_position": notifications[0].id,
                    "aries.last_position": notifications[-1].id},
    ) as span:
        yield span


def _recording() -> bool:
    """Whether a tracer provider is installed (the API's default, a proxy, records none)."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)

"""Who is acting, for whom, and why: stamped onto every event without being passed by hand.

Entry points (an HTTP dependency, a Dramatiq middleware, a CLI command) bind the context;
every event created while it is bound carries it (see `AriesAggregate.Event`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

SYSTEM_TENANT = "system"


@dataclass(frozen=True)
class EventContext:
    tenant_id: str = SYSTEM_TENANT
    actor_id: str | None = None
    actor_role: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


# EventContext is frozen, so one shared default instance is safe.
_current: ContextVar[EventContext] = ContextVar(
    "aries_event_context", default=EventContext()  # noqa: B039
)


def current_context() -> EventContext:
    return _current.get()


def bind_context(**changes: str | None) -> EventContext:
    """Bind the current context with `changes` for the rest of the caller's own context (an
    asyncio task, a thread's run): for an entry point that cannot wrap its work in
    `bound_context`, such as a FastAPI dependency whose endpoint runs after it returns."""
    new = replace(_current.get(), **changes)
    _current.set(new)
    return new


@contextmanager
def bound_context(
    context: EventContext | None = None, **changes: str | None
) -> Iterator[EventContext]:
    """Bind `context` (or the current one with `changes`) for the duration of the block."""
    new = replace(context or _current.get(), **changes)
    token = _current.set(new)
    try:
        yield new
    finally:
        _current.reset(token)


# Where the current trace context comes from: the interfaces install OpenTelemetry's
# (interfaces/telemetry.py); the domain knows only that it is a W3C `traceparent` string.
_trace_source: Callable[[], str | None] = lambda: None  # noqa: E731


def set_trace_source(source: Callable[[], str | None]) -> None:
    """Install what `current_traceparent` asks (once per process, by the interfaces)."""
    global _trace_source
    _trace_source = source


def current_traceparent() -> str | None:
    """The W3C traceparent of the span the caller runs in, or None (tracing off)."""
    return _trace_source()

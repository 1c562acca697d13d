"""OpenTelemetry traces: one trace from the HTTP request through the command and its stored
events, the projector batches that apply them and the Dramatiq jobs they cause (decision 020).

- HTTP: the gateway (interfaces/http/middleware.py), outermost, one SERVER span per request
  named by method and route template (never the raw path: it can hold ids); a client's W3C
  `traceparent` header is its parent.
- Commands: `AriesApplication.commit` spans the save (application/eventstore.py).
- Events: every event carries the `traceparent` of the span it was created in
  (domain/base.py), through the domain's trace source that `install_trace_source` sets.
- Projectors: a span per batch, a child of its first event's traceparent and linked to the
  others' (projections/tracing.py).
- Dramatiq: a message carries the traceparent in its options (`message_options`); the
  `DramatiqTracing` middleware runs the actor in a CONSUMER span under it, so the events the
  job records continue the same trace.

Off by default: without `ARIES_OTLP_ENDPOINT` no SDK is installed and every call goes to
OpenTelemetry's no-op API (an event's traceparent is then None). Span attributes are names,
codes and statuses; never ids of patients or PHI.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import structlog
from dramatiq import Middleware
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from domain.context import set_trace_source
from interfaces.settings import Settings

log = structlog.get_logger("aries.telemetry")
tracer = trace.get_tracer("aries")
PROPAGATOR = TraceContextTextMapPropagator()
TRACEPARENT = "traceparent"
_configured = threading.Lock()
_provider_set = False


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span; None when there is none (tracing off)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def context_of(traceparent: str | None) -> otel_context.Context | None:
    """The context a stored or sent traceparent names (None: none)."""
    if not traceparent:
        return None
    return PROPAGATOR.extract({TRACEPARENT: traceparent})


def install_trace_source() -> None:
    """Let the domain stamp events with the current traceparent."""
    set_trace_source(current_traceparent)


def configure_tracing(settings: Settings, service: str) -> bool:
    """Export traces by OTLP/HTTP when `ARIES_OTLP_ENDPOINT` is set (once per process);
    answer whether traces are exported."""
    global _provider_set
    install_trace_source()
    if settings.otlp_endpoint is None:
        return False
    with _configured:
        if _provider_set:
            return True
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME") or service
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        trace.set_tracer_provider(provider)
        _provider_set = True
    log.info("traces exported", service=service, endpoint=settings.otlp_endpoint)
    return True


# --- Dramatiq --------------------------------------------------------------------------------


def message_options(traceparent: str | None = None) -> dict[str, str]:
    """Options that carry a trace to the worker: the given traceparent (an event's), else the
    current span's; none when tracing is off."""
    carried = traceparent or current_traceparent()
    return {TRACEPARENT: carried} if carried else {}


class DramatiqTracing(Middleware):
    """Runs each message's actor in a CONSUMER span, a child of the traceparent the message
    carries. Dramatiq calls before/after in the worker thread that runs the actor."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[Any, object]] = {}
        self.lock = threading.Lock()

    def before_process_message(self, broker: Any, message: Any) -> None:
        parent = context_of(message.options.get(TRACEPARENT))
        span = tracer.start_span(
            f"job {message.actor_name}", context=parent, kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "dramatiq",
                        "messaging.destination.name": message.queue_name,
                        "messaging.operation.type": "process"},
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        with self.lock:
            self.open[message.message_id] = (span, token)

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        with self.lock:
            opened = self.open.pop(message.message_id, None)
        if opened is None:
            return
        span, token = opened
        if exception is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        otel_context.detach(token)
        span.end()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self.after_process_message(broker, message)

"""One command's trace (issue 20): the HTTP request, the command's save, the projector batches
that apply its events and the worker job it causes share one trace id, recorded here with
OpenTelemetry's in-memory span exporter on the e2e session's real API, projector and worker."""

from __future__ import annotations

import threading

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.conftest import eventually
from tests.e2e.conftest import headers_for
from tests.e2e.test_jobs_api import _patient_with_a_note

pytestmark = pytest.mark.e2e


class _WhileRecording(SimpleSpanProcessor):
    """Exports only while a test records: the provider is global for the rest of the session."""

    def __init__(self, exporter: SpanExporter) -> None:
        super().__init__(exporter)
        self.recording = threading.Event()

    def on_end(self, span: ReadableSpan) -> None:
        if self.recording.is_set():
            super().on_end(span)


_exporter = InMemorySpanExporter()
_processor = _WhileRecording(_exporter)


@pytest.fixture
def spans():
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(_processor)
        trace.set_tracer_provider(provider)
    _exporter.clear()
    _processor.recording.set()
    try:
        yield _exporter
    finally:
        _processor.recording.clear()
        _exporter.clear()


def test_a_command_is_one_trace_from_http_through_the_projector_to_the_worker(
    api, tenant, spans
):
    clinician = headers_for(api, "clinician", tenant)
    patient_id = _patient_with_a_note(api, tenant)

    accepted = api.post(f"/v1/patients/{patient_id}/summaries", headers=clinician)
    assert accepted.status_code == 202, accepted.text
    (request,) = [s for s in spans.get_finished_spans()
                  if s.name == "POST /v1/patients/{patient_id}/summaries"]
    trace_id = request.context.trace_id

    def in_trace() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]

    def edges(found: list[ReadableSpan]) -> set[tuple[str, str]]:
        names = {span.context.span_id: span.name for span in found}
        # Events carry the span they were created in: a projector batch's parent may be the
        # endpoint's or the job's span, which is what an edge names.
        return {(names.get(span.parent.span_id, "?"), span.name)
                for span in found if span.parent is not None}

    route = "POST /v1/patients/{patient_id}/summaries"
    wanted = {
        (route, "command Patients"),  # the command's save
        (route, "project patients"),  # the projector batch applying SummaryRequested
        (route, "job generate_summary"),  # the worker, through the reaction's message
        ("job generate_summary", "command Patients"),  # the job's own command...
        ("job generate_summary", "project patients"),  # ...and its projection
    }
    found = eventually(
        in_trace, lambda found: wanted <= edges(found),
        what="the projector's and the worker's spans in the request's trace", timeout=60,
    )
    assert request.kind is SpanKind.SERVER
    assert request.attributes["http.route"] == "/v1/patients/{patient_id}/summaries"
    assert str(patient_id) not in request.name  # the route template, never the raw path
    assert "url.path" not in request.attributes
    assert not any(span.name.startswith("fastapi") for span in found)  # url.path: PHI
    (job,) = [span for span in found if span.name == "job generate_summary"]
    assert job.kind is SpanKind.CONSUMER


def test_a_command_stores_its_trace_in_the_events_metadata(api, tenant, spans):
    intake = headers_for(api, "intake", tenant)
    aries = api.app.state.aries
    patient_id = _patient_with_a_note(api, tenant)

    response = api.post(f"/v1/patients/{patient_id}/deactivate", json={"reason": "moved"},
                        headers=intake)

    (request,) = [s for s in spans.get_finished_spans()
                  if s.name == "POST /v1/patients/{patient_id}/deactivate"]
    events = aries.patients.recorder.select_events(patient_id, desc=True, limit=1)
    assert response.status_code < 300, response.text
    stored = aries.patients.mapper.to_domain_event(events[0])
    assert stored.traceparent.startswith(
        f"00-{request.context.trace_id:032x}-{request.context.span_id:016x}-"
    )
    assert stored.correlation_id == response.headers["x-request-id"]

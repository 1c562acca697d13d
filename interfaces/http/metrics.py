"""Prometheus metrics (default registry, text format at GET /metrics).

Requests are labelled by method, route template (`/v1/orders/{order_id}`, never the raw path,
which could hold ids without bound) and status. "unmatched" is an answer given before any route
was chosen: a 404, or a 413/429 from the middleware in front of the router. Metrics carry no PHI.
With several uvicorn workers (`aries serve --workers N`) every worker writes its samples to
files in PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, which `serve` turns
on) and /metrics answers the sum over all of them, whichever worker takes the scrape.

The gateway (interfaces/http/middleware.py) writes the one log line per request (`aries.http`
"request"): method, route template, status, duration and request id; never the raw path, the
query or a body.
"""

from __future__ import annotations

import hmac
import os

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from interfaces.http.problems import ProblemError

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ("method", "route", "status")
)
DURATION = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request",
    ("method", "route", "status"),
)

# Each (method, route template, status)'s two series: `labels()` takes a lock and builds the
# key on every call. Bounded: templates and statuses are finite, methods are METHODS or OTHER.
_LABELLED: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

log = structlog.get_logger("aries.http")
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format; with ARIES_METRICS_TOKEN set, only for that bearer token (route
    names and request rates tell an outsider what the API does and how busy it is)."""
    token = request.app.state.aries.settings.metrics_token
    if token is not None:
        scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
            raise ProblemError(
                401, "Unauthorized", "/metrics needs the metrics bearer token",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)


def registry() -> CollectorRegistry:
    """This process's metrics; in multiprocess mode, every worker's, read from their files."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined


def observe(
    method: str, route: str | None, status: int, duration: float, request_id: str | None
) -> None:
    """Count one answered request and write its log line (called by the gateway,
    interfaces/http/middleware.py, once the answer is sent or the request failed)."""
    method = method if method in METHODS else "OTHER"
    template = route or "unmatched"
    labelled = _LABELLED.get((method, template, status))
    if labelled is None:
        labels = (method, template, str(status))
        labelled = _LABELLED[method, template, status] = (
            REQUESTS.labels(*labels), DURATION.labels(*labels)
        )
    labelled[0].inc()
    labelled[1].observe(duration)
    (log.warning if status >= 500 else log.info)(
        "request",
        method=method,
        route=template,
        status=status,
        duration_ms=round(duration * 1000, 1),
        request_id=request_id,
    )

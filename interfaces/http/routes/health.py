"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from interfaces.http.reads import one_hop
from interfaces.http.schemas.health import Health, Readiness
from interfaces.preflight import (
    Unreachable,
    check_database,
    check_redis,
    summary_provider_status,
)

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness: the process answers", response_model=Health)
@one_hop
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    summary="Readiness: PostgreSQL and Redis answer (the summary provider is reported only)",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "a dependency did not answer"}},
)
@one_hop
def ready(request: Request) -> JSONResponse:
    settings = request.app.state.aries.settings
    timeout = min(settings.connect_timeout_seconds, 2)
    checks: dict[str, str] = {}
    for name, check, url in (
        ("database", check_database, settings.database_url),
        ("redis", check_redis, settings.redis_url),
    ):
        try:
            check(url, timeout)
            checks[name] = "ok"
        except Unreachable:
            checks[name] = "unreachable"
    ok = all(value == "ok" for value in checks.values())
    # The API serves everything else without the provider: it is reported, never decisive.
    details = {
        "summary_provider": settings.summary_provider,
        "summary_provider_status": summary_provider_status(settings, timeout),
    }
    body = Readiness(status="ok" if ok else "unavailable", checks=checks, details=details)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

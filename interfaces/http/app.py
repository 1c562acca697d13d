"""The FastAPI application factory. Nothing is built at import time: the lifespan bootstraps
Aries from settings unless a test hands in an already built one (tests: use
`with TestClient(create_app(aries)) as client`, so the lifespan runs).

One pure-ASGI middleware, the gateway (interfaces/http/middleware.py), stands in front of the
routes: tracing, metrics, correlation, security headers, CORS, unexpected errors, body size,
control characters, the per-IP rate limit and Idempotency-Key. Authentication, the
per-principal rate limit and the permission check are dependencies
(`interfaces.http.permissions.Allowed`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from application.audit.access_log import AsyncAccessLog
from interfaces.bootstrap import Aries, bootstrap, require_urls
from interfaces.http.direct import match_first
from interfaces.http.job_queue import close_job_broker
from interfaces.http.metrics import router as metrics_router
from interfaces.http.middleware import install_gateway
from interfaces.http.openapi import install_openapi
from interfaces.http.problems import install_problem_handlers
from interfaces.http.ratelimit import RateLimiter
from interfaces.http.reads import AsyncReadModel
from interfaces.http.routes import (
    api_keys,
    audit,
    auth,
    billing,
    catalogue,
    claim_batches,
    claim_lifecycle,
    claims,
    fee_schedules,
    health,
    inquiries,
    inventory,
    jobs,
    locations,
    orders,
    patients,
    payers,
    remittances,
    reports,
    serials,
    summaries,
    users,
    x12,
)
from interfaces.http.security import Authenticator, TokenService
from interfaces.logging import configure_logging
from interfaces.settings import Settings

DESCRIPTION = """
Aries runs a home medical equipment supplier's order-to-cash: patients and their coverage,
equipment orders from intake to delivery, claims from submission to payment.

**Authentication**: people log in at `POST /v1/auth/token` (OAuth2 password flow) and send
`Authorization: Bearer <token>`; integrations send `X-API-Key`. Each role may call the
operations its permissions allow (403 otherwise).

**Commands** (POST/PATCH/DELETE) answer at once with `{id, version, position}` and
`ETag: "<version>"`; send it back as `If-Match` to refuse lost updates (412). Send an
`Idempotency-Key` with any POST to make retrying it safe (the replay carries
`Idempotent-Replayed: true`). **Queries** (GET) read read-model tables; pass `min_position`
(or `X-Min-Position`) to wait until they include your last command. Errors are RFC 9457
`application/problem+json`; 429 answers carry `Retry-After`.
"""

# The reads measured hottest (issue 18's figure 2), matched before the other routers.
HOT_ROUTERS = (patients,)


def create_app(aries: Aries | None = None, settings: Settings | None = None) -> FastAPI:
    settings = aries.settings if aries is not None else (settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = aries is None
        app.state.aries = running = aries if aries is not None else bootstrap(settings)
        timeout = running.settings.connect_timeout_seconds
        app.state.redis = Redis.from_url(
            running.settings.redis_url,
            socket_connect_timeout=timeout,
            socket_timeout=max(timeout, 5),
        )
        app.state.rate_limiter = RateLimiter(
            app.state.redis, running.settings.redis_key_prefix,
            lease=running.settings.rate_limit_lease,
        )
        app.state.authenticator = Authenticator(
            running.identity, app.state.tokens, running.settings.auth_cache_seconds
        )
        # Reads served on the event loop (the patient reads) and their PHI access entries.
        app.state.read_model = reads = AsyncReadModel(
            require_urls(running.settings)[0],
            size=running.settings.read_pool_size,
            timeout=running.settings.connect_timeout_seconds,
        )
        await reads.open()
        app.state.async_access_log = AsyncAccessLog(reads.pool, running.seal_key)
        if owned:
            # A served process (not a test's app): what start-up built (some 270k objects:
            # routes, schemas, the domain's classes, and the OpenAPI document the first
            # /openapi.json would build) lives as long as the process. Left to the collector,
            # every full collection walks it: 70-200 ms with the GIL held, which was figure
            # 1's p99 (200 ms at p50 42 ms). Frozen, collections walk only what came later;
            # garbage is still freed by reference counting as before.
            app.openapi()
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await reads.close()
            await app.state.redis.aclose()
            close_job_broker(app)
            if owned:
                running.close()

    configure_logging(settings.log_level, json=settings.json_logs)
    app = FastAPI(
        title="Aries",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry spans record the raw path and query (a patient search,
        # a date of birth) and exception messages: PHI. interfaces/telemetry.py traces HTTP.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.tokens = TokenService.from_settings(settings)
    install_problem_handlers(app)
    install_gateway(app, settings)

    app.include_router(health.router)
    app.include_router(metrics_router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(api_keys.router)
    app.include_router(billing.router)
    areas = (
        patients,
        summaries,
        orders,
        claim_batches,
        claims,
        claim_lifecycle,
        inquiries,
        x12,
        remittances,
        jobs,
        reports,
        audit,
        catalogue,
        inventory,
        serials,
        fee_schedules,
        locations,
        payers,
    )
    for area in areas:
        app.include_router(area.router)
    documented = list(app.routes)
    for hot in HOT_ROUTERS:
        match_first(app, hot.router)
    install_openapi(app, documented)
    return app

"""The composition root: builds the applications, the read-model engine and the Redis client
from settings, with production defaults that tests override by passing other settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import Engine, create_engine

from application.audit.access_log import AccessLog
from application.audit.ports import RecordedTimes
from application.catalogue import CatalogueApplication
from application.claims import ClaimApplication
from application.eventstore import AriesApplication, postgres_env
from application.fee_schedules import FeeSchedules
from application.identity import IdentityApplication, SessionPolicy
from application.orders import OrderApplication
from application.patients import PatientApplication
from application.ports import SystemClock
from application.setup import SetupApplication
from interfaces.preflight import check_database, check_redis
from interfaces.settings import Settings
from interfaces.telemetry import configure_tracing
from migrations import sqlalchemy_url
from projections.event_index_queries import IndexedTimes


class NotConfigured(RuntimeError):
    """A URL the process needs is not set."""


@dataclass
class Aries:
    settings: Settings
    patients: PatientApplication
    orders: OrderApplication
    claims: ClaimApplication
    identity: IdentityApplication
    setup: SetupApplication
    catalogue: CatalogueApplication
    fee_schedules: FeeSchedules
    read_engine: Engine
    recorded_times: RecordedTimes
    redis: redis.Redis
    access_log: AccessLog = field(init=False, repr=False)
    _closed: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        # One writer per process: concurrent requests' entries share a transaction.
        self.access_log = AccessLog(self.read_engine, self.seal_key)

    @property
    def applications(self) -> dict[str, AriesApplication]:
        """By the name of their events table's prefix (the upstream names projections track)."""
        return {
            "patients": self.patients,
            "orders": self.orders,
            "claims": self.claims,
            "identity": self.identity,
            "setup": self.setup,
            "catalogue": self.catalogue,
        }

    @property
    def seal_key(self) -> bytes:
        """The key this process seals events and access entries with (application/audit/seals)."""
        return self.settings.audit_signing_key.get_secret_value().encode()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for app in self.applications.values():
            app.close()
        self.read_engine.dispose()
        self.redis.close()


def require_urls(settings: Settings) -> tuple[str, str]:
    if not settings.database_url or not settings.redis_url:
        raise NotConfigured(
            "ARIES_DATABASE_URL and ARIES_REDIS_URL must be set "
            "(or run `aries dev`, which starts embedded servers)"
        )
    return settings.database_url, settings.redis_url


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        access_ttl=timedelta(minutes=settings.jwt_ttl_minutes),
        refresh_ttl=timedelta(hours=settings.refresh_ttl_hours),
        revocation_poll_seconds=settings.revocation_poll_seconds,
        mfa_key=settings.mfa_encryption_key.get_secret_value(),
    )


def bootstrap(settings: Settings | None = None) -> Aries:
    settings = settings or Settings()
    configure_tracing(settings, "aries")  # off unless ARIES_OTLP_ENDPOINT is set
    database_url, redis_url = require_urls(settings)
    timeout = settings.connect_timeout_seconds
    check_database(database_url, timeout)
    check_redis(redis_url, timeout)
    env = postgres_env(
        database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        connect_timeout=timeout,
        audit_signing_key=settings.audit_signing_key.get_secret_value(),
    )
    read_engine = create_engine(
        sqlalchemy_url(database_url),
        pool_size=settings.read_pool_size,
        max_overflow=settings.read_pool_size,
        # No ping before lending a connection (a round trip per read): a connection found
        # broken invalidates the pool's older ones, and reads retry once
        # (interfaces/http/reads.query); an idle one is replaced before servers drop it.
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=timeout,
        # A statement's bound values are patients' data: keep them out of error messages.
        hide_parameters=True,
        connect_args={"connect_timeout": timeout},
    )
    clock = SystemClock(ZoneInfo(settings.supplier_timezone))  # the supplier's "today"
    patients = PatientApplication(
        env=env, clock=clock, mbi_index_key=settings.mbi_index_key.get_secret_value()
    )
    orders = OrderApplication(env=env, clock=clock)
    orders.patients = patients
    setup = SetupApplication(env=env, clock=clock)
    orders.setup = setup
    catalogue = CatalogueApplication(env=env, clock=clock)
    orders.catalogue = catalogue
    patients.setup = setup
    claims = ClaimApplication(env=env)  # a projection's __init__ takes env only
    claims.clock = clock
    claims.orders = orders
    claims.patients = patients
    claims.fee_schedules = FeeSchedules(catalogue)
    claims.fee_schedules.setup = setup
    return Aries(
        settings=settings,
        patients=patients,
        orders=orders,
        claims=claims,
        identity=IdentityApplication(env=env, policy=session_policy(settings)),
        setup=setup,
        catalogue=catalogue,
        fee_schedules=claims.fee_schedules,
        read_engine=read_engine,
        recorded_times=IndexedTimes(read_engine),
        redis=redis.Redis.from_url(
            redis_url, socket_connect_timeout=timeout, socket_timeout=max(timeout, 5)
        ),
    )

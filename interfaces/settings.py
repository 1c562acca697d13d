"""All configuration: environment variables prefixed `ARIES_` (see the README's table)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from application.identity import DEV_MFA_KEY
from application.patients import DEV_MBI_INDEX_KEY

DEV_JWT_SECRET = "aries-development-secret-change-me-000000"  # noqa: S105 (refused outside dev)
DEV_AUDIT_SIGNING_KEY = "aries-development-audit-seal-key-change-me"  # noqa: S105 (refused too)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARIES_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="production refuses development secrets and logs JSON"
    )
    database_url: str | None = Field(
        None, description="PostgreSQL URL; unset: `aries dev` starts an embedded PostgreSQL"
    )
    redis_url: str | None = Field(
        None, description="Redis/Valkey URL; unset: `aries dev` starts an embedded Valkey"
    )
    broker_url: str | None = Field(
        None,
        pattern=r"^(amqps?|rediss?)://",
        description="Dramatiq broker: amqp://user:password@host:5672/vhost for RabbitMQ; "
        "unset: Redis at ARIES_REDIS_URL",
    )
    data_dir: Path = Field(Path(".aries"), description="embedded servers' data (git-ignored)")

    host: str = Field("127.0.0.1", description="address the API binds to")
    port: int = Field(8000, description="port the API binds to")

    db_pool_size: int = Field(8, ge=1, description="event-store connections per process")
    db_max_overflow: int = Field(8, ge=0, description="extra connections under burst")
    read_pool_size: int = Field(10, ge=1, description="read-model (SQLAlchemy) connections")
    connect_timeout_seconds: int = Field(
        3, ge=1, le=30, description="give up connecting to PostgreSQL/Redis after this long"
    )

    jwt_secret: SecretStr = Field(
        SecretStr(DEV_JWT_SECRET), description="HS256 signing key (or use the key pair below)"
    )
    jwt_private_key: SecretStr | None = Field(None, description="PEM RS256 private key")
    jwt_public_key: str | None = Field(None, description="PEM RS256 public key")
    jwt_ttl_minutes: int = Field(60, ge=1, description="access token lifetime")
    refresh_ttl_hours: int = Field(
        12, ge=1, le=24 * 30,
        description="refresh token lifetime (each use rotates it; a session ends this long "
        "after its last refresh)",
    )
    revocation_poll_seconds: float = Field(
        1.0, gt=0, le=5,
        description="longest a process accepts requests with a revocation list this old "
        "(how fast a logout or deactivation reaches every process)",
    )
    mfa_encryption_key: SecretStr = Field(
        SecretStr(DEV_MFA_KEY), description="encrypts TOTP secrets in the event store"
    )

    mbi_index_key: SecretStr = Field(
        SecretStr(DEV_MBI_INDEX_KEY),
        description=(
            "keys the MBI uniqueness index ids (HMAC); never change it once patients exist"
        ),
    )
    summary_provider: Literal["local", "ollama", "openai", "anthropic"] = Field(
        "local", description="who writes clinical-note summaries"
    )
    summary_model: str | None = Field(None, description="model name for external providers")
    summary_timeout_seconds: float = Field(30.0, gt=0, description="per provider call")
    ollama_url: str = Field("http://127.0.0.1:11434", description="Ollama base URL")
    openai_api_key: SecretStr | None = Field(None, description="OpenAI API key")
    anthropic_api_key: SecretStr | None = Field(None, description="Anthropic API key")
    openai_base_url: str = Field(
        "https://api.openai.com/v1", description="OpenAI (or OpenAI-compatible) API base URL"
    )
    anthropic_base_url: str = Field("https://api.anthropic.com", description="Anthropic base URL")
    summary_retries: int = Field(
        2, ge=0, le=5, description="extra attempts after a provider timeout, 429 or 5xx"
    )

    clearinghouse: Literal["sandbox", "http"] = Field(
        "sandbox", description="where 837P batches go"
    )
    clearinghouse_url: str | None = Field(
        None, description="HTTP clearinghouse endpoint (POST an 837P; `GET <url>/<ISA13>` "
        "asks what became of one)"
    )
    # X12 837P: the clearinghouse we send to and the submitter we are (demo defaults). The
    # supplier_* billing provider fields seed the demo company and its first location, and
    # bill the claims of a tenant that has set up no location (decision 017); a tenant's
    # locations (POST /v1/locations) are its billing providers and calendars.
    clearinghouse_timeout_seconds: float = Field(
        30.0, gt=0, le=300, description="per 837P transmission to the HTTP clearinghouse"
    )
    clearinghouse_id: str = Field(
        "ARIESSANDBOX", min_length=2, max_length=15, description="receiver id (ISA08, GS03)"
    )
    clearinghouse_name: str = Field("Aries Sandbox Clearinghouse", description="receiver name")
    sandbox_syntax_check: bool = Field(
        True,
        description="the sandbox checks each 837P against the implementation guide with pyx12 "
        "(~3 ms of CPU a claim, in processes of the sandbox's own); false: its own interchange "
        "checks and the front-end edits only",
    )
    sandbox_check_processes: int = Field(
        2, ge=1, le=16,
        description="processes the sandbox's front end (its pyx12 check, edits and answers) "
        "runs in, apart from the sending worker's (the clearinghouse's work, not Aries')",
    )
    x12_usage: Literal["T", "P"] = Field("T", description="ISA15: T test data, P production")
    supplier_name: str = Field("Aries Demo Medical Supply", description="billing provider name")
    supplier_npi: str = Field(
        "1588667398", pattern=r"^[0-9]{10}$", description="billing provider NPI (Luhn checked)"
    )
    supplier_tax_id: str = Field(
        "990000001", pattern=r"^[0-9]{9}$", description="billing provider EIN, nine digits"
    )
    supplier_submitter_id: str = Field(
        "ARIESDME", min_length=2, max_length=15, description="submitter id (ISA06, GS02)"
    )
    supplier_address: str = Field("100 Main St", description="billing provider street")
    supplier_city: str = Field("Springfield", description="billing provider city")
    supplier_state: str = Field("IL", pattern=r"^[A-Z]{2}$", description="billing provider state")
    supplier_postal_code: str = Field(
        "627011234", pattern=r"^[0-9]{9}$", description="billing provider ZIP+4, nine digits"
    )
    supplier_timezone: str = Field(
        "America/Chicago",
        description="IANA time zone whose calendar date is today where no location decides "
        "(a tenant without locations, the whole-tenant billing run's default); seeds the demo "
        "company; default: the demo supplier's, Springfield IL",
    )
    supplier_contact: str = Field("Billing Office", description="submitter contact name")
    supplier_phone: str = Field(
        "2175550100", pattern=r"^[0-9]{10}$", description="submitter contact phone, ten digits"
    )

    metrics_token: SecretStr | None = Field(
        None,
        description="bearer token GET /metrics requires (Prometheus: `authorization: "
        "{credentials: ...}`); unset: /metrics is open, so keep it off the public network",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO")

    @field_validator("supplier_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. America/Chicago)") from None
        return value
    log_json: bool | None = Field(None, description="JSON logs (default: on in production)")

    read_wait_seconds: float = Field(
        2.0, ge=0, le=30, description="longest a query waits for min_position"
    )
    rate_limit_per_minute: int = Field(600, ge=1, description="requests per user per minute")
    rate_limit_ip_per_minute: int = Field(1200, ge=1, description="requests per IP per minute")
    rate_limit_lease: int = Field(
        50, ge=1, le=1000,
        description="most requests of a window a process takes from Redis at once (at most a "
        "twentieth of the limit); a key may be refused up to this many early per process, "
        "never admitted past its limit",
    )
    cors_origins: list[str] = Field(default_factory=list, description="allowed CORS origins")
    max_request_bytes: int = Field(5_000_000, ge=1024, description="largest request body")
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, le=120,
        description="a connection whose request headers take longer is closed (slowloris)",
    )
    http_keep_alive_seconds: int = Field(
        5, ge=1, le=300, description="an idle keep-alive connection is closed after this"
    )
    idempotency_ttl_seconds: int = Field(
        86_400, ge=60, description="how long a POST's answer is kept for Idempotency-Key replays"
    )
    auth_cache_seconds: float = Field(
        30.0, ge=0, le=300,
        description="how long a process trusts a looked-up user/API key (a revocation ends "
        "it sooner)",
    )
    redis_key_prefix: str = Field("aries:", description="prefix of every Redis key the API writes")

    # --- workers (interfaces/workers) -------------------------------------------------------
    worker_threads: int = Field(4, ge=1, le=64, description="Dramatiq worker threads per process")
    worker_max_retries: int = Field(
        8, ge=0, description="retries of a transient failure before the job is dead-lettered"
    )
    worker_min_backoff_seconds: float = Field(
        15.0, gt=0, description="first retry delay; doubles per retry"
    )
    worker_max_backoff_seconds: float = Field(3600.0, gt=0, description="longest retry delay")
    worker_heartbeat_timeout_seconds: float = Field(
        60.0, ge=1,
        description="a worker silent this long is dead: its unfinished messages are requeued",
    )
    worker_shutdown_seconds: float = Field(
        30.0, ge=0, description="on SIGTERM, how long running jobs may take to finish"
    )
    worker_metrics_port: int | None = Field(
        None, ge=1, le=65535, description="port of the worker process's /metrics (unset: none)"
    )
    projector_metrics_port: int | None = Field(
        None, ge=1, le=65535,
        description="port of the projector process's /metrics (unset: none; `aries project "
        "--metrics-port` overrides it)",
    )
    submission_batch_seconds: int = Field(
        60, ge=1, le=3600,
        description="claims whose submission is requested in the same window share one 837P",
    )
    submission_window_grace_seconds: float = Field(
        2.0, ge=0, le=60,
        description="a closed submission window waits this long for requests still committing",
    )
    submission_batch_max_claims: int = Field(
        100, ge=1, le=5000,
        description="claims per 837P message; a window this full goes without waiting to close",
    )

    # --- reports and telemetry (interfaces/reports, interfaces/telemetry.py) -----------------
    report_retention_hours: int = Field(
        24, ge=1, le=24 * 90,
        description="a generated report file is kept this long after it was made, then deleted "
        "(the worker deletes expired files; a download after that is 410 Gone)",
    )
    otlp_endpoint: str | None = Field(
        None,
        description="OpenTelemetry traces go to this OTLP/HTTP collector (e.g. "
        "http://otel-collector:4318); unset: no traces are recorded or exported",
    )

    # --- audit (application/audit) ----------------------------------------------------------
    audit_hmac_key: SecretStr | None = Field(
        None,
        description=(
            "key that signs audit checkpoints (`aries audit checkpoint`); keep it out of the "
            "database: whoever could rewrite the chains must not hold it"
        ),
    )

    audit_signing_key: SecretStr = Field(
        SecretStr(DEV_AUDIT_SIGNING_KEY),
        description=(
            "key the application seals every event and access entry with (HMAC-SHA256); keep "
            "it out of the database: a row inserted without it is reported by `aries audit "
            "verify`"
        ),
    )
    audit_checkpoint_minutes: float = Field(
        15.0, gt=0, le=24 * 60,
        description="the worker signs every chain's head (a checkpoint) this often",
    )
    audit_witness_dir: Path | None = Field(
        None,
        description="directory the worker appends every checkpoint to (one JSON line each); "
        "put it where the database's administrators cannot write",
    )

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Settings:
        if self.environment == "production":
            if self.jwt_private_key is None and (
                self.jwt_secret.get_secret_value() == DEV_JWT_SECRET
                or len(self.jwt_secret.get_secret_value()) < 32
            ):
                raise ValueError("ARIES_JWT_SECRET must be set (32+ chars) in production")
            key = self.mfa_encryption_key.get_secret_value()
            if key == DEV_MFA_KEY or len(key) < 32:
                raise ValueError("ARIES_MFA_ENCRYPTION_KEY must be set (32+ chars) in production")
            seal = self.audit_signing_key.get_secret_value()
            if seal == DEV_AUDIT_SIGNING_KEY or len(seal) < 32:
                raise ValueError("ARIES_AUDIT_SIGNING_KEY must be set (32+ chars) in production")
            key = self.mbi_index_key.get_secret_value()
            if key == DEV_MBI_INDEX_KEY or len(key) < 32:
                raise ValueError("ARIES_MBI_INDEX_KEY must be set (32+ chars) in production")
            if not self.database_url or not self.redis_url:
                raise ValueError("production needs ARIES_DATABASE_URL and ARIES_REDIS_URL")
        return self

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment == "production"

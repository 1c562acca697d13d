"""All configuration: environment variables prefixed `ARIES_` (see the README's table)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "aries-development-secret-change-me-000000"  # noqa: S105 (refused outside dev)


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
    data_dir: Path = Field(Path(".aries"), description="embedded servers' data (git-ignored)")

    host: str = Field("127.0.0.1", description="address the API binds to")
    port: int = Field(8000, description="port the API binds to")

    db_pool_size: int = Field(8, ge=1, description="event-store connections per application")
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

    summary_provider: Literal["local", "ollama", "openai", "anthropic"] = Field(
        "local", description="who writes clinical-note summaries"
    )
    summary_model: str | None = Field(None, description="model name for external providers")
    summary_timeout_seconds: float = Field(30.0, gt=0, description="per provider call")
    ollama_url: str = Field("http://127.0.0.1:11434", description="Ollama base URL")
    openai_api_key: SecretStr | None = Field(None, description="OpenAI API key")
    anthropic_api_key: SecretStr | None = Field(None, description="Anthropic API key")

    clearinghouse: Literal["sandbox", "http"] = Field(
        "sandbox", description="where 837P batches go"
    )
    clearinghouse_url: str | None = Field(None, description="HTTP clearinghouse endpoint")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO")
    log_json: bool | None = Field(None, description="JSON logs (default: on in production)")

    read_wait_seconds: float = Field(
        2.0, ge=0, le=30, description="longest a query waits for min_position"
    )
    rate_limit_per_minute: int = Field(600, ge=1, description="requests per user per minute")
    rate_limit_ip_per_minute: int = Field(1200, ge=1, description="requests per IP per minute")
    cors_origins: list[str] = Field(default_factory=list, description="allowed CORS origins")
    max_request_bytes: int = Field(5_000_000, ge=1024, description="largest request body")
    idempotency_ttl_seconds: int = Field(
        86_400, ge=60, description="how long a POST's answer is kept for Idempotency-Key replays"
    )
    auth_cache_seconds: float = Field(
        30.0, ge=0, le=300,
        description="how long a process trusts a looked-up user/API key (revocation delay)",
    )
    redis_key_prefix: str = Field("aries:", description="prefix of every Redis key the API writes")

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Settings:
        if self.environment == "production":
            if self.jwt_private_key is None and (
                self.jwt_secret.get_secret_value() == DEV_JWT_SECRET
                or len(self.jwt_secret.get_secret_value()) < 32
            ):
                raise ValueError("ARIES_JWT_SECRET must be set (32+ chars) in production")
            if not self.database_url or not self.redis_url:
                raise ValueError("production needs ARIES_DATABASE_URL and ARIES_REDIS_URL")
        return self

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment == "production"

"""Fail within seconds, naming what could not be reached, instead of hanging in a pool retry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import psycopg
import redis
from psycopg.conninfo import conninfo_to_dict

if TYPE_CHECKING:
    from interfaces.settings import Settings


class Unreachable(RuntimeError):
    """A dependency the process needs did not answer."""


def describe_database(database_url: str) -> str:
    """host:port/dbname without credentials (safe to print)."""
    params = conninfo_to_dict(database_url)
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return f"PostgreSQL at {host}:{port}/{params.get('dbname') or 'postgres'}"


def describe_redis(redis_url: str) -> str:
    pool = redis.ConnectionPool.from_url(redis_url)
    kwargs = pool.connection_kwargs
    return f"Redis at {kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"


def check_database(database_url: str, timeout: int) -> None:
    try:
        with psycopg.connect(database_url, connect_timeout=timeout) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Unreachable(f"cannot reach {describe_database(database_url)}: {reason}") from None


def check_redis(redis_url: str, timeout: int) -> None:
    client = redis.Redis.from_url(
        redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        client.ping()
    except redis.RedisError as error:
        raise Unreachable(f"cannot reach {describe_redis(redis_url)}: {error}") from None
    finally:
        client.close()


def summary_provider_status(settings: Settings, timeout: float) -> str:
    """How the summary provider looks from here: `ok` (built in, or its server answers HTTP at
    all), `misconfigured` (a model or key missing) or `unreachable`. Nothing is sent but a GET
    of the base URL: no key, no note."""
    if settings.summary_provider == "local":
        return "ok"
    from interfaces.summarisers import summary_provider_from

    try:
        summary_provider_from(settings)
    except ValueError:
        return "misconfigured"
    base_url = {
        "ollama": settings.ollama_url,
        "openai": settings.openai_base_url,
        "anthropic": settings.anthropic_base_url,
    }[settings.summary_provider]
    try:
        httpx.get(base_url, timeout=timeout)
    except httpx.HTTPError:
        return "unreachable"
    return "ok"

"""Summary providers (adapters of `application.ports.SummaryProvider`), chosen by settings:
`local` (default: offline, extractive), `ollama`, `openai`, `anthropic` (over httpx)."""

from __future__ import annotations

from application.ports import SummaryProvider
from interfaces.settings import Settings
from interfaces.summarisers.anthropic import AnthropicSummariser
from interfaces.summarisers.http import (
    ProviderAnswerMalformed,
    ProviderRefused,
    ProviderUnavailable,
)
from interfaces.summarisers.local import LocalSummariser
from interfaces.summarisers.ollama import OllamaSummariser
from interfaces.summarisers.openai import OpenAISummariser

__all__ = [
    "LocalSummariser",
    "ProviderAnswerMalformed",
    "ProviderRefused",
    "ProviderUnavailable",
    "summary_provider_from",
]


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def summary_provider_from(settings: Settings) -> SummaryProvider:
    """The configured provider; ValueError when an external one lacks its model or key."""
    if settings.summary_provider == "local":
        return LocalSummariser()
    common = {
        "model": settings.summary_model or "",
        "timeout": settings.summary_timeout_seconds,
        "retries": settings.summary_retries,
    }
    if settings.summary_provider == "ollama":
        return OllamaSummariser(base_url=settings.ollama_url, **common)
    if settings.summary_provider == "openai":
        return OpenAISummariser(
            api_key=_secret(settings.openai_api_key), base_url=settings.openai_base_url, **common
        )
    return AnthropicSummariser(
        api_key=_secret(settings.anthropic_api_key), base_url=settings.anthropic_base_url,
        **common,
    )

"""Response bodies of the health routes (interfaces/http/routes/health.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str] = Field(description="what readiness depends on: `ok` or `unreachable`")
    details: dict[str, str] = Field(
        default_factory=dict,
        description="what is reported without deciding readiness: the summary provider and "
        "how it looks (`ok`, `misconfigured`, `unreachable`); summaries wait in their queue "
        "while it is away",
        examples=[{"summary_provider": "ollama", "summary_provider_status": "unreachable"}],
    )

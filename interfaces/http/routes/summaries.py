"""Clinical-note summaries: requested as jobs, read, reviewed."""

from __future__ import annotations

from fastapi import APIRouter

from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/patients", tags=["summaries"], responses=AUTH_RESPONSES)

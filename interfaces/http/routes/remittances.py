"""835 remittance files, posted by the workers."""

from __future__ import annotations

from fastapi import APIRouter

from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/remittances", tags=["remittances"], responses=AUTH_RESPONSES)

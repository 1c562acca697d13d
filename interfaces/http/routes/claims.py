"""Insurance claims: lines, ledger, balance; submission, appeals, void, the 837P."""

from __future__ import annotations

from fastapi import APIRouter

from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=AUTH_RESPONSES)

"""Equipment orders from intake to delivery, one POST per business action."""

from __future__ import annotations

from fastapi import APIRouter

from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=AUTH_RESPONSES)

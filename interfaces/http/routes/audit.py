"""Auditors: history, time travel, tamper evidence, PHI access log."""

from __future__ import annotations

from fastapi import APIRouter

from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=AUTH_RESPONSES)

"""Patients, their coverage and clinical notes."""

from __future__ import annotations

from fastapi import APIRouter

from interfaces.http.security import AUTH_RESPONSES

router = APIRouter(prefix="/v1/patients", tags=["patients"], responses=AUTH_RESPONSES)

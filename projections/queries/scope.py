"""Which tenants' rows a caller reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from domain.context import SYSTEM_TENANT


def tenant_rows(column: ColumnElement[Any], tenant_id: str) -> ColumnElement[bool]:
    """Rows of `tenant_id`; every tenant's for the system tenant, whose admins act across
    tenants as the applications let them."""
    return true() if tenant_id == SYSTEM_TENANT else column == tenant_id

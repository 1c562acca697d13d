"""Domain values as plain JSON values, for auditors' eyes (API answers, export bundles).

Secrets never leave: a password or API-key hash is shown as `[redacted]`, never as its value.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

REDACTED = "[redacted]"
SECRET_FIELDS = frozenset(
    {"password_hash", "key_hash", "totp_secret", "pending_totp_secret", "recovery_code_hashes"}
)
# Event attributes that are metadata (reported beside the payload), not payload.
EVENT_METADATA = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "tenant_id",
        "actor_id",
        "actor_role",
        "correlation_id",
        "causation_id",
        "originator_topic",
    }
)


def plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _mapping({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, dict):
        return _mapping(value)
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "__dict__"):
        return _mapping({k: v for k, v in vars(value).items() if not k.startswith("_")})
    return str(value)


def _mapping(values: dict[Any, Any]) -> dict[str, Any]:
    return {
        str(k): REDACTED if k in SECRET_FIELDS else plain(v) for k, v in values.items()
    }


def event_payload(event: Any) -> dict[str, Any]:
    """What an event says, without its metadata."""
    return _mapping({k: v for k, v in vars(event).items() if k not in EVENT_METADATA})


def aggregate_state(aggregate: Any) -> dict[str, Any]:
    """An aggregate's attributes as of its version (the library's private id, version and
    times included under public names; pending events left out)."""
    state: dict[str, Any] = {}
    for name, value in vars(aggregate).items():
        if name == "_pending_events":
            continue
        state[name.lstrip("_")] = value
    return _mapping(state)

"""Seals: the application's HMAC on every event and access entry it records.

The chains (migration 0007) are built by the database, so they chain any row inserted, also
one typed by hand with the application's own credentials. A seal is computed by the
application with a key that lives in its settings (ARIES_AUDIT_SIGNING_KEY) and never in
PostgreSQL, so whoever holds only the database credentials cannot make one: verification
reports an event or access entry without a valid seal (decision 009).

- Events: sealed over their stored content (chain, originator id and version, topic, state),
  which is all known before the insert; (originator id, version) is unique per chain, so a seal
  cannot be replayed on another event. The recorder writes the seals in the insert transaction
  (`application/group_commit.py`), in the same pipeline: no extra round trip.
- Access entries: sealed over what the caller sends (an id generated here, and the fields);
  the database still stamps the sequence number, the time and the chain hash.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from application.audit.encoding import bytes_field, field


def seal_key_id(key: bytes) -> str:
    """A short public name for a signing key (which key sealed a row), not the key."""
    return hashlib.sha256(field("aries-seal-key-id") + key).hexdigest()[:16]


def event_seal(
    key: bytes,
    chain: str,
    originator_id: UUID | str,
    originator_version: int,
    topic: str | None,
    state: bytes | None,
) -> bytes:
    message = (
        field("aries-event-seal")
        + field(chain)
        + field(str(originator_id))
        + field(str(originator_version))
        + field(topic)
        + bytes_field(state)
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def event_seal_valid(
    key: bytes, seal: bytes | None, chain: str, originator_id: UUID | str,
    originator_version: int, topic: str | None, state: bytes | None,
) -> bool:
    if seal is None:
        return False
    expected = event_seal(key, chain, originator_id, originator_version, topic, state)
    return hmac.compare_digest(expected, bytes(seal))


ACCESS_SEALED_FIELDS = (
    "tenant_id", "actor_id", "actor_role", "action", "operation", "fields_class", "outcome",
    "request_id", "recipient", "purpose",
)


def access_seal(key: bytes, entry: Mapping[str, Any], ids_text: str | None = None) -> bytes:
    """Seal of an access entry as sent (a mapping with `id`, `patient_ids` and the fields);
    `ids_text`: its patient ids joined by commas, when the caller has them so already."""
    if ids_text is None:
        patient_ids: Sequence[Any] = entry["patient_ids"]
        ids_text = ",".join(str(p) for p in patient_ids)
    message = (
        field("aries-access-seal")
        + field(str(entry["id"]))
        + field(ids_text)
        + b"".join(field(entry[name]) for name in ACCESS_SEALED_FIELDS)
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def access_seal_valid(key: bytes, entry: Mapping[str, Any]) -> bool:
    seal = entry.get("seal")
    if seal is None:
        return False
    return hmac.compare_digest(access_seal(key, entry), bytes(seal))

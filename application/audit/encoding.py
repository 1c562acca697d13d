"""The one encoding every audit digest, seal and signature uses: each field a netstring
`<byte length>:<bytes>` (NULL is `-`), so no two field lists encode alike. Migration 0007's
SQL functions `audit.field` and `audit.bytes_field` are the same encoding in the database."""

from __future__ import annotations

import hashlib


def field(value: str | None) -> bytes:
    if value is None:
        return b"-"
    raw = value.encode("utf-8")
    return f"{len(raw)}:".encode() + raw


def bytes_field(value: bytes | None) -> bytes:
    if value is None:
        return b"-"
    return f"{len(value)}:".encode() + value


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()

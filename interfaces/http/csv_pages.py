"""`Accept: text/csv` on the list endpoints (claims, the work queue, patients): the same page,
the same filters and the same access logging, answered as CSV instead of JSON.

One row per item, columns from the item's JSON fields (a nested object's fields as
`parent.child`, a list of plain values joined with `; `, any other list as JSON). The next
page's cursor is in the `X-Next-Cursor` header (absent on the last page). A text cell that a
spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`, tab or carriage return, and
not a number) is written with a leading `'` (OWASP: CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

CSV_MEDIA_TYPE = "text/csv"
CSV_CONTENT = {CSV_MEDIA_TYPE: {"schema": {"type": "string"},
                                "example": "claim_id,status,balance\r\n0b7c...,denied,120.00\r\n"}}
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "a page of items: JSON, or CSV with `Accept: text/csv` (the next "
          "page's cursor then in `X-Next-Cursor`)", "content": CSV_CONTENT},
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(request: Request) -> bool:
    """Whether the client prefers CSV to JSON (`Accept: text/csv`, or CSV with a higher q)."""
    weights: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = max(weight, weights.get(media.lower(), 0.0))
    csv_weight = weights.get(CSV_MEDIA_TYPE, 0.0)
    return csv_weight > 0 and csv_weight >= weights.get("application/json", 0.0)


def csv_page(
    items: list[BaseModel], item_model: type[BaseModel], next_cursor: str | None,
    filename: str,
) -> Response:
    rows = [_flat(item.model_dump(mode="json")) for item in items]
    header: list[str] = list(rows[0]) if rows else list(item_model.model_fields)
    for row in rows[1:]:
        header += [key for key in row if key not in header]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in header])
    headers = {"Content-Disposition": f'attachment; filename="{filename}"',
               "Cache-Control": "private, no-store"}
    if next_cursor is not None:
        headers["X-Next-Cursor"] = next_cursor
    return Response(buffer.getvalue(), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
                    headers=headers)


def _flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flat(item, f"{name}."))
        elif isinstance(item, list):
            plain = all(not isinstance(part, dict | list) for part in item)
            flat[name] = "; ".join(str(part) for part in item) if plain else json.dumps(item)
        else:
            flat[name] = item
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _number(text):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True

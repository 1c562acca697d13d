"""The JSON of the patient reads, written from the read model's rows without a pydantic model
per patient (issue 18: a first page validated 50 `PatientListItem`s and a `Page` to serialise
what the query had already typed).

The bytes are the ones `PatientListItem`/`PatientDetail` answer (`model_dump_json(by_alias=True)`
of `Page[PatientListItem]` and `PatientDetail`): the same fields in the same order, encoded by
msgspec, which writes ids, dates, aware datetimes, strings and numbers as pydantic does.
tests/unit/test_patient_json.py holds both to that over generated rows. The models still
document the answers in /openapi.json and serve the CSV form of a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from interfaces.http.schemas.patients import CoverageView, PatientDetail, PatientListItem
from projections.queries.patients import DETAIL_COLUMNS, LIST_COLUMNS

_encode = msgspec.json.Encoder().encode

# The rows' column order these functions unpack (projections/queries/patients.py).
_LIST = (
    "patient_id",
    "account_number",
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "mbi",
    "active",
    "primary_coverage_id",
    "primary_payer_id",
    "primary_payer_name",
    "primary_member_id",
    "primary_coverage_rank",
    "registered_at",
    "version",
    "age",
)
_DETAIL = (
    *_LIST,
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "phone",
    "deactivated_on",
    "coverage_count",
    "updated_at",
    "coverages",
)
if (LIST_COLUMNS, DETAIL_COLUMNS) != (_LIST, _DETAIL):
    raise ImportError("the patient queries' columns changed: update patient_json.py")
_ITEM_FIELDS = (
    "id",
    "account_number",
    "first_name",
    "last_name",
    "date_of_birth",
    "age",
    "sex",
    "mbi",
    "active",
    "primary_coverage",
    "registered_at",
    "version",
)
_DETAIL_FIELDS = (
    *_ITEM_FIELDS,
    "address",
    "phone",
    "deactivated_on",
    "coverage_count",
    "coverages",
    "updated_at",
)
_COVERAGE_FIELDS = tuple(CoverageView.model_fields)
if (tuple(PatientListItem.model_fields), tuple(PatientDetail.model_fields)) != (
    _ITEM_FIELDS,
    _DETAIL_FIELDS,
):
    raise ImportError("the patient answers' fields changed: update patient_json.py")


def _item(row: Sequence[Any]) -> dict[str, Any]:
    """A list row (or the first columns of a record row) as PatientListItem's fields."""
    (
        patient_id,
        account_number,
        first_name,
        last_name,
        date_of_birth,
        sex,
        mbi,
        active,
        coverage_id,
        payer_id,
        payer_name,
        member_id,
        rank,
        registered_at,
        version,
        age,
    ) = row[:16]
    return {
        "id": patient_id,
        "account_number": account_number,
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "age": age,
        "sex": sex,
        "mbi": mbi,
        "active": active,
        "primary_coverage": None
        if coverage_id is None
        else {
            "coverage_id": coverage_id,
            "payer_id": payer_id,
            "payer_name": payer_name,
            "member_id": member_id,
            "rank": rank,
        },
        "registered_at": registered_at,
        "version": version,
    }


def page_json(rows: Sequence[Sequence[Any]], next_cursor: str | None) -> bytes:
    """`Page[PatientListItem]` of `patient_page` rows, as JSON."""
    return _encode({"items": [_item(row) for row in rows], "next_cursor": next_cursor})


def detail_json(row: Sequence[Any]) -> bytes:
    """`PatientDetail` of a `patient_record_on` row, as JSON. Its coverages are JSON already
    (ids and dates as the database writes them, which is how pydantic writes them too)."""
    answer = _item(row)
    (
        line1,
        line2,
        city,
        state,
        postal_code,
        phone,
        deactivated_on,
        coverage_count,
        updated_at,
        coverages,
    ) = row[16:]
    answer["address"] = {
        "line1": line1,
        "line2": line2,
        "city": city,
        "state": state,
        "postal_code": postal_code,
    }
    answer["phone"] = phone
    answer["deactivated_on"] = deactivated_on
    answer["coverage_count"] = coverage_count
    answer["coverages"] = [
        {name: coverage[name] for name in _COVERAGE_FIELDS} for coverage in coverages
    ]
    answer["updated_at"] = updated_at
    return _encode(answer)

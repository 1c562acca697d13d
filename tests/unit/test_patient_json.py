"""The patient reads' JSON written from rows (interfaces/http/schemas/patient_json.py) is, byte
for byte, what the pydantic answers it replaced wrote: `Page[PatientListItem]` of a page's rows
and `PatientDetail` of a record, over generated rows of every shape the read model holds."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.patient_values import CoverageRank, RelationshipToSubscriber, Sex
from interfaces.http.reads import Page, next_cursor
from interfaces.http.schemas.patient_json import detail_json, page_json
from interfaces.http.schemas.patients import PatientDetail, PatientListItem
from projections.queries.patients import DETAIL_COLUMNS, ListRow, PatientRecord

# What PostgreSQL text holds: any character but NUL (and no lone surrogates in UTF-8).
texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30)
ids = st.uuids()
dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
# Recorded times in the session's time zone: whole minutes east or west of UTC (every zone's
# offset has been since 1972; pydantic and msgspec differ on an offset with seconds).
offsets = st.integers(min_value=-15 * 60, max_value=15 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
zones = st.sampled_from([dt.UTC, ZoneInfo("Etc/UTC"), ZoneInfo("America/Chicago")]) | offsets
moments = st.datetimes(
    min_value=dt.datetime(1972, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=zones
)
counts = st.integers(min_value=0, max_value=2**31 - 1)


@st.composite
def list_rows(draw: st.DrawFn) -> tuple:
    covered = draw(st.booleans())
    rank = draw(st.sampled_from(CoverageRank)).value
    coverage = (draw(ids), draw(texts), draw(texts), draw(texts), rank) if covered else (None,) * 5
    return (
        draw(ids), draw(texts), draw(texts), draw(texts), draw(dates),
        draw(st.sampled_from(Sex)).value, draw(st.none() | texts), draw(st.booleans()),
        *coverage, draw(moments), draw(counts), draw(st.integers(min_value=0, max_value=200)),
    )  # fmt: skip


@st.composite
def coverage_json(draw: st.DrawFn) -> dict:
    """A coverage as the record's json_agg answers it: ids and dates as PostgreSQL writes
    them, in the order of the query's json_build_object."""
    maybe_date = st.none() | dates.map(dt.date.isoformat)
    return {
        "coverage_id": str(draw(ids)),
        "payer_id": draw(texts),
        "payer_name": draw(texts),
        "member_id": draw(texts),
        "group_number": draw(st.none() | texts),
        "rank": draw(st.sampled_from(CoverageRank)).value,
        "relationship_to_subscriber": draw(st.sampled_from(RelationshipToSubscriber)).value,
        "effective_from": draw(dates).isoformat(),
        "effective_to": draw(maybe_date),
        "terminated_on": draw(maybe_date),
        "status": draw(st.sampled_from(["open", "terminated"])),
        "active_today": draw(st.booleans()),
    }


@st.composite
def record_rows(draw: st.DrawFn) -> tuple:
    return (
        *draw(list_rows()), draw(texts), draw(st.none() | texts), draw(texts), draw(texts),
        draw(texts), draw(st.none() | texts), draw(st.none() | dates), draw(counts),
        draw(moments), draw(st.lists(coverage_json(), max_size=3)),
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(list_rows(), max_size=5), last=st.none() | st.tuples(texts, texts, ids))
def test_a_page_is_written_as_page_of_patient_list_items_wrote_it(rows, last):
    cursor = next_cursor(last, tag="name:asc")
    page = Page[PatientListItem](
        items=[PatientListItem.of_row(ListRow(*row)) for row in rows], next_cursor=cursor
    )
    assert page_json(rows, cursor) == page.model_dump_json(by_alias=True).encode()


@settings(max_examples=300, deadline=None)
@given(row=record_rows())
def test_a_record_is_written_as_patient_detail_wrote_it(row):
    named = dict(zip(DETAIL_COLUMNS, row, strict=True))
    record = PatientRecord(_Row(named), named["coverages"])
    expected = PatientDetail.of_record(record).model_dump_json(by_alias=True)
    assert detail_json(row) == expected.encode()


class _Row:
    """A record row by column name, as SQLAlchemy's Row gives it to `PatientDetail.of_record`."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


def test_a_patient_with_everything_empty_or_absent_is_written_alike():
    row = (
        uuid.UUID(int=0), "", "", "", dt.date(1, 1, 1), "unknown", None, False,
        *(None,) * 5, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 0, 0,
        "", None, "", "", "", None, None, 0, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), [],
    )  # fmt: skip
    detail = json.loads(detail_json(row))
    assert detail["primary_coverage"] is None and detail["coverages"] == []
    test_a_record_is_written_as_patient_detail_wrote_it.hypothesis.inner_test(row=row)

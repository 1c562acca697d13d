"""Queries over the `patients` projection's tables (read.patients, read.coverages,
read.notes), each scoped to one tenant: another tenant's patient is not found."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Integer,
    Row,
    Text,
    and_,
    any_,
    bindparam,
    case,
    exists,
    extract,
    false,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from projections.patients import trigrams
from projections.patients_tables import coverages, notes, patients
from projections.queries.compiled import Compiled, compiled
from projections.queries.keyset import KeysetPage, keyset_page, keyset_rows, keyset_statement

FUZZY_SHARE = 0.5
"""A fuzzy match shares at least this share of the query's trigrams with the patient's words
(a one-letter typo in a 5-6 letter name keeps about half of them)."""

MIN_SHARED_TRIGRAMS = 3
"""...and at least this many of them: a short or scattered query (`ee`, `a b c`) shares a
trigram or two with most names, and would answer a page of patients it does not identify
(HIPAA minimum necessary, 45 CFR 164.502(b))."""

PatientSort = Literal["name", "registered_at"]
SORT_KEYS: dict[PatientSort, tuple[ColumnElement[Any], ...]] = {
    "name": (patients.c.last_name, patients.c.first_name, patients.c.patient_id),
    "registered_at": (patients.c.registered_at, patients.c.patient_id),
}
NOTE_KEYS = (notes.c.written_at, notes.c.note_id)

_AGE = extract("year", func.age(func.current_date(), patients.c.date_of_birth)).cast(Integer)
# What a list item shows and its sort keys: never the search columns (a row's trigrams are
# most of its bytes) nor the tenant, which the caller already knows.
_LIST_COLUMNS = tuple(
    patients.c[name]
    for name in (
        "patient_id", "account_number", "first_name", "last_name", "date_of_birth", "sex", "mbi",
        "active", "primary_coverage_id", "primary_payer_id", "primary_payer_name",
        "primary_member_id", "primary_coverage_rank", "registered_at", "version",
    )
) + (_AGE.label("age"),)
_DETAIL_COLUMNS = _LIST_COLUMNS + tuple(
    patients.c[name]
    for name in (
        "address_line1", "address_line2", "city", "state", "postal_code", "phone",
        "deactivated_on", "coverage_count", "updated_at",
    )
)
_COVERAGE_FIELDS = (
    "coverage_id", "payer_id", "payer_name", "member_id", "group_number", "rank",
    "relationship_to_subscriber", "effective_from", "effective_to", "terminated_on", "status",
)
_RANK = case({"primary": 1, "secondary": 2, "tertiary": 3}, value=coverages.c.rank, else_=4)
_TODAY = func.current_date()
_ACTIVE_TODAY = and_(
    coverages.c.effective_from <= _TODAY,
    or_(coverages.c.effective_to.is_(None), coverages.c.effective_to >= _TODAY),
    or_(coverages.c.terminated_on.is_(None), coverages.c.terminated_on >= _TODAY),
)


@dataclass(frozen=True)
class PatientRecord:
    patient: Row[Any]
    """A read.patients row with its `age` in whole years today."""
    coverages: list[dict[str, Any]]
    """Its read.coverages rows with `active_today`, best rank first, newest first, as JSON
    gives them (ids and dates as strings)."""


def _in_tenant(patient_id: UUID, tenant_id: str) -> ColumnElement[bool]:
    return and_(patients.c.patient_id == patient_id, patients.c.tenant_id == tenant_id)


def _fuzzy(q: str) -> ColumnElement[bool]:
    """Patients whose search text contains `q`, or whose words share at least FUZZY_SHARE of
    `q`'s trigrams (typos). Both need a shared trigram, which the GIN index finds."""
    text = q.strip().lower()
    grams = trigrams(text)
    if not grams:
        return false()
    query_grams = literal(grams, ARRAY(Text))
    gram = func.unnest(patients.c.search_trigrams).table_valued("gram").render_derived()
    shared = (
        select(func.count()).select_from(gram).where(gram.c.gram == any_(query_grams))
        .scalar_subquery()
    )
    compact = re.sub(r"[\s-]+", "", text)
    return and_(
        patients.c.search_trigrams.op("&&")(query_grams),
        or_(
            patients.c.search_text.contains(text, autoescape=True),
            patients.c.search_text.contains(compact, autoescape=True),
            shared >= max(FUZZY_SHARE * len(grams), MIN_SHARED_TRIGRAMS),
        ),
    )


def patient_page(
    conn: Connection,
    tenant_id: str,
    *,
    q: str | None = None,
    active: bool | None = None,
    payer_id: str | None = None,
    date_of_birth: dt.date | None = None,
    sort: PatientSort = "name",
    descending: bool = False,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """The tenant's patients (rows with `age`) matching every filter given, in `sort` order:
    `q` searches names, account numbers and MBIs (a part of one, or a name with a typo);
    `payer_id` keeps patients with an open coverage by that payer."""
    shape = (active, payer_id is not None, date_of_birth is not None)
    if q is None:
        statement = _page_statement(*shape, sort, descending, after is not None)
    else:
        statement = keyset_statement(
            _filtered(*shape).where(_fuzzy(q)), SORT_KEYS[sort],
            after=after is not None, descending=descending,
        )
    params = _page_params(tenant_id, payer_id, date_of_birth)
    return keyset_rows(conn, statement, params, SORT_KEYS[sort], after=after, limit=limit)


async def patient_page_on(
    conn: AsyncConnection[Any],
    tenant_id: str,
    *,
    active: bool | None = None,
    payer_id: str | None = None,
    date_of_birth: dt.date | None = None,
    sort: PatientSort = "name",
    descending: bool = False,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage:
    """`patient_page` without a search (`q`), on an asyncio connection: the same statement,
    compiled once per shape; its rows are tuples in `LIST_COLUMNS` order."""
    shape = (active, payer_id is not None, date_of_birth is not None)
    statement = _compiled_page(*shape, sort, descending, after is not None)
    params = statement.params(**_page_params(tenant_id, payer_id, date_of_birth), limit=limit + 1)
    if after is not None:
        params.update((f"after_{i}", value) for i, value in enumerate(after))
    cursor = await conn.execute(statement.sql, params)
    rows = await cursor.fetchall()
    if len(rows) <= limit:
        return KeysetPage(rows, None)
    last = rows[limit - 1]
    return KeysetPage(rows[:limit], tuple(last[i] for i in _SORT_INDEXES[sort]))


def _page_params(
    tenant_id: str, payer_id: str | None, date_of_birth: dt.date | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"tenant_id": tenant_id}
    if payer_id is not None:
        params["payer_id"] = payer_id.strip().upper()
    if date_of_birth is not None:
        params["date_of_birth"] = date_of_birth
    return params


def _filtered(active: bool | None, by_payer: bool, by_birth: bool) -> Any:
    """The list's select with the filters given, as bound parameters `tenant_id`, `payer_id`
    and `date_of_birth` (`IS true` takes no parameter: `active` is part of the shape)."""
    query = select(*_LIST_COLUMNS).where(patients.c.tenant_id == bindparam("tenant_id"))
    if active is not None:
        query = query.where(patients.c.active.is_(active))
    if by_payer:
        query = query.where(
            exists().where(
                coverages.c.patient_id == patients.c.patient_id,
                coverages.c.payer_id == bindparam("payer_id"),
                coverages.c.status == "open",
            )
        )
    if by_birth:
        query = query.where(patients.c.date_of_birth == bindparam("date_of_birth"))
    return query


@functools.lru_cache(maxsize=128)
def _page_statement(
    active: bool | None, by_payer: bool, by_birth: bool, sort: PatientSort, descending: bool,
    after: bool,
) -> Any:
    """Each shape of the list (filters given, sort, page one or later) built once."""
    return keyset_statement(
        _filtered(active, by_payer, by_birth), SORT_KEYS[sort], after=after,
        descending=descending,
    )


@functools.lru_cache(maxsize=128)
def _compiled_page(
    active: bool | None, by_payer: bool, by_birth: bool, sort: PatientSort, descending: bool,
    after: bool,
) -> Compiled:
    return compiled(_page_statement(active, by_payer, by_birth, sort, descending, after))


def _record_statement() -> Any:
    fields = [part for name in _COVERAGE_FIELDS for part in (name, coverages.c[name])]
    policies = (
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(
                        func.json_build_object(*fields, "active_today", _ACTIVE_TODAY),
                        _RANK, coverages.c.effective_from.desc(), coverages.c.coverage_id,
                    )
                ),
                text("'[]'::json"),
            )
        )
        .where(coverages.c.patient_id == patients.c.patient_id)
        .scalar_subquery()
    )
    return select(*_DETAIL_COLUMNS, policies.label("coverages")).where(
        patients.c.patient_id == bindparam("patient_id"),
        patients.c.tenant_id == bindparam("tenant_id"),
    )


# Built once: SQLAlchemy finds its compiled form by a cache key it would otherwise compute
# again for a new statement object on every read (a fifth of a read's CPU).
_RECORD = _record_statement()
_RECORD_COMPILED = compiled(_RECORD)

LIST_COLUMNS: tuple[str, ...] = tuple(column.name for column in _LIST_COLUMNS)
"""The columns of a list row, in order (a row of `patient_page_on` is a tuple)."""
DETAIL_COLUMNS: tuple[str, ...] = (*(column.name for column in _DETAIL_COLUMNS), "coverages")
"""The columns of a record row, in order (`patient_record_on`)."""
ListRow = namedtuple("ListRow", LIST_COLUMNS)  # type: ignore[misc]
"""A list row with its columns by name (what `patient_page` answers), from a tuple."""
_SORT_INDEXES = {
    sort: tuple(LIST_COLUMNS.index(key.name) for key in keys) for sort, keys in SORT_KEYS.items()
}


def patient_record(conn: Connection, patient_id: UUID, tenant_id: str) -> PatientRecord | None:
    """One patient of the tenant with its coverages; None if there is no such patient.
    One statement (the coverages aggregated as JSON beside the row): one round trip, and one
    snapshot without a transaction around two reads."""
    row = conn.execute(
        _RECORD, {"patient_id": patient_id, "tenant_id": tenant_id}
    ).one_or_none()
    if row is None:
        return None
    return PatientRecord(row, list(row.coverages))


async def patient_record_on(
    conn: AsyncConnection[Any], patient_id: UUID, tenant_id: str
) -> tuple[Any, ...] | None:
    """`patient_record` on an asyncio connection: the row as a tuple in `DETAIL_COLUMNS` order
    (its coverages last, as JSON gives them), or None if the tenant has no such patient."""
    cursor = await conn.execute(
        _RECORD_COMPILED.sql, _RECORD_COMPILED.params(patient_id=patient_id, tenant_id=tenant_id)
    )
    return await cursor.fetchone()


def note_page(
    conn: Connection,
    patient_id: UUID,
    tenant_id: str,
    *,
    after: Sequence[Any] | None = None,
    limit: int,
) -> KeysetPage | None:
    """The patient's notes (with their amendments), newest first; None if the tenant has no
    such patient."""
    known = conn.execute(
        select(patients.c.patient_id).where(_in_tenant(patient_id, tenant_id))
    ).one_or_none()
    if known is None:
        return None
    query = select(notes).where(notes.c.patient_id == patient_id, notes.c.tenant_id == tenant_id)
    return keyset_page(conn, query, NOTE_KEYS, after=after, limit=limit, descending=True)

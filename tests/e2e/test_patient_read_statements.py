"""The patient reads served on the event loop send the statements SQLAlchemy sends, compiled once
(projections/queries/compiled.py): over a tenant's patients, `patient_page_on` and
`patient_record_on` on an asyncio connection answer the rows `patient_page` and
`patient_record` answer through the read engine, for every filter, sort, order and page."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any
from uuid import UUID

import psycopg
import pytest

from projections.queries import patients as queries
from projections.runner import wait_for_position
from tests.e2e.conftest import aries_of, headers_for
from tests.e2e.test_patients_api import medicare, register

pytestmark = pytest.mark.e2e


@pytest.fixture
def registered(api, tenant) -> list[dict[str, Any]]:
    """Five patients of `tenant`: two with the same name, one covered twice, one inactive."""
    intake = headers_for(api, "intake", tenant)
    patients = [
        register(api, intake),
        register(api, intake, mbi=None),  # the same name: the id breaks the tie
        register(api, intake, last_name="Hopper", date_of_birth="1906-12-09", mbi=None),
        register(api, intake, first_name="Émile", last_name="Zola", mbi=None),
        register(api, intake, last_name="O'Brien", date_of_birth="1990-02-28", mbi=None),
    ]
    last = patients[0]["position"]
    for coverage in (medicare(), medicare(payer_id="AETNA", rank="secondary", member_id="W1")):
        added = api.post(
            f"/v1/patients/{patients[0]['id']}/coverages", json=coverage, headers=intake
        )
        assert added.status_code == 201, added.text
        last = added.json()["position"]
    gone = api.post(
        f"/v1/patients/{patients[2]['id']}/deactivate", json={"reason": "duplicate"},
        headers=intake,
    )  # fmt: skip
    assert gone.status_code == 200, gone.text
    position = max(last, gone.json()["position"], *(p["position"] for p in patients))
    assert wait_for_position(aries_of(api), "patients", "patients", position, timeout=30)
    return patients


def _async(api, read) -> Any:
    async def main() -> Any:
        url = aries_of(api).settings.database_url
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await read(conn)

    return asyncio.run(main())


def test_every_page_shape_answers_the_rows_sqlalchemy_answers(api, tenant, registered):
    aries = aries_of(api)
    shapes = itertools.product(
        (None, True, False), (None, "mcr-jb"), (None, dt.date(1906, 12, 9)),
        ("name", "registered_at"), (False, True),
    )  # fmt: skip
    compared = 0
    for active, payer_id, born, sort, descending in shapes:
        filters = {
            "active": active, "payer_id": payer_id, "date_of_birth": born, "sort": sort,
            "descending": descending,
        }  # fmt: skip
        after = None
        while True:  # every page of two, each after the previous page's key
            with aries.read_engine.connect() as conn:
                expected = queries.patient_page(conn, tenant, after=after, limit=2, **filters)
            got = _async(api, lambda c, after=after, filters=filters: queries.patient_page_on(
                c, tenant, after=after, limit=2, **filters
            ))  # fmt: skip
            assert [tuple(row) for row in expected.rows] == got.rows, filters
            assert expected.next_key == got.next_key, filters
            compared += len(got.rows)
            if got.next_key is None:
                break
            after = got.next_key
    assert compared > len(registered)  # the shapes did find patients, over several pages


def test_a_record_answers_the_row_sqlalchemy_answers(api, tenant, registered):
    aries = aries_of(api)
    for patient_id in (UUID(p["id"]) for p in registered):
        with aries.read_engine.connect() as conn:
            expected = queries.patient_record(conn, patient_id, tenant)
        got = _async(api, lambda c, i=patient_id: queries.patient_record_on(c, i, tenant))
        assert expected is not None and got is not None
        assert (*tuple(expected.patient)[:-1], expected.coverages) == got
    first = UUID(registered[0]["id"])
    covered = _async(api, lambda c: queries.patient_record_on(c, first, tenant))
    assert [c["payer_id"] for c in covered[-1]] == ["MCR-JB", "AETNA"]
    assert _async(api, lambda c: queries.patient_record_on(c, first, "t-other")) is None

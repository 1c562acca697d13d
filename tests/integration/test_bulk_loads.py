"""Batch loads (application.bulk_loads) on real PostgreSQL: what a submission loads for a whole
message answers what one load per aggregate answers, and finds each aggregate through the
primary key whatever the table's statistics (this machine's server never analyses them).
Every event type's fold is checked against `Repository.get` in test_event_round_trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from application.bulk_loads import events_of, load_many
from domain.claim import Claim
from domain.claim_ids import claim_id_for
from domain.context import EventContext, bound_context
from domain.order import Order
from domain.patient import Patient
from projections.decoding import EventDecoder
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker

pytestmark = pytest.mark.integration

DELIVERED_ON = datetime.now(UTC).date() - timedelta(days=5)


def _as(tenant: str) -> EventContext:
    return EventContext(tenant_id=tenant, actor_id="biller-1", actor_role="biller")


def _requested_claim(aries, tenant: str) -> tuple[UUID, UUID, UUID]:
    """(claim, patient, order) of a delivered order of `tenant` whose claim awaits submission."""
    with bound_context(_as(tenant)):
        delivered = delivered_bed_and_walker(aries, DELIVERED_ON)
        aries.claims.catch_up_all()
        claim_id = claim_id_for(delivered.order_id, f"{DELIVERED_ON:%Y-%m}", MEDICARE)
        aries.claims.submit(claim_id)
    return claim_id, delivered.patient_id, delivered.order_id


@pytest.fixture(scope="module")
def stories(isolated_aries):
    """Two claims of tenant A and one of tenant B, with their patients and orders."""
    return {
        "a": [_requested_claim(isolated_aries, "tenant-a") for _ in range(2)],
        "b": [_requested_claim(isolated_aries, "tenant-b")],
    }


@pytest.mark.parametrize("typed", [False, True], ids=["mapper", "typed decoder"])
def test_a_batch_load_answers_what_one_load_per_aggregate_answers(isolated_aries, stories, typed):
    aries = isolated_aries
    ours, theirs = stories["a"], stories["b"]
    families = [(aries.claims, Claim, 0), (aries.patients, Patient, 1), (aries.orders, Order, 2)]
    with bound_context(_as("tenant-a")):
        for app, kind, column in families:
            ids = [story[column] for story in ours]
            # Asked twice, with another tenant's and an unknown id among them.
            asked = [*ids, ids[0], theirs[0][column], uuid4()]
            decode = EventDecoder(app.mapper) if typed else None
            loaded = load_many(app, asked, kind, decode)
            assert sorted(loaded) == sorted(ids)
            for aggregate_id in ids:
                assert vars(loaded[aggregate_id]) == vars(app.load(aggregate_id, kind))


def test_a_batch_load_of_one_family_finds_no_aggregate_of_another(isolated_aries, stories):
    aries = isolated_aries
    claim_id, patient_id, _ = stories["a"][0]
    with bound_context(_as("tenant-a")):
        assert load_many(aries.patients, [claim_id], Patient) == {}
        assert list(load_many(aries.patients, [patient_id], Patient)) == [patient_id]


def test_a_batch_load_reads_each_aggregate_by_its_key_on_a_table_never_analysed(
    isolated_aries, stories
):
    """Without statistics the planner took `originator_id = ANY(ids)` for most of the table and
    read all of it for every message; the plan must not depend on them."""
    recorder = isolated_aries.claims.recorder
    filler = [
        StoredEvent(uuid4(), 1, "aries.bench.Filler", json.dumps({"n": n}).encode())
        for n in range(5000)
    ]
    recorder.insert_events(filler)
    ids = [event.originator_id for event in filler[::50]]
    with recorder.datastore.transaction(commit=False) as cursor:
        analysed = cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            (recorder.events_table_name,),
        ).fetchone()
        assert analysed is not None and analysed["reltuples"] < 0, "the table was analysed"
        cursor.execute(b"EXPLAIN (FORMAT JSON) " + events_of(recorder).as_bytes(cursor), (ids,))
        plan = json.dumps(cursor.fetchone()["QUERY PLAN"])
    assert '"Seq Scan"' not in plan
    assert recorder.events_table_name in plan


def test_a_batch_load_is_not_compiled_by_jit_whatever_the_planner_guesses(
    isolated_aries, stories, monkeypatch
):
    """On a large table never analysed the planner's guess passed jit_above_cost: compiling the
    query took 100 ms of the server's time, running it one (bench figure 7 at 4,000 claims)."""
    sent: list[str] = []
    real = psycopg.Cursor.execute

    def recording(self, query, *args, **kwargs):
        sent.append(query if isinstance(query, str) else query.as_string(self))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    claim_id = stories["a"][0][0]
    with bound_context(_as("tenant-a")):
        assert list(load_many(isolated_aries.claims, [claim_id], Claim)) == [claim_id]
    reads = [n for n, query in enumerate(sent) if "CROSS JOIN LATERAL" in query]
    assert reads and all(sent[n - 1] == "SET LOCAL jit = off" for n in reads)

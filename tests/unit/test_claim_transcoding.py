"""Claim events through the real JSON transcoder: exact money, no float, replay equals live."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from uuid import uuid4

from domain.claim import Claim
from domain.claim_values import PATIENT, AppealLevel, LineAdjudication
from domain.context import bound_context
from tests.unit.claim_builders import SECONDARY, SECONDARY_COVERAGE, at, denied, paid, scrubbed
from tests.unit.replay import event_classes, leaves, mapper, replay, round_trip


def full_history() -> tuple[Claim, list]:
    """A claim paid by the primary, billed to the secondary, paid, appealed and closed."""
    claim = paid()
    claim.transfer_to_secondary(SECONDARY, SECONDARY_COVERAGE, date(2025, 4, 2))
    lines = [LineAdjudication(i, amount, amount) for i, amount in claim.line_balances.items()]
    claim.adjudicate("TRN-9", "SEC-1", "2", lines, date(2025, 4, 20))
    claim.appeal(AppealLevel.REDETERMINATION, date(2025, 5, 1), "allowed amount too low")
    claim.decide_appeal(date(2025, 6, 1), favourable=False)
    claim.close(date(2025, 6, 2))
    return claim, claim.collect_events()


def test_replay_through_the_json_transcoder_equals_the_live_claim():
    claim, events = full_history()
    assert vars(replay(events)) == vars(claim)


def test_replay_of_denied_voided_claim_equals_the_live_claim():
    claim = denied()
    claim.void(date(2025, 4, 5), "wrong patient")
    assert vars(replay(claim.collect_events())) == vars(claim)


def test_decimal_values_survive_transcoding_exactly():
    _, events = full_history()
    for original, restored in zip(events, round_trip(events), strict=True):
        before = [v for v in leaves(vars(original)) if isinstance(v, Decimal)]
        after = [v for v in leaves(vars(restored)) if isinstance(v, Decimal)]
        assert [str(v) for v in after] == [str(v) for v in before]
        assert vars(restored) == vars(original)
    amounts = [e.amount for e in replay(events).ledger]
    assert Decimal("-84.00") in amounts and all(a.as_tuple().exponent == -2 for a in amounts)


def test_no_float_in_any_claim_event_state():
    _, events = full_history()
    for e in events:
        assert not any(isinstance(v, float) for v in leaves(vars(e))), type(e).__name__

    def refuse_float(text: str):
        raise AssertionError(f"float {text} in stored event state")

    for e in events:
        stored = mapper().to_stored_event(e)
        json.loads(stored.state, parse_float=refuse_float)


def test_claim_events_have_pinned_topics():
    assert Claim.TOPIC == "aries.claim"
    names = {cls.TOPIC for cls in event_classes(Claim)}
    assert {"aries.claim.Drafted", "aries.claim.Adjudicated", "aries.claim.Closed"} <= names


def test_claim_events_carry_the_bound_tenant_and_actor():
    with bound_context(tenant_id="acme-hme", actor_id="biller-7", actor_role="billing"):
        claim = paid()
    events = claim.collect_events()
    assert {(e.tenant_id, e.actor_id) for e in events} == {("acme-hme", "biller-7")}
    assert replay(events).tenant_id == "acme-hme"
    assert claim.party_balance(PATIENT) == Decimal("29.00")


# --- TransmissionPrepared v1 -> v2: the interchange's claim list stored once ------------------


def _requested() -> Claim:
    claim = scrubbed(order_id=uuid4())
    claim.request_submission(1)
    return claim


def test_only_the_interchanges_first_claim_records_its_claim_list():
    first, second, third = _requested(), _requested(), _requested()
    order = [first.id, second.id, third.id]
    for claim in (first, second, third):
        claim.prepare_transmission("000000042", order, at(3))
    lists = [c.collect_events()[-1] for c in (first, second, third)]
    assert [e.claim_ids for e in lists] == [order, [], []]
    assert {e.first_claim_id for e in lists} == {first.id}
    stored = mapper().to_stored_event(lists[1])
    assert json.loads(stored.state)["class_version"] == 2
    assert first.id.hex in stored.state.decode() and third.id.hex not in stored.state.decode()
    assert second.pending_transmission.claim_ids == ()
    assert second.pending_transmission.first_claim_id == first.id


def test_a_version_1_intent_upcasts_naming_its_first_claim_and_keeps_its_list():
    claim, other = _requested(), _requested()
    claim.prepare_transmission("000000043", [other.id, claim.id], at(3))
    event = claim.collect_events()[-1]
    stored = mapper().to_stored_event(event)
    state = json.loads(stored.state)
    # Version 1, as it was stored: the whole list on every claim, no first claim, no version.
    del state["class_version"], state["first_claim_id"]
    state["claim_ids"] = [{"_type_": "uuid_hex", "_data_": u.hex} for u in (other.id, claim.id)]
    stored = dataclasses.replace(stored, state=json.dumps(state).encode())
    loaded = mapper().to_domain_event(stored)
    assert isinstance(loaded, Claim.TransmissionPrepared)
    assert (loaded.claim_ids, loaded.first_claim_id) == ([other.id, claim.id], other.id)

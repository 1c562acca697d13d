"""Concurrent writers on one aggregate, on real PostgreSQL: two threads load the same version
(a barrier holds each in its decision until both have loaded), then both save. A command that
does not depend on what it read runs again from a fresh load and both land; with a version
expected (If-Match) the loser is refused and not retried; any other command's loser is
refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from application.eventstore import ConcurrentUpdate
from domain.order import Order
from domain.patient import Patient
from domain.patient_values import CoverageRank, RelationshipToSubscriber
from tests.concurrency import race, together
from tests.integration.scenarios import medicare_patient, place_bed_and_walker

pytestmark = pytest.mark.integration

ORDERED_ON = date(2026, 11, 2)


def note(aries, patient_id, text: str, expected_version: int | None = None) -> Callable[[], Any]:
    return lambda: aries.patients.add_note(
        patient_id, author_id="clinician-1", subjective=text, expected_version=expected_version
    )


def test_notes_written_at_once_without_if_match_are_both_recorded(aries, monkeypatch):
    patient_id, _ = medicare_patient(aries)
    before = aries.patients.get_patient(patient_id).version
    race(monkeypatch, Patient, "add_note")

    results = together(note(aries, patient_id, "first"), note(aries, patient_id, "second"))

    assert not [r for r in results if isinstance(r, Exception)], results
    patient = aries.patients.get_patient(patient_id)
    assert sorted(n.subjective for n in patient.notes.values()) == ["first", "second"]
    assert patient.version == before + 2
    assert sorted(r.version for r in results) == [before + 1, before + 2]


def test_notes_written_at_once_on_the_same_if_match_one_wins_the_other_is_refused(
    aries, monkeypatch
):
    patient_id, _ = medicare_patient(aries)
    version = aries.patients.get_patient(patient_id).version
    race(monkeypatch, Patient, "add_note")

    results = together(note(aries, patient_id, "first", version),
                       note(aries, patient_id, "second", version))

    refused = [r for r in results if isinstance(r, ConcurrentUpdate)]
    assert len(refused) == 1, results
    assert refused[0].current_version == version + 1
    assert len(aries.patients.get_patient(patient_id).notes) == 1


def test_documents_recorded_at_once_without_if_match_are_both_recorded(aries, monkeypatch):
    patient_id, _ = medicare_patient(aries)
    order_id, _, _ = place_bed_and_walker(aries, patient_id, ORDERED_ON)
    race(monkeypatch, Order, "_document_date")  # every document passes through it

    results = together(
        lambda: aries.orders.record_documents(order_id, swo_signed_on=ORDERED_ON),
        lambda: aries.orders.record_documents(order_id, abn_signed_on=ORDERED_ON),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    order = aries.orders.get_order(order_id)
    assert (order.swo_signed_on, order.abn_signed_on) == (ORDERED_ON, ORDERED_ON)


def test_a_command_that_depends_on_what_it_read_is_not_retried(aries, monkeypatch):
    patient_id, _ = medicare_patient(aries)
    race(monkeypatch, Patient, "add_coverage")

    def coverage(member_id: str) -> Callable[[], Any]:
        return lambda: aries.patients.add_coverage(
            patient_id, payer_id="COM-AETNA", payer_name="Aetna", member_id=member_id,
            group_number=None, rank=CoverageRank.SECONDARY,
            relationship_to_subscriber=RelationshipToSubscriber.SELF,
            effective_from=date(2025, 1, 1),
        )

    results = together(coverage("W1"), coverage("W2"))

    assert len([r for r in results if isinstance(r, ConcurrentUpdate)]) == 1, results

"""The `patients` projection against real PostgreSQL: after random command histories the rows
agree with the Patient aggregates, and rebuilding from zero gives exactly the rows the live
projection wrote, whatever the batch sizes (a batch folds several events of one patient)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from application.summaries import request_summary
from domain.context import bound_context
from domain.errors import DomainError
from domain.patient_rules import sha256_hex
from domain.patient_values import (
    Address,
    CoverageRank,
    Demographics,
    NoteRef,
    RelationshipToSubscriber,
    Sex,
)
from projections.patients import search_text, trigrams
from projections.patients_tables import coverages, notes, patients, summaries
from projections.runner import catch_up, rebuild
from tests.integration.scenarios import new_mbi

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def aries(isolated_aries):
    return isolated_aries


TABLES = (patients, coverages, notes, summaries)
MBIS = ["1EG4TE5MK73", "2AC3DE4FG56", "9XY8WV7TU65"]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def all_rows(aries) -> list[list[tuple]]:
    with aries.read_engine.connect() as conn:
        return [sorted(tuple(row) for row in conn.execute(select(t))) for t in TABLES]


def patient_row(aries, patient_id: UUID) -> Any:
    with aries.read_engine.connect() as conn:
        return conn.execute(select(patients).where(patients.c.patient_id == patient_id)).one()


def demographics(last: str, first: str = "Ada", born: date = date(1948, 12, 10)) -> Demographics:
    return Demographics(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        sex=Sex.FEMALE,
        address=Address("12 Elm Street", None, "Springfield", "IL", "62704"),
        phone=None,
    )


# --- Known behaviour ---------------------------------------------------------------------


def test_trigrams_are_those_of_each_padded_word():
    assert trigrams("Ann B2") == sorted(["  a", " an", "ann", "nn ", "  b", " b2", "b2 "])
    assert trigrams("--") == []


def test_a_registered_patient_reads_with_search_keys_and_the_aggregate_version(aries):
    with bound_context(tenant_id="t-patients-1"):
        made = aries.patients.register_patient(demographics("Lovelace"), mbi="1EG4-TE5-MK73")
    catch_up(aries, "patients")

    row = patient_row(aries, made.id)
    patient = aries.patients.get_patient(made.id)
    assert (row.tenant_id, row.last_name, row.mbi, row.active) == (
        "t-patients-1",
        "Lovelace",
        "1EG4TE5MK73",
        True,
    )
    assert row.search_text == search_text("Lovelace", "Ada", patient.account_number, "1EG4TE5MK73")
    assert row.search_trigrams == trigrams(row.search_text)
    assert (row.version, row.coverage_count, row.primary_payer_id) == (patient.version, 0, None)


def test_a_summary_request_moves_the_patients_version_and_nothing_else(aries):
    with bound_context(tenant_id="t-patients-1"):
        made = aries.patients.register_patient(demographics("Somerville"), mbi=MBIS[2])
        aries.patients.add_note(made.id, author_id="clinician-1", subjective="S", plan="P")
        catch_up(aries, "patients")
        before = patient_row(aries, made.id)

        request_summary(aries.patients, made.id, requested_by="clinician-1")
        catch_up(aries, "patients")

    row = patient_row(aries, made.id)
    assert row.version == aries.patients.get_patient(made.id).version == before.version + 1
    assert row.updated_at > before.updated_at
    moved = {"version": row.version, "updated_at": row.updated_at}
    assert row._asdict() == {**before._asdict(), **moved}


def test_the_primary_coverage_is_the_best_ranked_one_not_terminated(aries):
    with bound_context(tenant_id="t-patients-1"):
        made = aries.patients.register_patient(demographics("Byron"), mbi=MBIS[1])
        secondary = uuid4()
        primary = uuid4()
        for coverage_id, rank, payer in (
            (secondary, CoverageRank.SECONDARY, "BCBS1"),
            (primary, CoverageRank.PRIMARY, "MCR-JB"),
        ):
            aries.patients.add_coverage(
                made.id,
                coverage_id=coverage_id,
                payer_id=payer,
                payer_name=payer,
                member_id="M1",
                group_number=None,
                rank=rank,
                relationship_to_subscriber=RelationshipToSubscriber.SELF,
                effective_from=date(2026, 1, 1),
            )
        catch_up(aries, "patients")
        row = patient_row(aries, made.id)
        assert (row.primary_coverage_id, row.primary_payer_id, row.coverage_count) == (
            primary,
            "MCR-JB",
            2,
        )

        aries.patients.terminate_coverage(made.id, primary, date(2026, 2, 1))
        catch_up(aries, "patients")
    row = patient_row(aries, made.id)
    assert (row.primary_coverage_id, row.primary_coverage_rank, row.coverage_count) == (
        secondary,
        "secondary",
        1,
    )
    assert row.version == aries.patients.get_patient(made.id).version


# --- Random histories ---------------------------------------------------------------------

NAMES = ["Lovelace", "Hopper", "Noether", "O'Neil", "García", "Li"]
ACTIONS = [
    "correct",
    "coverage",
    "terminate",
    "note",
    "amend",
    "request",
    "summary",
    "review",
    "deactivate",
]

steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # which patient
        st.sampled_from(ACTIONS),
        st.integers(0, 5),  # a choice within the action (name, rank, which child...)
        st.booleans(),  # project right after this step
    ),
    max_size=20,
)


def _apply(aries, patient_id: UUID, action: str, choice: int, when: datetime) -> None:
    app = aries.patients
    patient = app.get_patient(patient_id)
    if action == "correct":
        mbi = MBIS[choice % 3] if choice % 2 else None
        app.correct_demographics(
            patient_id, demographics(NAMES[choice], born=date(1950 + choice, 1, 2)), mbi=mbi
        )
    elif action == "coverage":
        rank = list(CoverageRank)[choice % 3]
        relationship = list(RelationshipToSubscriber)[choice % 4]
        payer = "MCR-JB" if choice % 2 else f"COMM{choice}"
        app.add_coverage(
            patient_id,
            payer_id=payer,
            payer_name=f"Payer {choice}",
            member_id=f"M{choice}",
            group_number="G1" if choice > 2 else None,
            rank=rank,
            relationship_to_subscriber=relationship,
            effective_from=date(2025, 1 + choice, 1) + timedelta(days=choice),
            effective_to=date(2027, 1, 1) if choice > 3 else None,
            subscriber=None if relationship is RelationshipToSubscriber.SELF
            else demographics("Subscriber", born=date(1940, 1, 1)),
        )
    elif action == "terminate" and patient.coverages:
        coverage = sorted(patient.coverages.values(), key=lambda c: str(c.coverage_id))[
            choice % len(patient.coverages)
        ]
        app.terminate_coverage(
            patient_id, coverage.coverage_id, coverage.effective_from + timedelta(days=choice)
        )
    elif action == "note":
        app.add_note(
            patient_id,
            author_id=f"clinician-{choice}",
            subjective=f"S{choice}",
            plan="" if choice % 2 else "P",
            written_at=when,
        )
    elif action == "amend" and patient.notes:
        note_id = sorted(patient.notes)[choice % len(patient.notes)]
        app.amend_note(
            patient_id, note_id, author_id="clinician-1", text=f"A{choice}", reason="typo"
        )
    elif action == "request" and patient.notes:
        # SummaryRequested only moves the row's version (its handler reads just the metadata).
        request_summary(app, patient_id, requested_by=f"clinician-{choice}")
    elif action == "summary" and patient.notes:
        text = f"summary {choice}"
        app.record_summary(
            patient_id,
            summary_id=uuid4(),
            text=text,
            provider="local",
            model="rules-1",
            prompt_template_version="v1",
            notes_read=[NoteRef(n.note_id, n.version) for n in patient.notes.values()],
            output_sha256=sha256_hex(text),
            requested_by="clinician-1",
        )
    elif action == "review" and patient.summaries:
        summary_id = sorted(patient.summaries)[choice % len(patient.summaries)]
        app.review_summary(
            patient_id,
            summary_id,
            reviewer_id="clinician-2",
            approved=choice % 2 == 0,
            comment=None if choice < 3 else "ok",
        )
    elif action == "deactivate":
        app.deactivate(patient_id, "duplicate record")


def _check_against_aggregate(aries, patient_id: UUID) -> None:
    patient = aries.patients.get_patient(patient_id)
    row = patient_row(aries, patient_id)
    assert (row.version, row.active, row.mbi) == (patient.version, patient.is_active, patient.mbi)
    assert (row.last_name, row.date_of_birth) == (
        patient.demographics.last_name,
        patient.demographics.date_of_birth,
    )
    assert row.search_text == search_text(
        patient.demographics.last_name,
        patient.demographics.first_name,
        patient.account_number,
        patient.mbi,
    )
    assert row.search_trigrams == trigrams(row.search_text)
    open_ = [c for c in patient.coverages.values() if c.terminated_on is None]
    ranks = list(CoverageRank)
    best = min(
        open_,
        key=lambda c: (ranks.index(c.rank), -c.effective_from.toordinal(), str(c.coverage_id)),
        default=None,
    )
    assert (row.coverage_count, row.primary_coverage_id) == (
        len(open_),
        None if best is None else best.coverage_id,
    )
    with aries.read_engine.connect() as conn:
        note_versions = dict(
            conn.execute(
                select(notes.c.note_id, notes.c.version).where(notes.c.patient_id == patient_id)
            ).all()
        )
        reviewed = set(
            conn.execute(
                select(summaries.c.summary_id).where(
                    summaries.c.patient_id == patient_id, summaries.c.review_state != "pending"
                )
            ).scalars()
        )
    assert note_versions == {n.note_id: n.version for n in patient.notes.values()}
    assert reviewed == {s.summary_id for s in patient.summaries.values() if s.review}


@settings(max_examples=12, derandomize=True)
@given(
    history=steps,
    tenant=st.sampled_from(["t-patients-a", "t-patients-b"]),
    batch_size=st.sampled_from([1, 3, 50, 500]),
    rebuild_batch_size=st.sampled_from([3, 50, 500]),
)
def test_rebuilding_from_zero_gives_exactly_the_rows_the_live_projection_wrote(
    aries, history, tenant, batch_size, rebuild_batch_size
):
    # The module's database is shared by the examples: live and rebuilt rows are compared over
    # every patient event so far. Live catch-ups at random points and a rebuild with another
    # batch size cut the same events into different batches, most of them holding several
    # events of one patient.
    with bound_context(tenant_id=tenant, actor_id="u-1"):
        ids = [
            aries.patients.register_patient(
                # Examples share the two tenants, and an MBI is one patient's per tenant.
                demographics(NAMES[i], first=f"F{i}"), mbi=new_mbi() if i != 1 else None
            ).id
            for i in range(3)
        ]
        for number, (which, action, choice, project_now) in enumerate(history):
            try:
                _apply(aries, ids[which], action, choice, START + timedelta(minutes=number))
            except DomainError:
                pass  # a command the domain refuses records nothing: that is part of the test
            if project_now:
                catch_up(aries, "patients", batch_size=batch_size)
        catch_up(aries, "patients", batch_size=batch_size)
        for patient_id in ids:
            _check_against_aggregate(aries, patient_id)
    live = all_rows(aries)

    rebuild(aries, "patients", batch_size=rebuild_batch_size)

    assert all_rows(aries) == live

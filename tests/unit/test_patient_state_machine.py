"""Random sequences of valid and invalid Patient commands.

A small model beside the aggregate predicts whether each command must be accepted. Accepted
commands record exactly one event; refused ones raise a DomainError and leave the patient
exactly as it was. After every step: at most one active coverage per rank on any day, Medicare
coverage only with an MBI, and the events replayed through the real JSON transcoder make a
patient equal (`vars()`) to the live one.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import combinations
from uuid import UUID

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.errors import DomainError
from domain.patient import Patient
from domain.patient_rules import sha256_hex
from domain.patient_values import (
    Address,
    CoverageRank,
    Demographics,
    NoteRef,
    RelationshipToSubscriber,
    Sex,
)
from tests.unit.replay import mapper, replay

BASE_DAY = date(2024, 1, 1)
DAYS = 40  # a short span, so that periods of the same rank often collide
BASE_TIME = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
AS_OF = date(2024, 6, 1)
VALID_MBIS = ["1EG4TE5MK73", "9AA9AA9AA99"]

days = st.integers(0, DAYS).map(lambda n: BASE_DAY + timedelta(days=n))
times = st.integers(0, 600).map(lambda n: BASE_TIME + timedelta(minutes=n))
naive_or_aware_times = st.one_of(
    times,
    times.map(lambda t: t.replace(tzinfo=None)),
    times.map(lambda t: t.astimezone(timezone(timedelta(hours=-5)))),
)
delays = st.integers(-30, 300).map(lambda n: timedelta(minutes=n))
zones = st.sampled_from([UTC, UTC, timezone(timedelta(hours=-5)), None])  # None: naive
texts = st.sampled_from(["", " ", "SpO2 91% on 2 L.", "Vitals: stable", "Plan: CPAP 10 cm"])
payers = st.sampled_from(["MCR-JB", "AETNA1", "BCBS01"])


def in_zone(t: datetime, zone) -> datetime:
    return t.replace(tzinfo=None) if zone is None else t.astimezone(zone)


def demographics(date_of_birth: date, state: str) -> Demographics:
    return Demographics(
        "Ann", "Lee", date_of_birth, Sex.FEMALE, Address("1 Main", None, "Austin", state, "78701")
    )


@dataclass
class CoverageModel:
    rank: CoverageRank
    effective_from: date
    effective_to: date | None
    terminated: bool = False

    def last_day(self, terminated_on: date | None = None) -> date | None:
        return terminated_on or self.effective_to


def _overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


class PatientMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        mapper()  # registers the pinned topics
        self.patient: Patient
        self.history: list = []
        self.active = True
        self.has_mbi = False
        self.coverages: dict[UUID, CoverageModel] = {}
        self.coverage_ends: dict[UUID, date | None] = {}
        self.notes: dict[UUID, tuple[int, datetime]] = {}
        self.amendment_ids: set[UUID] = set()
        self.summaries: dict[UUID, tuple[datetime, bool]] = {}
        self.requested: set[UUID] = set()
        self.last_id = 0

    # --- helpers --------------------------------------------------------------------------

    def attempt(self, expected_ok: bool, command, *args, **kwargs) -> bool:
        """Run the command; it must succeed exactly when the model says so."""
        event(f"{command.__name__} {'accepted' if expected_ok else 'refused'}")
        before = copy.deepcopy(vars(self.patient))
        try:
            command(*args, **kwargs)
        except DomainError as error:
            assert not expected_ok, f"refused a valid command: {error!r}"
            assert self.patient.collect_events() == []
            assert vars(self.patient) == before
            return False
        assert expected_ok, "accepted an invalid command"
        events = self.patient.collect_events()
        assert len(events) == 1
        self.history.extend(events)
        return True

    def new_id(self) -> UUID:
        # Deterministic ids, so that Hypothesis can replay and shrink a failing run.
        self.last_id += 1
        return UUID(int=self.last_id)

    def existing_or_new(self, data, known, *, usually_existing: bool) -> UUID:
        """An id from `known` or a new one: mostly the kind the command needs to succeed."""
        known = sorted(known)
        pick_known = data.draw(st.integers(0, 3)) != 0
        if known and pick_known == usually_existing:
            return data.draw(st.sampled_from(known))
        return self.new_id()

    # --- commands -------------------------------------------------------------------------

    @initialize(with_mbi=st.booleans())
    def register(self, with_mbi: bool) -> None:
        self.patient = Patient.register(
            account_number="ACC-9",
            demographics=demographics(date(1940, 1, 1), "TX"),
            as_of=AS_OF,
            mbi=VALID_MBIS[0] if with_mbi else None,
        )
        self.history.extend(self.patient.collect_events())
        self.has_mbi = with_mbi

    @rule(
        dob=st.sampled_from([date(1940, 1, 1), AS_OF, AS_OF + timedelta(days=1)]),
        state=st.sampled_from(["TX", "tx", "ZZ"]),
        mbi=st.sampled_from([None, *VALID_MBIS, "1EG4TE5MK7S"]),
    )
    def correct_demographics(self, dob: date, state: str, mbi: str | None) -> None:
        ok = self.active and dob <= AS_OF and state != "ZZ" and mbi != "1EG4TE5MK7S"
        if self.attempt(
            ok, self.patient.correct_demographics, demographics(dob, state), as_of=AS_OF, mbi=mbi
        ):
            self.has_mbi = self.has_mbi or mbi is not None

    @rule(
        data=st.data(),
        payer_id=payers,
        rank=st.sampled_from(CoverageRank),
        effective_from=days,
        effective_to=st.none() | days,
    )
    def add_coverage(self, data, payer_id, rank, effective_from, effective_to) -> None:
        coverage_id = self.existing_or_new(data, self.coverages, usually_existing=False)
        ok = (
            self.active
            and coverage_id not in self.coverages
            and (effective_to is None or effective_from <= effective_to)
            and (not payer_id.startswith("MCR") or self.has_mbi)
            and not any(
                c.rank is rank
                and _overlap(c.effective_from, self.coverage_ends[i], effective_from, effective_to)
                for i, c in self.coverages.items()
            )
        )
        if self.attempt(
            ok,
            self.patient.add_coverage,
            coverage_id,
            payer_id,
            "Payer",
            "M-1",
            None,
            rank,
            RelationshipToSubscriber.SELF,
            effective_from,
            effective_to,
        ):
            self.coverages[coverage_id] = CoverageModel(rank, effective_from, effective_to)
            self.coverage_ends[coverage_id] = effective_to

    @precondition(lambda self: self.coverages)
    @rule(data=st.data(), terminated_on=days)
    def terminate_coverage(self, data, terminated_on: date) -> None:
        coverage_id = self.existing_or_new(data, self.coverages, usually_existing=True)
        model = self.coverages.get(coverage_id)
        ok = (
            self.active
            and model is not None
            and not model.terminated
            and model.effective_from <= terminated_on
            and (model.effective_to is None or terminated_on <= model.effective_to)
        )
        if self.attempt(ok, self.patient.terminate_coverage, coverage_id, terminated_on):
            model.terminated = True
            self.coverage_ends[coverage_id] = terminated_on

    @rule(
        data=st.data(),
        written_at=naive_or_aware_times,
        sections=st.tuples(texts, texts, texts, texts),
    )
    def add_note(self, data, written_at: datetime, sections) -> None:
        note_id = self.existing_or_new(data, self.notes, usually_existing=False)
        ok = (
            self.active
            and note_id not in self.notes
            and written_at.tzinfo is not None
            and any(s.strip() for s in sections)
        )
        if self.attempt(ok, self.patient.add_note, note_id, "rt-1", written_at, *sections):
            self.notes[note_id] = (1, written_at)

    @precondition(lambda self: self.notes)
    @rule(
        data=st.data(),
        delay=delays,
        zone=zones,
        text=st.sampled_from(["", " ", "Addendum: SpO2 was 89%.", "Late entry."]),
        reason=st.sampled_from(["", "typo", "late entry"]),
    )
    def amend_note(self, data, delay: timedelta, zone, text: str, reason: str) -> None:
        note_id = self.existing_or_new(data, self.notes, usually_existing=True)
        amendment_id = self.existing_or_new(data, self.amendment_ids, usually_existing=False)
        note = self.notes.get(note_id)
        written_at = in_zone((note[1] if note else BASE_TIME) + delay, zone)
        ok = (
            self.active
            and note is not None
            and amendment_id not in self.amendment_ids
            and zone is not None
            and delay >= timedelta(0)
            and bool(text.strip())
            and bool(reason.strip())
        )
        if self.attempt(
            ok, self.patient.amend_note, note_id, amendment_id, "rt-2", written_at, text, reason
        ):
            self.notes[note_id] = (note[0] + 1, note[1])
            self.amendment_ids.add(amendment_id)

    @rule(data=st.data(), requested_by=st.sampled_from(["dr-1", " ", "dr-1"]))
    def request_summary(self, data, requested_by: str) -> None:
        summary_id = self.existing_or_new(data, self.requested, usually_existing=False)
        ok = (
            self.active
            and summary_id not in self.requested
            and summary_id not in self.summaries
            and bool(requested_by.strip())
            and bool(self.notes)
        )
        if self.attempt(ok, self.patient.request_summary, summary_id, requested_by):
            self.requested.add(summary_id)

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), hash_matches=st.booleans(), generated_at=times)
    def record_summary(self, data, hash_matches: bool, generated_at: datetime) -> None:
        summary_id = self.existing_or_new(data, self.summaries, usually_existing=False)
        cited = [(i, v) for i, (version, _) in self.notes.items() for v in range(1, version + 1)]
        wrong = [(i, v) for i, (version, _) in self.notes.items() for v in (0, version + 1)]
        wrong.append((self.new_id(), 1))
        refs = data.draw(
            st.lists(st.sampled_from(cited), min_size=1, max_size=3)
            if cited and data.draw(st.integers(0, 3))
            else st.lists(st.sampled_from(cited + wrong), max_size=3)
        )
        text = "Summary of notes."
        ok = (
            self.active
            and summary_id not in self.summaries
            and bool(refs)
            and all(i in self.notes and 1 <= v <= self.notes[i][0] for i, v in refs)
            and hash_matches
        )
        if self.attempt(
            ok,
            self.patient.record_summary,
            summary_id,
            text,
            "anthropic",
            "model-x",
            "tpl@1",
            [NoteRef(i, v) for i, v in refs],
            sha256_hex(text if hash_matches else text + "!"),
            "user-1",
            generated_at,
        ):
            self.summaries[summary_id] = (generated_at, False)

    @precondition(lambda self: self.summaries)
    @rule(data=st.data(), delay=delays, approved=st.booleans())
    def review_summary(self, data, delay: timedelta, approved: bool) -> None:
        summary_id = self.existing_or_new(data, self.summaries, usually_existing=True)
        summary = self.summaries.get(summary_id)
        reviewed_at = (summary[0] if summary else BASE_TIME) + delay
        ok = self.active and summary is not None and not summary[1] and delay >= timedelta(0)
        if self.attempt(ok, self.patient.review_summary, summary_id, "dr-1", reviewed_at, approved):
            self.summaries[summary_id] = (summary[0], True)

    # Deactivation ends what a run can explore: only after a few events, mostly with a blank
    # reason (refused).
    @precondition(lambda self: len(self.history) >= 6)
    @rule(data=st.data(), coverage=st.sampled_from(["active", "inactive", "rejected", "maybe"]))
    def record_eligibility(self, data, coverage: str) -> None:
        """A 271 is recorded against one of the patient's coverages, in three words only."""
        coverage_id = self.existing_or_new(data, self.coverages, usually_existing=True)
        ok = coverage_id in self.coverages and coverage != "maybe"
        self.attempt(ok, self.patient.record_eligibility, coverage_id, "MCR-DMEB", coverage,
                     AS_OF, datetime(2026, 1, 5, tzinfo=UTC),
                     "72" if coverage == "rejected" else None)

    @rule(reason=st.sampled_from(["", " ", "\t", "", " ", "deceased"]), on=days)
    def deactivate(self, reason: str, on: date) -> None:
        ok = self.active and bool(reason.strip())
        if self.attempt(ok, self.patient.deactivate, reason, on):
            self.active = False

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def one_active_coverage_per_rank_on_every_day(self) -> None:
        for a, b in combinations(self.patient.coverages.values(), 2):
            if a.rank is b.rank:
                assert not a.overlaps(b.effective_from, b.ends_on), (a, b)
        for n in range(-1, DAYS + 2):
            on = BASE_DAY + timedelta(days=n)
            ranks = [c.rank for c in self.patient.active_coverages(on)]
            assert len(ranks) == len(set(ranks)), (on, ranks)

    @invariant()
    def medicare_coverage_only_with_an_mbi(self) -> None:
        if any(c.is_medicare for c in self.patient.coverages.values()):
            assert self.patient.mbi is not None

    @invariant()
    def model_and_patient_agree(self) -> None:
        assert set(self.patient.coverages) == set(self.coverages)
        assert {i: n.version for i, n in self.patient.notes.items()} == {
            i: v for i, (v, _) in self.notes.items()
        }
        assert self.patient.is_active == self.active
        assert (self.patient.mbi is not None) == self.has_mbi
        assert self.patient.version == len(self.history)

    @invariant()
    def replay_through_storage_equals_the_live_patient(self) -> None:
        assert vars(replay(self.history)) == vars(self.patient)


PatientMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_patient_state_machine = PatientMachine.TestCase

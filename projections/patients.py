"""`patients`: the patient read models (read.patients, read.coverages, read.notes,
read.summaries), from the Patients application's events.

A batch is folded (`projections/folding.py`): the rows of the patients it touches come in with
one query per table, each event changes them in memory in order (the `_PatientFold` method
named after it), and each changed row is written once.

Decisions a newcomer may question:
- Fuzzy search uses trigram arrays computed here (`trigrams`, the way pg_trgm splits words)
  under a plain GIN index, not the pg_trgm extension: the embedded PostgreSQL (pgserver) that
  `aries dev` and the tests use ships no contrib extensions.
- Nothing here depends on the date: age is computed when read, and a coverage's `status` says
  only whether a termination was recorded. The primary coverage summary on read.patients is the
  best-ranked coverage without a recorded termination (then the newest `effective_from`, then
  the id), recomputed from the patient's coverage rows when its coverages change.
- Every patient event moves read.patients.version and updated_at, so the version read there is
  the aggregate's and can be sent back as If-Match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import Connection

from domain.base import event_type
from domain.patient import Patient
from projections.base import Projection
from projections.folding import Row, Rows
from projections.tables import coverages, notes, patients, summaries

_WORDS = re.compile(r"[^\W_]+")
_RANK_ORDER = {"primary": 1, "secondary": 2, "tertiary": 3}
_COVERAGE_EVENTS = frozenset({"CoverageAdded", "CoverageTerminated"})


def trigrams(text: str) -> list[str]:
    """The sorted trigrams of the words of `text`, as pg_trgm makes them: lower case, each
    alphanumeric word padded with two spaces before and one after ("ann" -> "  a", " an",
    "ann", "nn ")."""
    grams: set[str] = set()
    for word in _WORDS.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return sorted(grams)


def search_text(last_name: str, first_name: str, account_number: str, mbi: str | None) -> str:
    return " ".join(p for p in (last_name, first_name, account_number, mbi or "") if p).lower()


def _demographics_row(demographics: Any) -> dict[str, Any]:
    address = demographics.address
    return {
        "first_name": demographics.first_name,
        "last_name": demographics.last_name,
        "date_of_birth": demographics.date_of_birth,
        "sex": demographics.sex.value,
        "address_line1": address.line1,
        "address_line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "phone": demographics.phone,
    }


def _search_row(row: Row) -> dict[str, Any]:
    text = search_text(row["last_name"], row["first_name"], row["account_number"], row["mbi"])
    return {"search_text": text, "search_trigrams": trigrams(text)}


def _name(event: Any) -> str:
    return event_type(get_topic(type(event)))


class _PatientFold:
    """One batch's rows, changed in memory by its events in order."""

    def __init__(self) -> None:
        self.patients = Rows(patients)
        self.coverages = Rows(coverages, group_by="patient_id")
        self.notes = Rows(notes)
        self.summaries = Rows(summaries)
        # Patients corrected in the batch: their search keys are computed once, before writing.
        self.renamed: set[Any] = set()

    def load(self, conn: Connection, named: Sequence[tuple[str, Any]]) -> None:
        """The stored rows the events will change (rows the batch creates are not read)."""
        created = {e.originator_id for name, e in named if name == "Registered"}
        self.patients.load(conn, "patient_id", {e.originator_id for _, e in named} - created)
        # Summarising coverages needs all of the patient's: its whole group comes in.
        self.coverages.load(
            conn,
            "patient_id",
            {e.originator_id for name, e in named if name in _COVERAGE_EVENTS} - created,
        )
        added = {e.note_id for name, e in named if name == "NoteAdded"}
        self.notes.load(
            conn, "note_id", {e.note_id for name, e in named if name == "NoteAmended"} - added
        )
        recorded = {e.summary_id for name, e in named if name == "SummaryRecorded"}
        self.summaries.load(
            conn,
            "summary_id",
            {e.summary_id for name, e in named if name == "SummaryReviewed"} - recorded,
        )

    def apply(self, name: str, event: Any) -> None:
        _STEPS.get(name, _PatientFold.touch)(self, event)

    def write(self, conn: Connection) -> None:
        for patient_id in self.renamed:
            self.patients.update(patient_id, **_search_row(self.patients[patient_id]))
        for rows in (self.patients, self.coverages, self.notes, self.summaries):
            rows.write(conn)

    # --- the patient ---------------------------------------------------------------------

    def touch(self, event: Any, **values: Any) -> Row:
        """Every event moves the version (the ETag), whether or not the rows show it."""
        return self.patients.update(
            event.originator_id,
            updated_at=event.timestamp,
            version=event.originator_version,
            **values,
        )

    def registered(self, event: Any) -> None:
        row = {
            "patient_id": event.originator_id,
            "tenant_id": event.tenant_id,
            "account_number": event.account_number,
            "mbi": event.mbi,
            **_demographics_row(event.demographics),
            "active": True,
            "deactivated_on": None,
            "primary_coverage_id": None,
            "primary_payer_id": None,
            "primary_payer_name": None,
            "primary_member_id": None,
            "primary_coverage_rank": None,
            "coverage_count": 0,
            "registered_at": event.timestamp,
            "updated_at": event.timestamp,
            "version": event.originator_version,
        }
        self.patients.add({**row, **_search_row(row)})

    def demographics_corrected(self, event: Any) -> None:
        current = self.patients[event.originator_id]
        # The domain keeps the MBI when a correction gives none.
        mbi = event.mbi if event.mbi is not None else current["mbi"]
        self.touch(event, **_demographics_row(event.demographics), mbi=mbi)
        self.renamed.add(event.originator_id)

    def deactivated(self, event: Any) -> None:
        self.touch(event, active=False, deactivated_on=event.deactivated_on)

    # --- coverages -----------------------------------------------------------------------

    def coverage_added(self, event: Any) -> None:
        self.coverages.add(
            {
                "coverage_id": event.coverage_id,
                "patient_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "payer_id": event.payer_id,
                "payer_name": event.payer_name,
                "member_id": event.member_id,
                "group_number": event.group_number,
                "rank": event.rank.value,
                "relationship_to_subscriber": event.relationship_to_subscriber.value,
                "effective_from": event.effective_from,
                "effective_to": event.effective_to,
                "terminated_on": None,
                "status": "open",
                "added_at": event.timestamp,
            }
        )
        self._summarise_coverage(event)

    def coverage_terminated(self, event: Any) -> None:
        self.coverages.update(
            event.coverage_id, terminated_on=event.terminated_on, status="terminated"
        )
        self._summarise_coverage(event)

    def _summarise_coverage(self, event: Any) -> None:
        open_ = [c for c in self.coverages.group(event.originator_id) if c["status"] == "open"]
        best = min(
            open_,
            key=lambda c: (
                _RANK_ORDER[c["rank"]],
                -c["effective_from"].toordinal(),
                str(c["coverage_id"]),
            ),
            default=None,
        )
        self.touch(
            event,
            coverage_count=len(open_),
            primary_coverage_id=None if best is None else best["coverage_id"],
            primary_payer_id=None if best is None else best["payer_id"],
            primary_payer_name=None if best is None else best["payer_name"],
            primary_member_id=None if best is None else best["member_id"],
            primary_coverage_rank=None if best is None else best["rank"],
        )

    # --- notes ---------------------------------------------------------------------------

    def note_added(self, event: Any) -> None:
        self.notes.add(
            {
                "note_id": event.note_id,
                "patient_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "author_id": event.author_id,
                "written_at": event.written_at,
                "subjective": event.subjective,
                "objective": event.objective,
                "assessment": event.assessment,
                "plan": event.plan,
                "version": 1,
                "amendments": [],
                "recorded_at": event.timestamp,
            }
        )
        self.touch(event)

    def note_amended(self, event: Any) -> None:
        amendment = {
            "amendment_id": str(event.amendment_id),
            "author_id": event.author_id,
            "written_at": event.written_at.isoformat(),
            "text": event.text,
            "reason": event.reason,
        }
        amendments = [*self.notes[event.note_id]["amendments"], amendment]
        self.notes.update(event.note_id, amendments=amendments, version=1 + len(amendments))
        self.touch(event)

    # --- summaries -----------------------------------------------------------------------

    def summary_recorded(self, event: Any) -> None:
        self.summaries.add(
            {
                "summary_id": event.summary_id,
                "patient_id": event.originator_id,
                "tenant_id": event.tenant_id,
                "text": event.text,
                "provider": event.provider,
                "model": event.model,
                "prompt_template_version": event.prompt_template_version,
                "notes_read": [
                    {"note_id": str(ref.note_id), "version": ref.version}
                    for ref in event.notes_read
                ],
                "output_sha256": event.output_sha256,
                "requested_by": event.requested_by,
                "generated_at": event.generated_at,
                "review_state": "pending",
                "reviewer_id": None,
                "reviewed_at": None,
                "review_comment": None,
            }
        )
        self.touch(event)

    def summary_reviewed(self, event: Any) -> None:
        self.summaries.update(
            event.summary_id,
            review_state="approved" if event.approved else "rejected",
            reviewer_id=event.reviewer_id,
            reviewed_at=event.reviewed_at,
            review_comment=event.comment,
        )
        self.touch(event)


# Patient events not named here (SummaryRequested, and any added later) only move the version.
_STEPS: dict[str, Callable[[_PatientFold, Any], Any]] = {
    "Registered": _PatientFold.registered,
    "DemographicsCorrected": _PatientFold.demographics_corrected,
    "Deactivated": _PatientFold.deactivated,
    "CoverageAdded": _PatientFold.coverage_added,
    "CoverageTerminated": _PatientFold.coverage_terminated,
    "NoteAdded": _PatientFold.note_added,
    "NoteAmended": _PatientFold.note_amended,
    "SummaryRecorded": _PatientFold.summary_recorded,
    "SummaryReviewed": _PatientFold.summary_reviewed,
}


class PatientsProjection(Projection):
    name = "patients"
    upstreams = ("patients",)
    tables = (patients, coverages, notes, summaries)

    def wants(self, topic: str) -> bool:
        # Every Patient event moves the patient's version: all of them are decoded and folded.
        return issubclass(resolve_topic(topic), Patient.Event)

    def apply_batch(
        self, conn: Connection, upstream: str, events: Sequence[tuple[int, Any]]
    ) -> None:
        named = [(_name(event), event) for _, event in events]
        fold = _PatientFold()
        fold.load(conn, named)
        for name, event in named:
            fold.apply(name, event)
        fold.write(conn)

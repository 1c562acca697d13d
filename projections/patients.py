"""`patients`: the patient read models (read.patients, read.coverages, read.notes,
read.summaries), from the Patients application's events.

One handler per Patient event class changes the batch's rows in memory
(`projections/folding.py`); each reads the rows of its patient that it changes, found by
`patient_id` in every table.

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
- Amending a note or reviewing a summary loads all of the patient's notes or summaries (rows
  are found by their aggregate's id): both are rare, and a patient has tens of them at most.
"""

from __future__ import annotations

import re
from typing import Any

from domain.patient import Patient
from projections.base import Projection, handles
from projections.folding import Row, Rows
from projections.metadata import EventMetadata
from projections.patients_tables import coverages, notes, patients, summaries

PATIENT = patients.c.patient_id
COVERAGES = coverages.c.patient_id
NOTES = notes.c.patient_id
SUMMARIES = summaries.c.patient_id

_WORDS = re.compile(r"[^\W_]+")
_RANK_ORDER = {"primary": 1, "secondary": 2, "tertiary": 3}


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


def _search_text(row: Row) -> str:
    return search_text(row["last_name"], row["first_name"], row["account_number"], row["mbi"])


class PatientsProjection(Projection):
    name = "patients"
    upstreams = ("patients",)
    tables = (patients, coverages, notes, summaries)

    @handles(Patient.Event, reads=PATIENT, metadata_only=True)
    def changed(self, rows: Rows, event: EventMetadata) -> None:
        """Patient events without a handler of their own (SummaryRequested, and any added
        later) only move the version."""
        rows[patients].touch(event)

    # --- the patient ---------------------------------------------------------------------

    @handles(Patient.Registered)
    def registered(self, rows: Rows, event: Any) -> None:
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
        text = _search_text(row)
        rows[patients].add({**row, "search_text": text, "search_trigrams": trigrams(text)})

    @handles(Patient.DemographicsCorrected, reads=PATIENT)
    def demographics_corrected(self, rows: Rows, event: Any) -> None:
        current = rows[patients].get(event.originator_id)
        # The domain keeps the MBI when a correction gives none.
        mbi = event.mbi if event.mbi is not None else current["mbi"]
        row = rows[patients].touch(event, **_demographics_row(event.demographics), mbi=mbi)
        text = _search_text(row)
        if text != row["search_text"]:
            rows[patients].update(
                event.originator_id, search_text=text, search_trigrams=trigrams(text)
            )

    @handles(Patient.Deactivated, reads=PATIENT)
    def deactivated(self, rows: Rows, event: Any) -> None:
        rows[patients].touch(event, active=False, deactivated_on=event.deactivated_on)

    # --- coverages -----------------------------------------------------------------------

    @handles(Patient.CoverageAdded, reads=(PATIENT, COVERAGES))
    def coverage_added(self, rows: Rows, event: Any) -> None:
        rows[coverages].add(
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
        _summarise_coverage(rows, event)

    @handles(Patient.CoverageTerminated, reads=(PATIENT, COVERAGES))
    def coverage_terminated(self, rows: Rows, event: Any) -> None:
        rows[coverages].update(
            event.coverage_id, terminated_on=event.terminated_on, status="terminated"
        )
        _summarise_coverage(rows, event)

    # --- notes ---------------------------------------------------------------------------

    @handles(Patient.NoteAdded, reads=PATIENT)
    def note_added(self, rows: Rows, event: Any) -> None:
        rows[notes].add(
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
        rows[patients].touch(event)

    @handles(Patient.NoteAmended, reads=(PATIENT, NOTES))
    def note_amended(self, rows: Rows, event: Any) -> None:
        amendment = {
            "amendment_id": str(event.amendment_id),
            "author_id": event.author_id,
            "written_at": event.written_at.isoformat(),
            "text": event.text,
            "reason": event.reason,
        }
        amendments = [*rows[notes].get(event.note_id)["amendments"], amendment]
        rows[notes].update(event.note_id, amendments=amendments, version=1 + len(amendments))
        rows[patients].touch(event)

    # --- summaries -----------------------------------------------------------------------

    @handles(Patient.SummaryRecorded, reads=PATIENT)
    def summary_recorded(self, rows: Rows, event: Any) -> None:
        rows[summaries].add(
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
        rows[patients].touch(event)

    @handles(Patient.SummaryReviewed, reads=(PATIENT, SUMMARIES))
    def summary_reviewed(self, rows: Rows, event: Any) -> None:
        rows[summaries].update(
            event.summary_id,
            review_state="approved" if event.approved else "rejected",
            reviewer_id=event.reviewer_id,
            reviewed_at=event.reviewed_at,
            review_comment=event.comment,
        )
        rows[patients].touch(event)


def _summarise_coverage(rows: Rows, event: Any) -> None:
    open_ = [
        c for c in rows[coverages].group("patient_id", event.originator_id) if c["status"] == "open"
    ]
    best = min(
        open_,
        key=lambda c: (
            _RANK_ORDER[c["rank"]],
            -c["effective_from"].toordinal(),
            str(c["coverage_id"]),
        ),
        default=None,
    )
    rows[patients].touch(
        event,
        coverage_count=len(open_),
        primary_coverage_id=None if best is None else best["coverage_id"],
        primary_payer_id=None if best is None else best["payer_id"],
        primary_payer_name=None if best is None else best["payer_name"],
        primary_member_id=None if best is None else best["member_id"],
        primary_coverage_rank=None if best is None else best["rank"],
    )

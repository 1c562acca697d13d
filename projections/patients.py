"""`patients`: the patient read models (read.patients, read.coverages, read.notes,
read.summaries), from the Patients application's events.

Decisions a newcomer may question:
- Fuzzy search uses trigram arrays computed here (`trigrams`, the way pg_trgm splits words)
  under a plain GIN index, not the pg_trgm extension: the embedded PostgreSQL (pgserver) that
  `aries dev` and the tests use ships no contrib extensions.
- Nothing here depends on the date: age is computed when read, and a coverage's `status` says
  only whether a termination was recorded. The primary coverage summary on read.patients is the
  best-ranked coverage without a recorded termination (then the newest `effective_from`, then
  the id), recomputed from read.coverages (this projection's own table) when coverages change.
- Every patient event moves read.patients.version and updated_at, so the version read there is
  the aggregate's and can be sent back as If-Match.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, insert, select, update

from domain.patient import Patient
from projections.base import Projection, handles
from projections.tables import coverages, notes, patients, summaries

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


def _search_row(row: dict[str, Any]) -> dict[str, Any]:
    text = search_text(row["last_name"], row["first_name"], row["account_number"], row["mbi"])
    return {"search_text": text, "search_trigrams": trigrams(text)}


def _iso(value: Any) -> str:
    return value.isoformat()


class PatientsProjection(Projection):
    name = "patients"
    upstreams = ("patients",)
    tables = (patients, coverages, notes, summaries)

    # --- the patient ---------------------------------------------------------------------

    @handles(Patient.Registered)
    def registered(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
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
        conn.execute(insert(patients), [{**row, **_search_row(row)}])

    @handles("aries.patient.DemographicsCorrected")
    def demographics_corrected(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        current = conn.execute(
            select(patients.c.account_number, patients.c.mbi).where(
                patients.c.patient_id == event.originator_id
            )
        ).one()
        row = {
            **_demographics_row(event.demographics),
            "account_number": current.account_number,
            # The domain keeps the MBI when a correction gives none.
            "mbi": event.mbi if event.mbi is not None else current.mbi,
        }
        self._touch(conn, event, **row, **_search_row(row))

    @handles("aries.patient.Deactivated")
    def deactivated(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        self._touch(conn, event, active=False, deactivated_on=event.deactivated_on)

    @handles(Patient.Event)
    def other_event(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        # An event this read model shows nothing of still moves the version (the ETag).
        self._touch(conn, event)

    def _touch(self, conn: Connection, event: Any, **values: Any) -> None:
        conn.execute(
            update(patients)
            .where(patients.c.patient_id == event.originator_id)
            .values(updated_at=event.timestamp, version=event.originator_version, **values)
        )

    # --- coverages -----------------------------------------------------------------------

    @handles("aries.patient.CoverageAdded")
    def coverage_added(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        conn.execute(
            insert(coverages),
            [
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
            ],
        )
        self._summarise_coverage(conn, event)

    @handles("aries.patient.CoverageTerminated")
    def coverage_terminated(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        conn.execute(
            update(coverages)
            .where(coverages.c.coverage_id == event.coverage_id)
            .values(terminated_on=event.terminated_on, status="terminated")
        )
        self._summarise_coverage(conn, event)

    def _summarise_coverage(self, conn: Connection, event: Any) -> None:
        open_ = conn.execute(
            select(
                coverages.c.coverage_id,
                coverages.c.payer_id,
                coverages.c.payer_name,
                coverages.c.member_id,
                coverages.c.rank,
                coverages.c.effective_from,
            ).where(
                coverages.c.patient_id == event.originator_id, coverages.c.status == "open"
            )
        ).all()
        best = min(
            open_,
            key=lambda c: (_RANK_ORDER[c.rank], -c.effective_from.toordinal(), str(c.coverage_id)),
            default=None,
        )
        self._touch(
            conn,
            event,
            coverage_count=len(open_),
            primary_coverage_id=None if best is None else best.coverage_id,
            primary_payer_id=None if best is None else best.payer_id,
            primary_payer_name=None if best is None else best.payer_name,
            primary_member_id=None if best is None else best.member_id,
            primary_coverage_rank=None if best is None else best.rank,
        )

    # --- notes ---------------------------------------------------------------------------

    @handles("aries.patient.NoteAdded")
    def note_added(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        conn.execute(
            insert(notes),
            [
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
            ],
        )
        self._touch(conn, event)

    @handles("aries.patient.NoteAmended")
    def note_amended(self, conn: Connection, event: Any, upstream: str, position: int) -> None:
        current = conn.execute(
            select(notes.c.amendments).where(notes.c.note_id == event.note_id)
        ).scalar_one()
        amendment = {
            "amendment_id": str(event.amendment_id),
            "author_id": event.author_id,
            "written_at": _iso(event.written_at),
            "text": event.text,
            "reason": event.reason,
        }
        amendments = [*current, amendment]
        conn.execute(
            update(notes)
            .where(notes.c.note_id == event.note_id)
            .values(amendments=amendments, version=1 + len(amendments))
        )
        self._touch(conn, event)

    # --- summaries -----------------------------------------------------------------------

    @handles("aries.patient.SummaryRecorded")
    def summary_recorded(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        conn.execute(
            insert(summaries),
            [
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
            ],
        )
        self._touch(conn, event)

    @handles("aries.patient.SummaryReviewed")
    def summary_reviewed(
        self, conn: Connection, event: Any, upstream: str, position: int
    ) -> None:
        conn.execute(
            update(summaries)
            .where(summaries.c.summary_id == event.summary_id)
            .values(
                review_state="approved" if event.approved else "rejected",
                reviewer_id=event.reviewer_id,
                reviewed_at=event.reviewed_at,
                review_comment=event.comment,
            )
        )
        self._touch(conn, event)

"""The Patient's deciding checks, as pure functions: a command's values checked and normalised
(demographics, address, coverage terms, SOAP sections, a summary's provenance and citations).
The aggregate (`domain.patient`) calls them from its public command methods, never from an
`@event` body. Rule names are stable: clients match them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from uuid import UUID

from domain.errors import InvalidValue, RuleViolated, require
from domain.patient_values import (
    Address,
    Coverage,
    CoverageRank,
    Demographics,
    Note,
    NoteRef,
    RelationshipToSubscriber,
    Sex,
)
from domain.rules import billing_rule, calendar_date, present_text

# The 50 states, DC, the territories and the military "states" USPS delivers to.
_STATES = """AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH
NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"""
USPS_STATE_CODES = frozenset((_STATES + " DC AS GU MP PR VI AA AE AP").split())


def optional_text(value: str | None) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def _postal_code(value: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) == 10 and text[5] == "-":
        text = text[:5] + text[6:]
    if not (len(text) in (5, 9) and text.isascii() and text.isdigit()):
        raise InvalidValue("postal_code_is_5_or_9_digits", f"{value!r} is not a ZIP or ZIP+4")
    return text


def checked_address(address: Address) -> Address:
    """The address normalised (trimmed, state upper case, bare ZIP digits), or InvalidValue."""
    state = address.state.strip().upper() if isinstance(address.state, str) else ""
    if state not in USPS_STATE_CODES:
        raise InvalidValue("state_is_a_usps_code", f"{address.state!r} is not a USPS state code")
    return Address(
        line1=present_text(address.line1, "address line 1", "address_is_complete"),
        line2=optional_text(address.line2),
        city=present_text(address.city, "city", "address_is_complete"),
        state=state,
        postal_code=_postal_code(address.postal_code),
    )


def checked_demographics(demographics: Demographics, as_of: date) -> Demographics:
    """The demographics normalised, or InvalidValue; `as_of` is the caller's business date."""
    as_of = calendar_date(as_of, "as_of")
    date_of_birth = calendar_date(demographics.date_of_birth, "date of birth")
    if date_of_birth > as_of:
        raise InvalidValue(
            "date_of_birth_is_not_in_the_future",
            f"date of birth {date_of_birth} is after {as_of}",
        )
    if not isinstance(demographics.sex, Sex):
        raise InvalidValue("sex_is_a_known_value", f"{demographics.sex!r} is not a Sex")
    return Demographics(
        first_name=present_text(demographics.first_name, "first name", "patient_name_is_present"),
        last_name=present_text(demographics.last_name, "last name", "patient_name_is_present"),
        date_of_birth=date_of_birth,
        sex=demographics.sex,
        address=checked_address(demographics.address),
        phone=optional_text(demographics.phone),
    )


def sha256_hex(text: str) -> str:
    """The hash a summary's `output_sha256` must carry: SHA-256 of the UTF-8 text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _note_ref(value: NoteRef | tuple[UUID, int]) -> NoteRef:
    """A cited note as a NoteRef, from a NoteRef or a (note id, version) pair."""
    ref = value if isinstance(value, NoteRef) else None
    if ref is None and isinstance(value, tuple | list) and len(value) == 2:
        ref = NoteRef(note_id=value[0], version=value[1])
    if (
        ref is None
        or not isinstance(ref.note_id, UUID)
        or not isinstance(ref.version, int)
        or isinstance(ref.version, bool)
    ):
        raise InvalidValue(
            "note_reference_is_well_formed", f"{value!r} is not a (note id, version) pair"
        )
    return ref


# --- Coverages ------------------------------------------------------------------------------


def coverage_terms_are_known(rank: object, relationship_to_subscriber: object) -> None:
    if not isinstance(rank, CoverageRank):
        raise InvalidValue("coverage_rank_is_a_known_value", f"{rank!r} is not a rank")
    if not isinstance(relationship_to_subscriber, RelationshipToSubscriber):
        raise InvalidValue(
            "relationship_to_subscriber_is_a_known_value",
            f"{relationship_to_subscriber!r} is not a relationship",
        )


@billing_rule(
    "X12 005010X222A1 (837P) TR3: loop 2000B SBR02 is 18 only when the subscriber is the"
    " patient; otherwise 2010BA names the subscriber and loop 2000C (HL03 23, PAT01 the"
    " relationship) with 2010CA names the patient",
    "tests/unit/test_patient.py::test_coverage_names_its_subscriber_when_not_the_patient",
    "tests/unit/test_patient.py::test_subscriber_details_only_when_not_the_patient",
    "tests/unit/test_x12_writer.py::test_a_spouses_plan_names_the_subscriber_in_2010ba_and_the_patient_in_2000c",
    "tests/integration/test_submission.py::test_a_claim_on_a_spouses_plan_goes_out_with_the_subscriber_and_a_patient_level",
)
def coverage_subscriber(
    relationship: RelationshipToSubscriber, subscriber: Demographics | None, as_of: date
) -> Demographics | None:
    """A coverage the patient holds through someone else (spouse, parent, other) records the
    subscriber's name, birth date, sex and address, which the 837P gives in loop 2010BA with
    the patient in 2000C/2010CA; a coverage the patient holds as subscriber records none.

    Answers the subscriber's demographics checked as a patient's are (None for self)."""
    if relationship is RelationshipToSubscriber.SELF:
        require(
            subscriber is None,
            "subscriber_details_only_when_not_the_patient",
            "the patient is the subscriber: give no other subscriber",
        )
        return None
    require(
        isinstance(subscriber, Demographics),
        "coverage_names_its_subscriber_when_not_the_patient",
        f"a {relationship.value}'s coverage needs the subscriber's name, birth date, sex and"
        " address",
    )
    assert subscriber is not None
    return checked_demographics(subscriber, as_of)


def coverage_period(effective_from: date, effective_to: date | None) -> tuple[date, date | None]:
    """The period, first and last covered day (None: open-ended), in order."""
    effective_from = calendar_date(effective_from, "effective_from")
    if effective_to is not None:
        effective_to = calendar_date(effective_to, "effective_to")
        require(
            effective_from <= effective_to,
            "coverage_period_is_ordered",
            f"coverage ends {effective_to} before it starts {effective_from}",
        )
    return effective_from, effective_to


def one_active_coverage_per_rank(
    coverages: Iterable[Coverage],
    rank: CoverageRank,
    effective_from: date,
    effective_to: date | None,
) -> None:
    clash = next(
        (c for c in coverages if c.rank is rank and c.overlaps(effective_from, effective_to)), None
    )
    if clash is not None:
        raise RuleViolated(
            "one_active_coverage_per_rank",
            f"{rank.value} coverage {clash.coverage_id} is active during "
            f"{effective_from}..{effective_to or 'open'}",
        )


def termination_falls_within_the_coverage(coverage: Coverage, terminated_on: date) -> None:
    require(
        terminated_on >= coverage.effective_from,
        "coverage_termination_not_before_effective_date",
        f"termination {terminated_on} is before the effective date {coverage.effective_from}",
    )
    require(
        coverage.effective_to is None or terminated_on <= coverage.effective_to,
        "coverage_termination_not_after_effective_to",
        f"termination {terminated_on} is after the coverage ends {coverage.effective_to}",
    )


# --- Notes and summaries --------------------------------------------------------------------


def soap_sections(*sections: object) -> list[str]:
    """The sections as written (not text: empty); at least one must be more than whitespace."""
    texts = [s if isinstance(s, str) else "" for s in sections]
    require(
        any(s.strip() for s in texts),
        "note_has_a_soap_section",
        "a note needs at least one of subjective, objective, assessment, plan",
    )
    return texts


def checked_provenance(
    provider: str, model: str, prompt_template_version: str, requested_by: str
) -> list[str]:
    """Who and what wrote a summary, each trimmed and required."""
    return [
        present_text(value, what, "summary_provenance_is_complete")
        for value, what in (
            (provider, "provider"),
            (model, "model"),
            (prompt_template_version, "prompt template version"),
            (requested_by, "requested by"),
        )
    ]


def cited_note_versions(
    notes_read: Iterable[NoteRef | tuple[UUID, int]], notes: Mapping[UUID, Note]
) -> list[NoteRef]:
    """The notes a summary read: at least one, each an existing version of an existing note."""
    refs = [_note_ref(r) for r in notes_read]
    require(bool(refs), "summary_cites_at_least_one_note", "a summary must cite its notes")
    missing = [
        r for r in refs if r.note_id not in notes or not 1 <= r.version <= notes[r.note_id].version
    ]
    require(
        not missing,
        "summary_cites_existing_note_versions",
        "no such note version: " + ", ".join(f"{r.note_id} v{r.version}" for r in missing),
    )
    return refs


def output_hash_of(text: str, output_sha256: object) -> str:
    """`output_sha256` as stored (lower-case hex), which must be the SHA-256 of `text`."""
    digest = output_sha256.strip().lower() if isinstance(output_sha256, str) else ""
    require(
        digest == sha256_hex(text),
        "summary_output_hash_matches_text",
        "output_sha256 is not the SHA-256 of the summary text",
    )
    return digest

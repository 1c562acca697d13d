"""The prompt a summary provider receives, versioned, and the de-identification it rests on.

Direct identifiers never leave Aries in a prompt: the patient's name, MBI, date of birth,
address, phone, account number, member ids and ids are replaced by placeholders (`[NAME]`,
`[MBI]`, ...) wherever they appear in note text, and anything shaped like an MBI, a phone
number, an SSN or an e-mail address is replaced too, whoever it belongs to. What is left is the
clinical content and the dates the notes were written (clinically needed: a limited data set).
Note and author ids stay out: provenance records them, the provider does not need them.

Change the wording, the order or the redaction and you change what a summary means: bump
`TEMPLATE_VERSION`, which every recorded summary carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from application.ports import NoteForSummary, SummaryRequest
from domain.mbi import MBI_LETTERS
from domain.patient import Patient
from domain.patient_values import Note

TEMPLATE_VERSION = "soap-summary/1"

INSTRUCTIONS = (
    "You summarise clinical SOAP notes of one patient of a home medical equipment supplier "
    "for a clinician who will review your summary. Write plain text under the headings "
    "Subjective, Objective, Assessment and Plan, then Amendments if there are any. Keep "
    "measurements (vitals, labs, device data such as CPAP usage or oxygen saturation) with "
    "their values and dates. Prefer the latest information, and note changes over time. Use "
    "only facts stated in the notes; do not guess or add advice. Identifiers were removed and "
    "appear as placeholders such as [NAME]; never try to fill them in."
)

# Any MBI, printed (1EG4-TE5-MK73, 1EG4 TE5 MK73) or bare, in either case.
_L, _LD = f"[{MBI_LETTERS}]", f"[{MBI_LETTERS}0-9]"
_MBI_SHAPE = re.compile(
    rf"\b[1-9]{_L}{_LD}[0-9][\s-]?{_L}{_LD}[0-9][\s-]?{_L}{_L}[0-9]{{2}}\b", re.IGNORECASE
)
_PHONE_SHAPE = re.compile(r"(?<![\w/.])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}\b")
_SSN_SHAPE = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_EMAIL_SHAPE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def _date_forms(day: date) -> set[str]:
    month = _MONTHS[day.month - 1]
    return {
        day.isoformat(),
        f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}",
        f"{day.month}/{day.day}/{day.year % 100:02d}",
        f"{day.month:02d}-{day.day:02d}-{day.year}",
        f"{month} {day.day}, {day.year}",
        f"{month[:3]} {day.day}, {day.year}",
        f"{day.day} {month} {day.year}",
        f"{day.day} {month[:3]} {day.year}",
        f"{day.year}{day.month:02d}{day.day:02d}",
    }


def _words(value: str | None) -> list[str]:
    return [w for w in re.split(r"[\s,]+", value or "") if len(w) >= 2]


def _literal(value: str) -> str:
    """A pattern for `value` as a whole word, case-insensitive, any whitespace between words."""
    parts = [re.escape(p) for p in value.split()]
    return r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)"


class Redactor:
    """Replaces one patient's direct identifiers, and identifier-shaped text, in free text."""

    def __init__(self, patient: Patient) -> None:
        d = patient.demographics
        address = d.address
        rules: list[tuple[str, Iterable[str]]] = [
            ("[MBI]", [patient.mbi] if patient.mbi else []),
            ("[ACCOUNT]", [patient.account_number, str(patient.id), patient.id.hex]),
            ("[MEMBER-ID]", [c.member_id for c in patient.coverages.values()]),
            ("[DOB]", _date_forms(d.date_of_birth)),
            (
                "[ADDRESS]",
                [
                    address.line1,
                    address.line2 or "",
                    address.postal_code,
                    f"{address.postal_code[:5]}-{address.postal_code[5:]}"
                    if len(address.postal_code) == 9
                    else "",
                    address.city,
                ],
            ),
            ("[NAME]", [f"{d.first_name} {d.last_name}", f"{d.last_name}, {d.first_name}"]),
            ("[NAME]", _words(d.first_name) + _words(d.last_name)),
        ]
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for placeholder, values in rules:
            # Longest first, so "12 Elm St" goes before a shorter value inside it.
            for value in sorted({v.strip() for v in values if v and v.strip()}, key=len,
                                reverse=True):
                self._patterns.append((re.compile(_literal(value), re.IGNORECASE), placeholder))
        if d.phone:
            digits = re.sub(r"\D", "", d.phone)[-10:]
            if len(digits) == 10:
                loose = r"\D{0,3}".join(digits)
                self._patterns.append((re.compile(rf"(?<!\d){loose}(?!\d)"), "[PHONE]"))
        self._patterns += [
            (_EMAIL_SHAPE, "[EMAIL]"),
            (_SSN_SHAPE, "[SSN]"),
            (_MBI_SHAPE, "[MBI]"),
            (_PHONE_SHAPE, "[PHONE]"),
        ]

    def __call__(self, text: str) -> str:
        for pattern, placeholder in self._patterns:
            text = pattern.sub(placeholder, text)
        return text


def notes_for_summary(patient: Patient, notes: Iterable[Note]) -> tuple[NoteForSummary, ...]:
    """The notes, oldest first, de-identified, amendments in order."""
    redact = Redactor(patient)
    ordered = sorted(notes, key=lambda n: (n.written_at, str(n.note_id)))
    return tuple(
        NoteForSummary(
            written_on=note.written_at.date(),
            subjective=redact(note.subjective),
            objective=redact(note.objective),
            assessment=redact(note.assessment),
            plan=redact(note.plan),
            amendments=tuple(
                f"({a.written_at.date().isoformat()}) {redact(a.text)}" for a in note.amendments
            ),
        )
        for note in ordered
    )


def render_prompt(notes: Iterable[NoteForSummary]) -> str:
    blocks = []
    for number, note in enumerate(notes, start=1):
        lines = [f"Note {number}, written {note.written_on.isoformat()}"]
        for heading, text in (
            ("Subjective", note.subjective),
            ("Objective", note.objective),
            ("Assessment", note.assessment),
            ("Plan", note.plan),
        ):
            if text.strip():
                lines.append(f"{heading}:\n{text.strip()}")
        lines += [f"Amendment {a}" for a in note.amendments]
        blocks.append("\n".join(lines))
    return "Summarise these notes (oldest first).\n\n" + "\n\n---\n\n".join(blocks)


def summary_request(patient: Patient, notes: Iterable[Note]) -> SummaryRequest:
    """What a provider receives for these notes of `patient`: nothing that identifies them."""
    prepared = notes_for_summary(patient, notes)
    return SummaryRequest(
        template_version=TEMPLATE_VERSION,
        notes=prepared,
        instructions=INSTRUCTIONS,
        prompt=render_prompt(prepared),
    )

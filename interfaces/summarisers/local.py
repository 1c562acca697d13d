"""The default summary provider: an extractive summary of SOAP notes, offline and deterministic.

Section aware: a note's text is split into Subjective, Objective, Assessment and Plan by the
field it was written in and by SOAP headings inside the text (`S:`, `Objective:`, `A/P:`...).
Only those headings switch sections: `Vitals:`, `Labs:`, `Meds:` and the like are labelled
lines of the section they are in (an Objective's vitals stay Objective). Each section keeps its
most informative sentences across the notes: labelled lines and measurements first, then the
sentences whose words recur most in that section, later notes before earlier ones; every
section that has text keeps at least one sentence, and the latest note's labelled data lines
(vitals, labs) are always kept. Amendments are corrections and are always kept. The summary
quotes the notes as written, each sentence with the date of its note.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from application.ports import GeneratedSummary, NoteForSummary, SummaryRequest

MODEL = "extractive-soap/1"
SECTIONS = ("subjective", "objective", "assessment", "plan")
HEADINGS = {"subjective": "Subjective", "objective": "Objective", "assessment": "Assessment",
            "plan": "Plan"}
# How many sentences each section keeps (Objective holds the measurements).
BUDGET = {"subjective": 4, "objective": 6, "assessment": 3, "plan": 4}
LATEST_DATA_LINES = 4

_SOAP_HEADING = re.compile(
    r"^\s*(?P<name>s|o|a|p|subjective|objective|assessment|plan|a/p|assessment\s*(?:and|&)\s*plan)"
    r"\s*[:\-]\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_SECTION_OF = {
    "s": "subjective", "subjective": "subjective",
    "o": "objective", "objective": "objective",
    "a": "assessment", "assessment": "assessment", "a/p": "assessment",
    "p": "plan", "plan": "plan",
}
_LABELLED = re.compile(r"^\s*[A-Za-z][A-Za-z0-9 /&()+-]{0,30}:\s*\S")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[])")
_WORD = re.compile(r"[a-z][a-z0-9%]{2,}")
_NUMBER = re.compile(r"\d")
_STOP = frozenset(
    """the and for with was were has have had this that from into not are but his her she him
    they them their there then than will would should could also per via any all one two
    patient pt reports reported states stated today note noted""".split()
)


@dataclass(frozen=True)
class _Unit:
    section: str
    note_index: int
    order: int
    text: str
    labelled: bool


def _section_name(raw: str) -> str:
    key = re.sub(r"\s+", " ", raw.strip().lower())
    if key.startswith("assessment") and "plan" in key:
        return "assessment"
    return _SECTION_OF[key]


def split_sections(note: NoteForSummary) -> dict[str, list[str]]:
    """The note's lines by SOAP section: the field a line was written in, unless a SOAP heading
    inside the text moves it (only S/O/A/P headings do; `Vitals:` does not)."""
    lines: dict[str, list[str]] = {s: [] for s in SECTIONS}
    for field in SECTIONS:
        current = field
        for line in getattr(note, field).splitlines():
            heading = _SOAP_HEADING.match(line)
            if heading:
                current = _section_name(heading.group("name"))
                line = heading.group("rest")
            if line.strip():
                lines[current].append(line.strip())
    return lines


def _pieces(line: str) -> list[str]:
    """A line's sentences; a labelled line (`Vitals: BP 130/80, HR 72.`) stays whole up to the
    next label, so `Vitals: ... Labs: ...` on one line gives two data lines."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(line):
        sentence = sentence.strip()
        if not sentence:
            continue
        if pieces and _LABELLED.match(pieces[-1]) and not _LABELLED.match(sentence):
            pieces[-1] += " " + sentence
        else:
            pieces.append(sentence)
    return pieces


def _units(notes: tuple[NoteForSummary, ...]) -> list[_Unit]:
    units = []
    for index, note in enumerate(notes):
        order = 0
        for section, lines in split_sections(note).items():
            for line in lines:
                for piece in _pieces(line):
                    labelled = bool(_LABELLED.match(piece))
                    units.append(_Unit(section, index, order, piece, labelled))
                    order += 1
    return units


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _score(unit: _Unit, frequency: Counter[str], notes: int) -> float:
    words = _words(unit.text)
    centrality = sum(frequency[w] for w in set(words)) / (1 + len(set(words))) if words else 0.0
    data = 2.0 if unit.labelled else 0.0
    data += 1.5 if _NUMBER.search(unit.text) else 0.0
    recency = 2.0 * (unit.note_index + 1) / notes
    return centrality + data + recency


def _select(section_units: list[_Unit], budget: int, notes: int) -> list[_Unit]:
    frequency: Counter[str] = Counter()
    for unit in section_units:
        frequency.update(set(_words(unit.text)))
    # The same sentence repeated in note after note counts once, at its latest.
    latest: dict[str, _Unit] = {}
    for unit in section_units:
        latest[re.sub(r"\W+", " ", unit.text.lower()).strip()] = unit
    candidates = list(latest.values())
    last_note = max((u.note_index for u in candidates if u.labelled), default=None)
    kept = [u for u in candidates if u.labelled and u.note_index == last_note]
    kept = kept[:LATEST_DATA_LINES]
    ranked = sorted(
        (u for u in candidates if u not in kept),
        key=lambda u: (-_score(u, frequency, notes), -u.note_index, u.order),
    )
    kept += ranked[: max(0, budget - len(kept))]
    if not kept and candidates:
        kept = ranked[:1]
    return sorted(kept, key=lambda u: (u.note_index, u.order))


def summarise_notes(notes: tuple[NoteForSummary, ...]) -> str:
    if not notes:
        return ""
    units = _units(notes)
    first, last = notes[0].written_on, notes[-1].written_on
    span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    plural = "s" if len(notes) != 1 else ""
    out = [f"Summary of {len(notes)} note{plural} ({span}); sentences quoted as written."]
    for section in SECTIONS:
        chosen = _select([u for u in units if u.section == section], BUDGET[section], len(notes))
        if chosen:
            out.append(f"{HEADINGS[section]}:")
            out += [f"- [{notes[u.note_index].written_on.isoformat()}] {u.text}" for u in chosen]
    amendments = [
        f"- [{note.written_on.isoformat()} note] amended {text}"
        for note in notes
        for text in note.amendments
    ]
    if amendments:
        out.append("Amendments:")
        out += amendments
    return "\n".join(out)


class LocalSummariser:
    """The offline provider (`ARIES_SUMMARY_PROVIDER=local`)."""

    name = "local"
    model = MODEL

    def summarise(self, request: SummaryRequest) -> GeneratedSummary:
        return GeneratedSummary(text=summarise_notes(request.notes), model=MODEL)

"""The offline, section-aware extractive summariser."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from application.ports import NoteForSummary, SummaryRequest
from interfaces.summarisers.local import LocalSummariser, split_sections, summarise_notes


def note(day: int = 1, **sections: str) -> NoteForSummary:
    return NoteForSummary(
        written_on=date(2025, 3, day),
        subjective=sections.get("subjective", ""),
        objective=sections.get("objective", ""),
        assessment=sections.get("assessment", ""),
        plan=sections.get("plan", ""),
        amendments=tuple(sections.get("amendments", ())),
    )


def section(summary: str, heading: str) -> list[str]:
    """The bullet lines under `heading:` in a summary."""
    lines = summary.splitlines()
    if f"{heading}:" not in lines:
        return []
    start = lines.index(f"{heading}:") + 1
    body = []
    for line in lines[start:]:
        if not line.startswith("- "):
            break
        body.append(line)
    return body


SOAP_IN_ONE_FIELD = """S: Reports using CPAP most nights, mask leaks when sleeping on side.
Denies morning headaches. Wife notes less snoring.
O: Vitals: BP 132/84, HR 76, SpO2 95% on room air, BMI 34.1.
Labs: HbA1c 7.2%, TSH 2.1.
Download: usage 5.6 h/night, 83% of nights >= 4 h, AHI 3.2.
A: OSA, adherent to PAP therapy; mask leak.
P: Refit with nasal pillows mask. Follow up in 90 days."""


def test_a_note_with_vitals_and_labs_lines_keeps_its_s_and_o_sections():
    summary = summarise_notes((note(subjective=SOAP_IN_ONE_FIELD),))
    subjective, objective = section(summary, "Subjective"), section(summary, "Objective")
    assert any("Reports using CPAP" in line for line in subjective)
    assert any("Vitals: BP 132/84" in line for line in objective)
    assert any("Labs: HbA1c 7.2%" in line for line in objective)
    assert section(summary, "Assessment") and section(summary, "Plan")


def test_vitals_and_labs_lines_are_not_section_headings():
    sections = split_sections(note(subjective=SOAP_IN_ONE_FIELD))
    assert sections["objective"][:2] == [
        "Vitals: BP 132/84, HR 76, SpO2 95% on room air, BMI 34.1.",
        "Labs: HbA1c 7.2%, TSH 2.1.",
    ]
    assert not any(line.startswith(("Vitals", "Labs")) for line in sections["subjective"])


def test_the_field_a_line_was_written_in_is_its_section_without_headings():
    sections = split_sections(
        note(subjective="Short of breath on exertion.", objective="Vitals: SpO2 88% on RA.")
    )
    assert sections["subjective"] == ["Short of breath on exertion."]
    assert sections["objective"] == ["Vitals: SpO2 88% on RA."]


def test_assessment_and_plan_heading_goes_to_assessment():
    sections = split_sections(note(plan="Assessment and Plan: COPD stable; continue O2 2 L."))
    assert sections["assessment"] == ["COPD stable; continue O2 2 L."]


def test_the_latest_measurements_are_kept_and_sections_stay_within_budget():
    notes = tuple(
        note(
            day,
            subjective=f"Reports fatigue level {day}. Sleeping better than last visit. "
            "Uses oxygen at night. Walks to the mailbox daily. Denies chest pain.",
            objective=f"Vitals: SpO2 {88 + day % 5}% on 2 L. Labs: BNP {100 + day}.",
            assessment="COPD with chronic hypoxemia.",
            plan="Continue oxygen 2 L/min nasal cannula.",
        )
        for day in range(1, 11)
    )
    summary = summarise_notes(notes)
    objective = section(summary, "Objective")
    assert any("[2025-03-10] Vitals: SpO2 88%" in line for line in objective)
    assert any("[2025-03-10] Labs: BNP 110" in line for line in objective)
    assert len(section(summary, "Subjective")) <= 4 and len(objective) <= 6
    # A sentence repeated in every note is quoted once, at its latest date.
    assert section(summary, "Assessment") == ["- [2025-03-10] COPD with chronic hypoxemia."]


def test_amendments_are_always_kept():
    summary = summarise_notes(
        (note(objective="SpO2 91% at rest.", amendments=["(2025-03-02) SpO2 was 89%, not 91%."]),)
    )
    assert section(summary, "Amendments") == [
        "- [2025-03-01 note] amended (2025-03-02) SpO2 was 89%, not 91%."
    ]


def test_the_provider_names_itself_and_its_model():
    request = SummaryRequest("tpl", (note(plan="Continue CPAP."),), "instructions", "prompt")
    answer = LocalSummariser().summarise(request)
    assert LocalSummariser.name == "local"
    assert answer.model == "extractive-soap/1"
    assert "Continue CPAP." in answer.text


sentences = st.lists(
    st.text(alphabet="abcdefghij klmnop0123456789%/", min_size=1, max_size=40).map(
        lambda s: s.strip().capitalize() + "."
    ).filter(lambda s: len(s) > 1 and s[0].isalpha()),
    min_size=1,
    max_size=6,
)


@given(s=sentences, o=sentences, a=sentences, p=sentences)
def test_every_section_with_text_appears_in_the_summary_quoting_the_note(s, o, a, p):
    summary = summarise_notes(
        (note(subjective=" ".join(s), objective=" ".join(o), assessment=" ".join(a),
              plan=" ".join(p)),)
    )
    source = " ".join(s + o + a + p)
    for heading in ("Subjective", "Objective", "Assessment", "Plan"):
        lines = section(summary, heading)
        assert lines, heading
        for line in lines:
            assert line.removeprefix("- [2025-03-01] ") in source


def test_the_same_notes_give_the_same_summary():
    notes = (note(subjective=SOAP_IN_ONE_FIELD), note(2, plan="Recheck download in 30 days."))
    assert summarise_notes(notes) == summarise_notes(notes)

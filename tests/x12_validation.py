"""Validate X12 text with pyx12 against the implementation guide it declares (GS08): the test
helper every generated 837P, 999 and 277CA goes through (`application.x12.validation`)."""

from __future__ import annotations

from application.x12.validation import check_with_pyx12


def x12_errors(text: str) -> list[str]:
    """Every error pyx12 finds in `text` (interchange, group, transaction set, segment and
    element level), as readable lines; empty when the text is valid."""
    report = check_with_pyx12(text)
    errors = [f"{e.where}: {e.code} {e.text}" for e in report.errors]
    if not report.valid and not errors:
        errors.append("pyx12 rejected the document without naming an error")
    return errors


def assert_valid_x12(text: str) -> None:
    errors = x12_errors(text)
    assert not errors, "\n".join(errors) + "\n\n" + text

"""Validate X12 text with pyx12 against the implementation guide it declares (GS08): the test
helper every generated 837P, 999 and 277CA goes through."""

from __future__ import annotations

import io
import json
import logging

import pyx12.params
import pyx12.x12n_document


def x12_errors(text: str) -> list[str]:
    """Every error pyx12 finds in `text` (interchange, group, transaction set, segment and
    element level), as readable lines; empty when the text is valid."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    params = pyx12.params.params()
    report = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        params, io.StringIO(text), fd_997=None, fd_html=None, fd_json=report
    )
    errors = []
    document = json.loads(report.getvalue() or '{"interchanges": []}')
    for isa in document["interchanges"]:
        errors += [f"ISA {e['err_cde']} {e['err_str']}" for e in isa["errors"]]
        for gs in isa["groups"]:
            errors += [f"GS {e['err_cde']} {e['err_str']}" for e in gs["errors"]]
            for st in gs["transactions"]:
                errors += [f"ST {e['err_cde']} {e['err_str']}" for e in st["errors"]]
                for seg in st["segments"]:
                    where = f"{seg['seg_id']} (segment {seg['seg_count']})"
                    errors += [f"{where}: {e['err_cde']} {e['err_str']}" for e in seg["errors"]]
                    for ele in seg["elements"]:
                        errors += [
                            f"{where} element {ele['ele_pos']}: {e['err_cde']} {e['err_str']}"
                            for e in ele["errors"]
                        ]
    if not valid and not errors:
        errors.append("pyx12 rejected the document without naming an error")
    return errors


def assert_valid_x12(text: str) -> None:
    errors = x12_errors(text)
    assert not errors, "\n".join(errors) + "\n\n" + text

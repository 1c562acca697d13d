"""X12 validated by pyx12 against the implementation guide its GS08 names: the one place that
runs pyx12's validator (inbound 835s, the sandbox clearinghouse's 999, the tests' check of
every document Aries writes).

pyx12 logs offending segments verbatim, and a segment can hold a patient's name or member id,
so its logger is silenced: PHI must not reach our logs. For the same reason an `X12Error`
locates an error (`where`) and codes it (`code`) without values; only `text`, pyx12's own
sentence, may quote the offending value: fine in a test's failure message, never in a log or
an answer.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyx12.params
import pyx12.x12n_document

from application.x12.segments import X12SyntaxError


@dataclass(frozen=True)
class X12Error:
    where: str  # "ISA line 38", "CLP line 17", "CLP line 17 element 2"
    code: str  # pyx12's error code (the 999's IK3/IK4/IK5 codes where it has one)
    text: str  # may quote the offending value: PHI


@dataclass(frozen=True)
class Pyx12Report:
    valid: bool
    # pyx12's JSON report: interchanges > groups > transactions > segments > elements, each
    # with its `errors`; for readers that need its structure (the sandbox's 999).
    document: dict[str, Any]

    @property
    def errors(self) -> list[X12Error]:
        """Every error, at every level, in document order."""
        return list(_errors(self.document))


def check_with_pyx12(text: str) -> Pyx12Report:
    """pyx12's verdict on `text`. X12SyntaxError when pyx12 cannot read it at all."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), fd_997=None, fd_html=None, fd_json=report
        )
        document = json.loads(report.getvalue() or '{"interchanges": []}')
    except Exception as error:  # pyx12 raises EngineError, X12Error and others on garbage
        raise X12SyntaxError(f"not a readable X12 interchange ({type(error).__name__})") from None
    return Pyx12Report(bool(valid), document)


def _errors(document: dict[str, Any]) -> Iterator[X12Error]:
    def of(node: dict[str, Any], where: str) -> Iterator[X12Error]:
        for error in node.get("errors") or []:
            yield X12Error(where, str(error.get("err_cde")), str(error.get("err_str") or ""))

    for isa in document.get("interchanges", []):
        yield from of(isa, f"ISA line {isa.get('cur_line')}")
        for gs in isa.get("groups", []):
            yield from of(gs, f"GS line {gs.get('cur_line')}")
            for st in gs.get("transactions", []):
                yield from of(st, f"ST line {st.get('cur_line')}")
                for segment in st.get("segments", []):
                    where = f"{segment.get('seg_id', 'segment')} line {segment.get('cur_line')}"
                    yield from of(segment, where)
                    for element in segment.get("elements") or []:
                        yield from of(element, f"{where} element {element.get('ele_pos')}")

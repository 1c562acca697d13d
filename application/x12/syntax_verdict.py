"""pyx12's verdict on an 837P as a clearinghouse's front end answers it: the interchange-level
error codes (a TA1 rejects the interchange) and each transaction set's acknowledgement (the
999's IK3/IK4/IK5). The sandbox clearinghouse runs it in processes of its own
(`interfaces.clearinghouse.sandbox_checks`), so the verdict is plain values that pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.x12.acknowledgements import SegmentError, TransactionAck
from application.x12.segments import X12SyntaxError
from application.x12.validation import check_with_pyx12, preload_maps

IK3_CODES = frozenset("1 2 3 4 5 6 7 8 I4 I6 I7 I8 I9".split())
IK4_CODES = frozenset("1 2 3 4 5 6 7 8 9 10 12 13 I10 I11 I12 I13 I6 I9".split())


@dataclass(frozen=True)
class SyntaxVerdict:
    interchange_errors: tuple[str, ...]  # TA1 note codes; any rejects the interchange
    sets: dict[str, TransactionAck]  # by ST02


def syntax_verdict(text: str) -> SyntaxVerdict:
    """pyx12's verdict on `text` (one interchange); "024" when pyx12 cannot read it."""
    try:
        document = check_with_pyx12(text).document
    except X12SyntaxError:
        return SyntaxVerdict(("024",), {})
    interchange_errors: list[str] = []
    sets: dict[str, TransactionAck] = {}
    for isa in document["interchanges"]:
        interchange_errors += [str(e["err_cde"]) for e in isa["errors"]]
        for gs in isa["groups"]:
            group_failed = bool(gs["errors"])
            for st in gs["transactions"]:
                sets[str(st["trn_set_control_num"]).strip()] = _transaction_ack(st, group_failed)
    return SyntaxVerdict(tuple(interchange_errors), sets)


def preload() -> None:
    """Parse the 837P's map now (0.4 s), not on the first interchange."""
    preload_maps("837.5010.X222.A1.xml")


def unchecked(set_numbers: list[str]) -> SyntaxVerdict:
    """Every transaction set accepted, unread by pyx12."""
    return SyntaxVerdict(
        (), {n: TransactionAck(control_number=n, accepted=True) for n in set_numbers}
    )


def _transaction_ack(st: dict[str, Any], group_failed: bool) -> TransactionAck:
    errors = []
    for seg in st["segments"]:
        codes = {"8" if e["err_cde"] == "SEG1" else str(e["err_cde"]) for e in seg["errors"]}
        elements = tuple(
            (str(ele["ele_pos"]), str(e["err_cde"]))
            for ele in seg["elements"]
            for e in ele["errors"]
            if str(e["err_cde"]) in IK4_CODES
        )
        if elements:
            codes.add("8")
        for code in sorted(codes & IK3_CODES):
            errors.append(
                SegmentError(
                    segment_id=str(seg["seg_id"]),
                    position=int(seg["seg_count"] or 0),
                    code=code,
                    loop_id=seg.get("ls_id") or None,
                    elements=elements if code == "8" else (),
                )
            )
    own = [str(e["err_cde"]) for e in st["errors"]]
    rejected = bool(errors or own or group_failed)
    return TransactionAck(
        control_number=str(st["trn_set_control_num"]).strip(),
        accepted=not rejected,
        code=(own[0] if own else "5") if rejected else None,
        errors=tuple(errors),
    )

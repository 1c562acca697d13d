"""The public WPC 835 examples (005010X221A1 TR3 section 3, as kept in tests/x12/wpc835 with
their source in tests/x12/README.md): refused as published with every pyx12 error named by
segment and element, and received, parsed and posted to the cent, once repaired as documented,
when their claims exist."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from application.x12.remittance835 import (
    InvalidRemittance,
    normalised_835,
    parse_835,
    validate_835,
)
from domain.claim_values import LedgerEntryKind
from domain.remittance import Remittance
from tests.integration.test_remittance_posting import biller, filed_claim, post, receive

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parents[1] / "x12" / "wpc835"
PER_BL = "PER*BL*PROVIDER SERVICES*TE*8005551212~"  # 1000A payer technical contact (required)
BPR16 = ("CHK***********2005", "CHK************2005")  # the element lost before BPR16
# (published text, repaired text) per file, besides the PER*BL every file lacks.
REPAIRS: dict[str, list[tuple[str, str]]] = {
    "cob-contractural-adjustment": [BPR16, ("*T*:~", "*T*>~")],  # composites use '>'
    "secondary-payment": [BPR16, ("*T*:~", "*T*>~")],
    "tertiary-payment": [BPR16, ("SVC*HC*24599.00*1766.50*", "SVC*HC:24599*1766.50*")],
    "managed-care": [("*20002316~", "*20020316~")],  # the TR3 prints 20020316
    "medicare-part-a": [  # TS309/TS311 are not used in 5010
        ("*211366.97****138018.40**73348.57~", "*211366.97~"),
        ("*15000.00****11980.33**3019.67~", "*15000.00~"),
    ],
}
# What pyx12 names in each file as published: segment and element (line numbers are pinned
# too: they are the file's own). An SVC01 it cannot read takes its 2110 loop with it.
PUBLISHED_ERRORS = {
    "cob-contractural-adjustment": {"BPR line 4 element 16", "PER line 11", "SVC line 21",
                                    "DTM line 22", "CAS line 23", "CAS line 24", "REF line 25",
                                    "AMT line 26"},
    "managed-care": {"BPR line 4 element 16", "PER line 10"},
    "medicare-part-a": {"PER line 11", "TS3 line 13 element 9", "TS3 line 13 element 11",
                        "TS3 line 23 element 9", "TS3 line 23 element 11"},
    "secondary-payment": {"BPR line 4 element 16", "PER line 11",
                          "SVC line 29", "DTM line 30", "CAS line 31", "REF line 32", "AMT line 33",
                          "SVC line 34", "DTM line 35", "CAS line 36", "CAS line 37", "REF line 38",
                          "AMT line 39"},
    "tertiary-payment": {"BPR line 4 element 16", "PER line 11", "SVC line 20 element 1",
                         "SVC line 20 element 6"},
}


def published(name: str) -> str:
    return normalised_835((EXAMPLES / f"{name}.835").read_bytes())


def repaired(name: str) -> str:
    text = published(name)
    for old, new in REPAIRS[name]:
        assert old in text, (name, old)
        text = text.replace(old, new)
    lines = text.split("\n")
    payee = next(i for i, line in enumerate(lines) if line.startswith("N1*PE"))
    lines.insert(payee, PER_BL)
    text = "\n".join(lines)
    count = re.search(r"\nSE\*(\d+)\*", text)
    assert count is not None
    return text.replace(count.group(0), f"\nSE*{int(count.group(1)) + 1}*")


def test_the_examples_are_the_files_the_readme_names():
    assert sorted(p.stem for p in EXAMPLES.glob("*.835")) == sorted(REPAIRS)
    readme = (EXAMPLES.parent / "README.md").read_text()
    for name in REPAIRS:
        assert f"`wpc835/{name}.835` | LinuxForHealth/x12" in readme


@pytest.mark.parametrize("name", sorted(REPAIRS))
def test_as_published_each_example_is_refused_naming_each_error(name):
    with pytest.raises(InvalidRemittance) as refused:
        validate_835(published(name))
    named = {e.split(": ")[0] for e in refused.value.errors}
    assert named == PUBLISHED_ERRORS[name]


def for_our_claims(text: str, claims: list) -> str:
    """The example's CLPs pointed at our claims: CLP01 our patient control number, each SVC's
    procedure and DTM*472 one of the claim's lines (in order). Money is left as published."""
    component = text[104]
    out, claim, line_index = [], None, -1
    claims_left = iter(claims)
    for segment in text.split("~\n"):
        elements = segment.split("*")
        if elements[0] == "CLP":
            claim, line_index = next(claims_left), -1
            elements[1] = claim.patient_control_number
        elif elements[0] == "SVC" and claim is not None:
            line_index += 1
            elements[1] = component.join(("HC", claim.lines[line_index].hcpcs))
        elif elements[:2] == ["DTM", "472"] and claim is not None:
            elements[2] = f"{claim.lines[line_index].from_date:%Y%m%d}"
        out.append("*".join(elements))
    return "~\n".join(out)


@pytest.mark.parametrize("name", sorted(REPAIRS))
def test_each_example_repaired_is_received_parsed_and_posted_to_the_cent(aries, name):
    text = repaired(name)
    validate_835(text)
    parsed = parse_835(text)
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claims = [filed_claim(aries, tenant) for _ in parsed.claims]
    ours = for_our_claims(text, claims)

    report = post(aries, tenant, receive(aries, tenant, ours).id)

    assert report.unmatched == ()
    assert [c.claim_id for c in report.posted_claims] == [c.id for c in claims]
    with biller(tenant):
        remittance = aries.claims.load(report.remittance_id, Remittance)
        posted = [aries.claims.get_claim(c.id) for c in claims]
    assert remittance.reconciles and remittance.paid_amount == parsed.paid_amount
    for claim, payment in zip(posted, parse_835(ours).claims, strict=True):
        paid = -sum((e.amount for e in claim.ledger if e.kind is LedgerEntryKind.PAYMENT),
                    Decimal("0"))
        assert paid == payment.paid  # CLP04, claim-level CAS included

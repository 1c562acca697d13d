"""Hand-written 835s (005010X221A1) for tests: a realistic Medicare DME MAC remittance built
segment by segment, with control counts computed, so each test states only what it is about.
(Not a test module.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

D = Decimal


@dataclass
class Svc:
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    rarcs: list[str] = field(default_factory=list)
    control: str | None = None  # REF*6R
    served_on: date | None = date(2025, 3, 1)
    allowed: Decimal | None = None


@dataclass
class Clp:
    pcn: str
    status: str
    icn: str
    services: list[Svc]
    patient: tuple[str, str, str] = ("RIVERA", "ANA", "1EG4TE5MK73")
    claim_adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    charge: Decimal | None = None  # default: the services' charges

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        charge = self.charge if self.charge is not None else sum(
            (s.charge for s in self.services), D("0.00")
        )
        claim_level = sum((a[2] for a in self.claim_adjustments), D("0.00"))
        paid = sum((s.paid for s in self.services), D("0.00")) - claim_level
        if not self.services:
            paid = charge - claim_level
        patient = sum(
            (a[2] for s in self.services for a in s.adjustments if a[0] == "PR"), D("0.00")
        ) + sum((a[2] for a in self.claim_adjustments if a[0] == "PR"), D("0.00"))
        return charge, paid, patient


def _cas(adjustments: list[tuple[str, str, Decimal]]) -> list[str]:
    return [f"CAS*{group}*{carc}*{amount}" for group, carc, amount in adjustments]


def build_835(
    claims: list[Clp],
    *,
    trace: str = "EFT0000123",
    payer_tin: str = "1512345678",
    payer_x12_id: str = "17013",
    paid_on: date = date(2025, 3, 15),
    paid_amount: Decimal | None = None,
    plb: Decimal | None = None,
    transactions: int = 1,
    plbs: list[tuple[str, Decimal]] = (),  # type: ignore[assignment]
) -> str:
    """`plb`: one WO recoupment of that amount; `plbs`: (PLB03 composite, amount) pairs, e.g.
    ("L6", D("-1.27")). With several `transactions`, each after the first gets the trace
    `{trace}-{n}` (its own payment)."""
    plb_total = (plb or D("0.00")) + sum((a for _, a in plbs), D("0.00"))
    total = sum((c.totals()[1] for c in claims), D("0.00")) - plb_total
    amount = paid_amount if paid_amount is not None else total
    day = paid_on.strftime("%Y%m%d")
    isa = (
        "ISA*00*          *00*          *ZZ*CGSDMEB        *ZZ*ARIESDME       "
        f"*{paid_on.strftime('%y%m%d')}*1200*^*00501*000000101*0*P*:"
    )
    out = [isa, f"GS*HP*CGSDMEB*ARIESDME*{day}*1200*101*X*005010X221A1"]
    for number in range(1, transactions + 1):
        body = [
            f"ST*835*{number:04d}",
            f"BPR*I*{amount}*C*ACH*CCP*01*011000015*DA*123456789*{payer_tin}**01*021000021*DA"
            f"*987654321*{day}",
            f"TRN*1*{trace if number == 1 else f'{trace}-{number}'}*{payer_tin}",
            f"DTM*405*{day}",
            "N1*PR*CGS ADMINISTRATORS DME MAC JURISDICTION B",
            "N3*PO BOX 20010",
            "N4*NASHVILLE*TN*372020010",
            f"REF*2U*{payer_x12_id}",
            "PER*BL*PROVIDER SERVICES*TE*8665903649",
            "N1*PE*ARIES DEMO MEDICAL SUPPLY*XX*1588667398",
            "N3*100 MAIN ST",
            "N4*SPRINGFIELD*IL*627011234",
            "REF*TJ*990000001",
            "LX*1",
        ]
        for claim in claims:
            charge, paid, patient = claim.totals()
            last, first, member = claim.patient
            body += [
                f"CLP*{claim.pcn}*{claim.status}*{charge}*{paid}*{patient}*MB*{claim.icn}*12*1",
                *_cas(claim.claim_adjustments),
                f"NM1*QC*1*{last}*{first}****MI*{member}",
            ]
            for svc in claim.services:
                code = ":".join(("HC", svc.code, *svc.modifiers))
                body.append(f"SVC*{code}*{svc.charge}*{svc.paid}**1")
                if svc.served_on is not None:
                    body.append(f"DTM*472*{svc.served_on.strftime('%Y%m%d')}")
                body += _cas(svc.adjustments)
                if svc.control is not None:
                    body.append(f"REF*6R*{svc.control}")
                if svc.allowed is not None:
                    body.append(f"AMT*B6*{svc.allowed}")
                body += [f"LQ*HE*{code}" for code in svc.rarcs]
        if plb is not None:
            body.append(f"PLB*1588667398*{paid_on.year}1231*WO:OVERPAY1*{plb}")
        if plbs:
            pairs = "*".join(f"{code}*{amount}" for code, amount in plbs)
            body.append(f"PLB*1588667398*{paid_on.year}1231*{pairs}")
        body.append(f"SE*{len(body) + 1}*{number:04d}")
        out += body
    out += [f"GE*{transactions}*101", "IEA*1*000000101"]
    return "~\n".join(out) + "~\n"

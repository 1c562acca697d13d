"""835 remittances received and posted through the real applications on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from application.remittances import (
    claim_ids_for_control_number,
    post_remittance,
    receive_remittance,
)
from application.x12.remittance835 import InvalidRemittance
from domain.claim import Claim
from domain.claim_ids import claim_id_for
from domain.claim_values import ClaimStatus, LedgerEntryKind
from domain.context import bound_context
from domain.errors import RuleViolated
from domain.remittance import Remittance
from tests.integration.scenarios import MEDICARE, delivered_bed_and_walker
from tests.unit.remittance_835 import Clp, Svc, build_835

pytestmark = pytest.mark.integration

D = Decimal
CENT = D("0.01")


def biller(tenant: str):
    return bound_context(tenant_id=tenant, actor_id="biller-1", actor_role="biller")


def filed_claim(aries, tenant: str, *, file: bool = True) -> Claim:
    """A delivered bed-and-walker order's claim, drafted, and filed (accepted) if `file`."""
    delivered_on = date.today() - timedelta(days=5)
    with bound_context(tenant_id=tenant, actor_id="intake-1", actor_role="intake"):
        order = delivered_bed_and_walker(aries, delivered_on)
    aries.claims.catch_up_all()
    claim_id = claim_id_for(order.order_id, f"{delivered_on:%Y-%m}", MEDICARE)
    with biller(tenant):
        claim = aries.claims.get_claim(claim_id)
        if file:
            claim.scrub(date.today())
            claim.request_submission(1)
            claim.record_submission("000000101", datetime.now(UTC))
            claim.acknowledge(True, [], datetime.now(UTC))
            aries.claims.commit(claim)
        return aries.claims.get_claim(claim_id)


def line(claim: Claim, hcpcs: str):
    return next(line for line in claim.lines if line.hcpcs == hcpcs)


def paid_svc(claim: Claim, hcpcs: str, *, by_ref: bool) -> Svc:
    """The line paid at 80% of its charge, 20% patient coinsurance (PR 2)... of the allowed
    amount, the rest a contractual write-off (CO 45)."""
    l = line(claim, hcpcs)  # noqa: E741
    allowed = (l.charge * D("0.80")).quantize(CENT)
    coinsurance = (allowed * D("0.20")).quantize(CENT)
    return Svc(
        l.hcpcs, l.modifiers, l.charge, allowed - coinsurance,
        [("CO", "45", l.charge - allowed), ("PR", "2", coinsurance)],
        control=l.line_id.hex if by_ref else None, served_on=l.from_date, allowed=allowed,
    )


def denied_svc(claim: Claim, hcpcs: str) -> Svc:
    l = line(claim, hcpcs)  # noqa: E741
    return Svc(l.hcpcs, l.modifiers, l.charge, D("0.00"), [("CO", "50", l.charge)],
               rarcs=["N115"], control=l.line_id.hex, served_on=l.from_date)


def trace() -> str:
    return f"EFT{uuid.uuid4().hex[:10].upper()}"


def receive(aries, tenant: str, text: str):
    with biller(tenant):
        return receive_remittance(aries.claims, text, "biller-1")


def post(aries, tenant: str, remittance_id):
    with bound_context(tenant_id=tenant, actor_id="worker:post_remittance", actor_role="system"):
        return post_remittance(aries.claims, remittance_id)


def test_an_835_posts_a_payment_and_a_denial_with_carc_and_rarc(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    paid, denied = filed_claim(aries, tenant), filed_claim(aries, tenant)
    text = build_835(
        [
            Clp(paid.patient_control_number, "1", "25074000000101",
                [paid_svc(paid, "E0260", by_ref=True), paid_svc(paid, "E0143", by_ref=False)]),
            Clp(denied.patient_control_number, "4", "25074000000102",
                [denied_svc(denied, "E0260"), denied_svc(denied, "E0143")]),
        ],
        trace=trace(),
    )
    received = receive(aries, tenant, text)
    report = post(aries, tenant, received.id)

    assert report.posted_now and report.unmatched == ()
    assert {c.claim_id for c in report.posted_claims} == {paid.id, denied.id}
    with biller(tenant):
        paid_now, denied_now = aries.claims.get_claim(paid.id), aries.claims.get_claim(denied.id)
        remittance = aries.claims.load(received.id, Remittance)
    assert paid_now.status is ClaimStatus.PAID
    assert paid_now.payer_claim_control_number == "25074000000101"
    bed = line(paid, "E0260")
    expected_payment = paid_svc(paid, "E0260", by_ref=True).paid
    payments = [e.amount for e in paid_now.ledger
                if e.line_id == bed.line_id and e.kind is LedgerEntryKind.PAYMENT]
    assert payments == [-expected_payment]
    # The coinsurance moved to the patient; the payer's balance on the claim is zero.
    assert paid_now.party_balance(MEDICARE) == 0
    assert paid_now.party_balance("patient") > 0
    assert denied_now.status is ClaimStatus.DENIED
    denials = [e for e in denied_now.ledger if e.carc is not None]
    assert {(e.carc, e.rarcs) for e in denials} == {("50", ("N115",))}
    assert denied_now.last_determination_carcs == ("50",)
    assert remittance.is_posted and remittance.paid_amount == expected_payment + paid_svc(
        paid, "E0143", by_ref=False).paid


def test_posting_the_same_remittance_twice_changes_nothing(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    text = build_835(
        [Clp(claim.patient_control_number, "1", "ICN-TWICE",
             [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)])],
        trace=trace(),
    )
    received = receive(aries, tenant, text)
    first = post(aries, tenant, received.id)
    with biller(tenant):
        after_first = aries.claims.get_claim(claim.id)
    position = aries.claims.recorder.max_notification_id()

    second = post(aries, tenant, received.id)

    assert first.posted_now and not second.posted_now
    assert second.posted_claims == first.posted_claims
    assert aries.claims.recorder.max_notification_id() == position
    with biller(tenant):
        after_second = aries.claims.get_claim(claim.id)
    assert after_second.version == after_first.version
    assert after_second.ledger == after_first.ledger


def test_the_same_check_received_twice_is_refused(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    text = build_835(
        [Clp(claim.patient_control_number, "1", "ICN-DUP", [paid_svc(claim, "E0143", by_ref=True)],
             charge=line(claim, "E0143").charge)],
        trace=trace(),
    )
    receive(aries, tenant, text)
    with pytest.raises(RuleViolated) as refused:
        receive(aries, tenant, text)
    assert refused.value.rule == "remittance_trace_is_new"
    # Another supplier may get the same payer trace number: its own remittance.
    other = receive(aries, f"t-{uuid.uuid4().hex[:10]}", text)
    assert other.version == 1


def test_lines_and_claims_that_match_nothing_are_reported_not_dropped(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    strangers = filed_claim(aries, f"t-{uuid.uuid4().hex[:10]}")  # another tenant's claim
    draft = filed_claim(aries, tenant, file=False)
    cpap = Svc("E0601", ("RR", "KH"), D("95.00"), D("76.00"), [("CO", "45", D("19.00"))],
               control="NOT-A-LINE-OF-OURS")
    text = build_835(
        [
            Clp(claim.patient_control_number, "1", "ICN-A",
                [paid_svc(claim, "E0260", by_ref=True), cpap]),
            Clp("ABCDEF0123456789ABCD", "1", "ICN-UNKNOWN",
                [Svc("E0143", ("NU",), D("100.00"), D("80.00"), [("CO", "45", D("20.00"))])]),
            Clp(strangers.patient_control_number, "1", "ICN-OTHER-TENANT",
                [paid_svc(strangers, "E0143", by_ref=True)]),
            Clp(draft.patient_control_number, "1", "ICN-DRAFT",
                [paid_svc(draft, "E0143", by_ref=True)]),
        ],
        trace=trace(),
    )
    report = post(aries, tenant, receive(aries, tenant, text).id)

    assert [c.claim_id for c in report.posted_claims] == [claim.id]
    reasons = {(u.payer_claim_control_number, u.procedure): u.reason for u in report.unmatched}
    assert reasons[("ICN-A", "E0601")] == "no claim line matches REF*6R or the service code"
    assert reasons[("ICN-UNKNOWN", None)] == "no claim has this patient control number"
    assert reasons[("ICN-OTHER-TENANT", None)] == "no claim has this patient control number"
    assert reasons[("ICN-DRAFT", None)].endswith("remittance_requires_a_filed_claim")
    with biller(tenant):
        posted = aries.claims.get_claim(claim.id)
        assert aries.claims.load(report.remittance_id, Remittance).unmatched == report.unmatched
    walker = line(claim, "E0143")  # not in the 835: still owed in full by the payer
    assert posted.line_balances[walker.line_id] == walker.charge
    with bound_context(tenant_id=strangers.tenant_id):
        assert aries.claims.get_claim(strangers.id).ledger == strangers.ledger


def test_an_unbalanced_835_is_not_received(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    text = build_835(
        [Clp("ABCDEF0123456789ABCD", "1", "ICN",
             [Svc("E0143", ("NU",), D("100.00"), D("80.00"))])],
        trace=trace(),
    )
    with pytest.raises(InvalidRemittance):
        receive(aries, tenant, text)


def test_a_patient_control_number_finds_its_claim_in_the_event_log(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant, file=False)
    assert claim_ids_for_control_number(aries.claims, claim.patient_control_number) == [claim.id]
    assert claim_ids_for_control_number(aries.claims, "not a control number") == []


# --- issue 15: posting 835s right to the cent ------------------------------------------------


def ledger_of(aries, tenant: str, claim_id):
    with biller(tenant):
        return aries.claims.get_claim(claim_id)


def payments_on(claim: Claim, line_id=None) -> Decimal:
    return -sum(
        (e.amount for e in claim.ledger
         if e.kind is LedgerEntryKind.PAYMENT and (line_id is None or e.line_id == line_id)),
        D("0"),
    )


def test_the_same_adjudication_on_a_new_trace_posts_once(aries):
    """A re-sent ERA (new trace) and a second EFT carrying the same CLP post nothing again."""
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim, other = filed_claim(aries, tenant), filed_claim(aries, tenant)
    clp = Clp(claim.patient_control_number, "1", "25074000000777",
              [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)])
    post(aries, tenant, receive(aries, tenant, build_835([clp], trace=trace())).id)
    after_first = ledger_of(aries, tenant, claim.id)
    paid_once = payments_on(after_first)
    patient_once = after_first.party_balance("patient")

    resent = post(aries, tenant, receive(aries, tenant, build_835([clp], trace=trace())).id)
    second_eft = build_835(
        [clp, Clp(other.patient_control_number, "1", "25074000000778",
                  [paid_svc(other, "E0260", by_ref=True)])],
        trace=trace(),
    )
    mixed = post(aries, tenant, receive(aries, tenant, second_eft).id)

    now = ledger_of(aries, tenant, claim.id)
    assert now.version == after_first.version and now.ledger == after_first.ledger
    assert payments_on(now) == paid_once and now.party_balance("patient") == patient_once
    assert now.balance >= 0
    for report in (resent, mixed):
        (dup,) = [u for u in report.unmatched if u.payer_claim_control_number == "25074000000777"]
        assert dup.reason.startswith("already posted")
    assert [c.claim_id for c in mixed.posted_claims] == [other.id]
    with biller(tenant):
        assert aries.claims.load(mixed.remittance_id, Remittance).reconciles


def test_a_reversal_and_its_corrected_claim_post_after_the_original(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    bed, walker = paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)
    post(aries, tenant, receive(aries, tenant, build_835(
        [Clp(claim.patient_control_number, "1", "ICN-ORIG", [bed, walker])], trace=trace())).id)

    def negated(svc: Svc) -> Svc:
        return Svc(svc.code, svc.modifiers, -svc.charge, -svc.paid,
                   [(g, c, -a) for g, c, a in svc.adjustments], control=svc.control,
                   served_on=svc.served_on, allowed=-svc.allowed)

    fewer = paid_svc(claim, "E0143", by_ref=True)
    fewer = Svc(fewer.code, fewer.modifiers, fewer.charge, fewer.paid - D("1.00"),
                [*fewer.adjustments, ("CO", "45", D("1.00"))], control=fewer.control,
                served_on=fewer.served_on, allowed=fewer.allowed)
    correction = build_835(
        [Clp(claim.patient_control_number, "22", "ICN-ORIG", [negated(bed), negated(walker)]),
         Clp(claim.patient_control_number, "1", "ICN-CORR", [bed, fewer])],
        trace=trace(),
    )
    report = post(aries, tenant, receive(aries, tenant, correction).id)

    assert report.unmatched == () and len(report.posted_claims) == 2
    now = ledger_of(aries, tenant, claim.id)
    assert now.status is ClaimStatus.PAID and now.payer_claim_control_number == "ICN-CORR"
    assert now.party_balance(MEDICARE) == 0
    reversals = -sum((e.amount for e in now.ledger if e.kind is LedgerEntryKind.REVERSAL
                      and e.carc is None), D("0"))
    assert payments_on(now) + reversals == bed.paid + fewer.paid


def test_claim_level_cas_posts_clp04_and_is_what_the_secondary_is_told(aries):
    """WPC 'managed care' shape: the lines' SVC03 exceed CLP04 by a claim-level CAS."""
    from application.claim_documents import _prior_line  # what loop 2430 SVD/CAS is built from

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    clp = Clp(claim.patient_control_number, "1", "ICN-CLAIM-LEVEL",
              [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)],
              claim_adjustments=[("CO", "A2", D("3.00"))])
    _, clp04, _ = clp.totals()
    report = post(aries, tenant, receive(aries, tenant, build_835([clp], trace=trace())).id)

    assert report.unmatched == ()
    now = ledger_of(aries, tenant, claim.id)
    assert payments_on(now) == clp04  # not the sum of SVC03
    assert now.party_balance(MEDICARE) == 0  # every line balances to the cent
    svd = [_prior_line(now, line.line_id) for line in now.lines]
    assert sum((s.paid for s in svd), D("0")) == clp04
    for line, prior in zip(now.lines, svd, strict=True):
        assert prior.paid + sum((a.amount for a in prior.adjustments), D("0")) == line.charge
    assert sum((a.amount for s in svd for a in s.adjustments if a.reason == "A2"), D("0")) == D(
        "3.00")


def test_deductible_only_is_the_patients_and_a_zero_cas_is_accepted(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    svcs = []
    for code in ("E0260", "E0143"):
        l = line(claim, code)  # noqa: E741
        allowed = (l.charge * D("0.80")).quantize(CENT)
        svcs.append(Svc(l.hcpcs, l.modifiers, l.charge, D("0.00"),
                        [("CO", "45", l.charge - allowed), ("PR", "1", allowed),
                         ("CO", "253", D("0.00"))],
                        control=l.line_id.hex, served_on=l.from_date, allowed=allowed))
    text = build_835([Clp(claim.patient_control_number, "1", "ICN-DEDUCT", svcs)], trace=trace())
    report = post(aries, tenant, receive(aries, tenant, text).id)

    assert report.unmatched == ()
    now = ledger_of(aries, tenant, claim.id)
    assert now.status is ClaimStatus.PATIENT_RESPONSIBILITY
    assert now.party_balance(MEDICARE) == 0
    deductible = sum((next(a for g, c, a in s.adjustments if c == "1") for s in svcs), D("0"))
    assert now.party_balance("patient") == deductible


def test_status_19_marks_the_claim_crossed_over(isolated_aries):
    aries = isolated_aries  # it runs the claims projection: not over other tests' histories
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    text = build_835([Clp(claim.patient_control_number, "19", "ICN-XOVER",
                          [paid_svc(claim, "E0260", by_ref=True),
                           paid_svc(claim, "E0143", by_ref=True)])], trace=trace())
    post(aries, tenant, receive(aries, tenant, text).id)

    now = ledger_of(aries, tenant, claim.id)
    assert now.crossed_over_on is not None
    with biller(tenant), pytest.raises(RuleViolated) as refused:
        now.assign_patient_responsibility(date.today(), "coinsurance")
    assert refused.value.rule == "crossed_over_claim_is_billed_by_the_payer"

    from sqlalchemy import select

    from projections.claims_tables import claims
    from projections.runner import catch_up

    catch_up(aries, "claims")
    with aries.read_engine.connect() as conn:
        shown = conn.execute(
            select(claims.c.crossed_over_on).where(claims.c.claim_id == claim.id)).scalar_one()
    assert shown == now.crossed_over_on


def test_plb_adjustments_are_the_provider_ledger_and_reconcile_with_bpr02(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    clp = Clp(claim.patient_control_number, "1", "ICN-PLB",
              [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)])
    _, clp04, _ = clp.totals()
    plbs = [("WO:ICN-OLD-1", D("12.50")), ("L6", D("-1.27")), ("FB:FWD-9", D("5.00"))]
    text = build_835([clp], trace=trace(), plbs=plbs)
    report = post(aries, tenant, receive(aries, tenant, text).id)

    with biller(tenant):
        remittance = aries.claims.load(report.remittance_id, Remittance)
    assert [(a.code, a.reference, a.amount) for a in remittance.provider_adjustments] == [
        ("WO", "ICN-OLD-1", D("12.50")), ("L6", None, D("-1.27")), ("FB", "FWD-9", D("5.00"))]
    assert remittance.paid_amount == clp04 - D("16.23")  # BPR02
    assert remittance.claims_paid == clp04
    assert remittance.reconciles
    assert payments_on(ledger_of(aries, tenant, claim.id)) == clp04  # AR: the claim got CLP04


def test_several_payments_in_one_interchange_are_each_received_and_posted(aries):
    from application.remittances import receive_remittances

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    clp = Clp(claim.patient_control_number, "1", "ICN-MULTI",
              [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)])
    text = "\ufeff" + build_835([clp], trace=trace(), transactions=2) + "  \r\n\r\n"
    with biller(tenant):
        results = receive_remittances(aries.claims, text.encode("utf-8"), "biller-1")
    assert len(results) == 2 and results[0].id != results[1].id
    first, second = (post(aries, tenant, r.id) for r in results)

    assert [c.claim_id for c in first.posted_claims] == [claim.id]
    assert second.unmatched[0].reason.startswith("already posted")  # same CLP, other payment
    with biller(tenant):
        assert {aries.claims.load(r.id, Remittance).trace_number for r in results} == {
            aries.claims.load(results[0].id, Remittance).trace_number,
            aries.claims.load(results[0].id, Remittance).trace_number + "-2"}
    with pytest.raises(RuleViolated):  # the same file again: nothing recorded twice
        with biller(tenant):
            receive_remittances(aries.claims, text, "biller-1")


def test_a_claim_level_denial_without_service_lines_answers_every_line(aries):
    """CLP02 4 with only a claim-level CAS (no 2110 loop) on a two-line claim."""
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    text = build_835([Clp(claim.patient_control_number, "4", "ICN-DENIED-WHOLE", [],
                          claim_adjustments=[("CO", "16", claim.charge_total)],
                          charge=claim.charge_total)], trace=trace())
    report = post(aries, tenant, receive(aries, tenant, text).id)

    assert report.unmatched == ()
    now = ledger_of(aries, tenant, claim.id)
    assert now.status is ClaimStatus.DENIED and now.last_determination_carcs == ("16",)
    assert all(balance == 0 for balance in now.line_balances.values())
    with biller(tenant):
        assert aries.claims.load(report.remittance_id, Remittance).reconciles


def test_the_cash_view_and_provider_ledger_show_each_payment_and_rebuild_the_same(aries):
    from sqlalchemy import select

    from projections.remittances_tables import provider_ledger_entries, remittances
    from projections.runner import catch_up, rebuild

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    clp = Clp(claim.patient_control_number, "1", "ICN-CASH",
              [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)])
    _, clp04, _ = clp.totals()
    text = build_835([clp, Clp("ABCDEF0123456789ABCD", "1", "ICN-NOT-OURS",
                               [Svc("E0143", ("NU",), D("50.00"), D("40.00"),
                                    [("CO", "45", D("10.00"))])])],
                     trace=trace(), plbs=[("WO:ICN-OLD-1", D("12.50")), ("L6", D("-1.27"))])
    report = post(aries, tenant, receive(aries, tenant, text).id)

    def read() -> tuple[dict, list]:
        with aries.read_engine.connect() as conn:
            cash = conn.execute(select(remittances).where(
                remittances.c.remittance_id == report.remittance_id)).mappings().one()
            ledger = conn.execute(
                select(provider_ledger_entries.c.code, provider_ledger_entries.c.reference,
                       provider_ledger_entries.c.amount)
                .where(provider_ledger_entries.c.remittance_id == report.remittance_id)
                .order_by(provider_ledger_entries.c.entry_index)).all()
        return dict(cash), [tuple(row) for row in ledger]

    catch_up(aries, "remittances")
    cash, ledger = read()
    assert ledger == [("WO", "ICN-OLD-1", D("12.50")), ("L6", None, D("-1.27"))]
    assert (cash["claims_paid"], cash["provider_adjustments"]) == (clp04 + D("40.00"), D("11.23"))
    assert cash["cash"] == clp04 + D("40.00") - D("11.23")
    assert (cash["posted_to_claims"], cash["not_posted"]) == (clp04, D("40.00"))
    assert cash["posted"] and cash["reconciles"] is True

    rebuild(aries, "remittances")
    assert read() == (cash, ledger)


def _clp_for(claim: Claim, kind: str, icn: str) -> Clp:
    if kind == "denied":
        return Clp(claim.patient_control_number, "4", icn,
                   [denied_svc(claim, "E0260"), denied_svc(claim, "E0143")])
    services = [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=False)]
    if kind == "claim_level":
        return Clp(claim.patient_control_number, "1", icn, services,
                   claim_adjustments=[("CO", "A2", D("1.37"))])
    if kind == "crossover":
        return Clp(claim.patient_control_number, "19", icn, services)
    return Clp(claim.patient_control_number, "1", icn, services[:1])


def test_posting_any_835_twice_under_any_trace_changes_nothing(aries):
    """Hypothesis: whatever a payment holds (payments, denials, claim-level CAS, crossovers,
    PLB, one or two ST/SE), receiving and posting it again under a new trace posts nothing."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claims = [filed_claim(aries, tenant) for _ in range(2)]
    kinds = st.sampled_from(["paid", "denied", "claim_level", "crossover", "one_line"])

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(chosen=st.lists(kinds, min_size=1, max_size=2), plb=st.booleans(),
           transactions=st.integers(1, 2))
    def twice(chosen, plb, transactions):
        clps = [_clp_for(claim, kind, f"ICN-{uuid.uuid4().hex[:12]}")
                for claim, kind in zip(claims, chosen, strict=False)]
        plbs = [("WO:OLD", D("1.00"))] if plb else []
        post(aries, tenant, receive(aries, tenant, build_835(clps, trace=trace(), plbs=plbs)).id)
        with biller(tenant):
            before = [aries.claims.get_claim(c.id) for c in claims]
        again = build_835(clps, trace=trace(), plbs=plbs, transactions=transactions)
        from application.remittances import receive_remittances

        with biller(tenant):
            results = receive_remittances(aries.claims, again, "biller-1")
        for result in results:
            report = post(aries, tenant, result.id)
            assert report.posted_claims == ()
            assert {u.reason for u in report.unmatched} <= {
                "already posted: the same adjudication (payer, CLP07, content) came on an "
                "earlier remittance; nothing posted again"}
        with biller(tenant):
            after = [aries.claims.get_claim(c.id) for c in claims]
        assert [(c.version, c.ledger) for c in after] == [(c.version, c.ledger) for c in before]

    twice()


def crossed_over(aries, tenant: str, claim: Claim, icn: str) -> list[Svc]:
    """Medicare pays the claim and crosses it over (CLP02 19); what the crossover payer then
    pays: each line's patient coinsurance."""
    primary = [paid_svc(claim, "E0260", by_ref=True), paid_svc(claim, "E0143", by_ref=True)]
    post(aries, tenant, receive(aries, tenant, build_835(
        [Clp(claim.patient_control_number, "19", icn, primary)], trace=trace())).id)
    coinsurance = {s.code: next(a for g, c, a in s.adjustments if g == "PR") for s in primary}
    return [
        Svc(s.code, s.modifiers, s.charge, coinsurance[s.code],
            [("OA", "23", s.charge - coinsurance[s.code])], control=s.control,
            served_on=s.served_on)
        for s in primary
    ]


def test_the_crossover_payers_835_pays_what_medicare_left_to_the_patient(aries):
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    claim = filed_claim(aries, tenant)
    medigap = crossed_over(aries, tenant, claim, "ICN-XOVER-1")
    report = post(aries, tenant, receive(aries, tenant, build_835(
        [Clp(claim.patient_control_number, "2", "MEDIGAP-77", medigap)],
        trace=trace(), payer_tin="1600000000", payer_x12_id="60054")).id)

    assert report.unmatched == ()
    now = ledger_of(aries, tenant, claim.id)
    assert now.secondary_payer_id == "COM-AETNA"
    assert now.party_balance("patient") == 0 and now.party_balance("COM-AETNA") == 0
    assert now.balance == 0


def test_a_provider_level_only_payment_is_received_posted_and_reconciles(aries):
    """Interest paid and a recoupment taken, no claim in the payment (PLB, no CLP)."""
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    text = build_835([], trace=trace(), plbs=[("L6", D("-5.25")), ("WO:ICN-OLD", D("2.00"))])
    report = post(aries, tenant, receive(aries, tenant, text).id)

    assert report.posted_claims == () and report.unmatched == ()
    with biller(tenant):
        remittance = aries.claims.load(report.remittance_id, Remittance)
    assert (remittance.paid_amount, remittance.claims_paid) == (D("3.25"), D("0.00"))
    assert [a.code for a in remittance.provider_adjustments] == ["L6", "WO"]
    assert remittance.is_posted and remittance.reconciles


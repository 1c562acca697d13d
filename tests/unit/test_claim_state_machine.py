"""Random valid and invalid Claim commands: refused ones append nothing and change nothing; the
balance is always the fold of the append-only ledger, exact to the cent, never float; replaying
the events through the real JSON transcoder gives the live claim."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.claim import Claim
from domain.claim_ids import claim_id_for, replacement_id_for
from domain.claim_rules import ALLOWED_STATES
from domain.claim_values import (
    PATIENT,
    Adjustment,
    AdjustmentGroup,
    AppealLevel,
    ClaimStatus,
    LineAdjudication,
    LineToBill,
)
from domain.errors import DomainError
from tests.unit.claim_builders import (
    PAYER,
    SERVICE,
    bed,
    chair,
    drafted,
)
from tests.unit.replay import leaves, replay

S = ClaimStatus
PAYERS = [PAYER, "COM-AETNA", "COM-UHC", "MCD-IL", "NOPE"]
OXYGEN = LineToBill(
    order_line_id=bed().order_line_id,
    hcpcs="E1390",
    billing="rental",
    rental_month=7,
    from_date=SERVICE,
    to_date=date(2025, 4, 9),
    oxygen_flow_lpm=Decimal("5"),
    oxygen_group=1,
)
SUPPLY = LineToBill(
    order_line_id=chair().order_line_id,
    hcpcs="A7030",
    billing="purchase_new",
    from_date=SERVICE,
    to_date=SERVICE,
    units=2,
    kx_documented=True,
)
LINE_SETS = [[bed(), chair()], [OXYGEN], [SUPPLY, bed(month=1)], [chair(month=13)]]

cents = st.integers(min_value=-20_000, max_value=20_000).map(lambda c: Decimal(c).scaleb(-2))
amounts = st.one_of(
    cents,
    st.sampled_from([Decimal("0.005"), Decimal("1.001")]),  # fractions of a cent: refused
)
days = st.integers(min_value=-30, max_value=500)
groups = st.sampled_from(list(AdjustmentGroup))


def day(offset: int) -> date:
    return SERVICE + timedelta(days=offset)


class ClaimLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.claim: Claim
        self.events: list = []
        self.ledger_seen: tuple = ()
        self.last_remittance: tuple | None = None
        self.reversals = 0

    @initialize(lines=st.sampled_from(LINE_SETS), accepted=st.booleans())
    def draft(self, lines, accepted):
        self.claim = drafted(lines=lines, diagnoses=["G47.33", "M62.81", "J96.11"])
        self.events = list(self.claim.collect_events())
        if accepted:
            self.progress()

    def attempt(self, command) -> bool:
        """Run a command: either it records events, or it raises DomainError and records
        nothing and changes nothing."""
        before = (self.claim.version, dict(vars(self.claim)))
        try:
            command()
        except DomainError:
            assert self.claim.collect_events() == []
            assert (self.claim.version, dict(vars(self.claim))) == before
            return False
        new = self.claim.collect_events()
        assert new, "a command that succeeds records an event"
        self.events.extend(new)
        return True

    # -- the happy path, so that random runs reach the later states

    @rule()
    def progress(self):
        """Scrub, submit, record and accept, as far as the claim allows."""
        claim = self.claim
        steps = {
            S.DRAFT: lambda: claim.scrub(day(2)),
            S.REJECTED: lambda: claim.scrub(day(3)),
            S.SCRUBBED: lambda: claim.request_submission(claim.submission_count + 1),
            S.AWAITING_SECONDARY: lambda: claim.request_submission(claim.submission_count + 1),
            S.SUBMISSION_REQUESTED: lambda: claim.record_submission(
                "000000042", datetime(2025, 3, 12, tzinfo=UTC)
            ),
            S.TRANSMISSION_UNCONFIRMED: lambda: claim.record_transmission_received(
                datetime(2025, 3, 12, tzinfo=UTC)
            ),
            S.SUBMITTED: lambda: claim.acknowledge(True, [], datetime(2025, 3, 13, tzinfo=UTC)),
        }
        while claim.status in steps:
            succeeded = self.attempt(steps[claim.status])
            # only the scrub may refuse (e.g. after a correction to an invalid NPI)
            assert succeeded or claim.status in (S.DRAFT, S.REJECTED)
            if not succeeded:
                break

    # -- random commands, valid or not

    @rule(as_of=days)
    def scrub(self, as_of):
        self.attempt(lambda: self.claim.scrub(day(as_of)))

    @rule(number=st.integers(min_value=-1, max_value=4))
    def request_submission(self, number):
        succeeded = self.attempt(lambda: self.claim.request_submission(number))
        if number != self.claim.submission_count:
            assert not succeeded

    @rule(icn=st.sampled_from(["000000007", "7", "00000000A"]), aware=st.booleans())
    def record_submission(self, icn, aware):
        when = datetime(2025, 3, 12, 9, tzinfo=UTC if aware else None)
        self.attempt(lambda: self.claim.record_submission(icn, when))

    @rule(icn=st.sampled_from(["000000008", "8"]), carries_it=st.booleans())
    def prepare_transmission(self, icn, carries_it):
        others = [replacement_id_for(self.claim.id)]
        claims = [*others, self.claim.id] if carries_it else others
        when = datetime(2025, 3, 12, 8, tzinfo=UTC)
        succeeded = self.attempt(lambda: self.claim.prepare_transmission(icn, claims, when))
        if succeeded:
            assert self.claim.pending_transmission.interchange_control_number == icn
            assert self.claim.status is S.SUBMISSION_REQUESTED

    @rule(reason=st.sampled_from(["no status service", " "]))
    def leave_transmission_unconfirmed(self, reason):
        was_prepared = self.claim.pending_transmission is not None
        when = datetime(2025, 3, 12, 10, tzinfo=UTC)
        succeeded = self.attempt(lambda: self.claim.leave_transmission_unconfirmed(reason, when))
        assert not succeeded or was_prepared

    @rule()
    def record_transmission_received(self):
        pending = self.claim.pending_transmission
        when = datetime(2025, 3, 14, tzinfo=UTC)
        if self.attempt(lambda: self.claim.record_transmission_received(when)):
            assert self.claim.status is S.SUBMITTED
            assert self.claim.interchange_control_number == pending.interchange_control_number

    @rule()
    def record_transmission_not_received(self):
        when = datetime(2025, 3, 14, tzinfo=UTC)
        if self.attempt(lambda: self.claim.record_transmission_not_received(when)):
            assert self.claim.status is S.SCRUBBED and self.claim.pending_transmission is None

    @rule(
        accepted=st.booleans(), reasons=st.lists(st.sampled_from(["A3:21", "A7:562"]), max_size=2)
    )
    def acknowledge(self, accepted, reasons):
        when = datetime(2025, 3, 13, tzinfo=UTC)
        self.attempt(lambda: self.claim.acknowledge(accepted, reasons, when))

    @rule(category=st.sampled_from(["P1", "F1", "F2", "A4", "Z9"]))
    def record_status_report(self, category):
        """A 277 is recorded on a claim the payer was sent, in codes of list 507 only; it
        changes nothing but the claim's version."""
        allowed = self.claim.status in ALLOWED_STATES["record_status_report"][0]
        when = datetime(2025, 3, 20, tzinfo=UTC)
        succeeded = self.attempt(lambda: self.claim.record_status_report(
            category, "1", None, day(20), None, None, when))
        assert succeeded == (allowed and category != "Z9")

    @precondition(lambda self: self.claim.status is not S.SCRUBBED)
    @rule(npi=st.sampled_from(["1245319599", "1234567890"]))
    def correct(self, npi):
        self.attempt(lambda: self.claim.correct(on=day(3), ordering_npi=npi))

    @rule(
        data=st.data(),
        trace=st.sampled_from(["TRN-1", "TRN-2", "TRN-3"]),
        icn=st.sampled_from(["ICN-1", "ICN-2"]),
        status=st.sampled_from(["1", "1", "2", "4", "19", "22", "25"]),
        paid_on=days,
    )
    def adjudicate(self, data, trace, icn, status, paid_on):
        lines = []
        for line in self.claim.lines:
            if not data.draw(st.booleans(), label="include line"):
                continue
            adjustments = data.draw(
                st.lists(
                    st.builds(
                        Adjustment, groups, st.sampled_from(["45", "2", "29", "50"]), amounts
                    ),
                    max_size=3,
                ),
                label="adjustments",
            )
            lines.append(
                LineAdjudication(
                    line.line_id, data.draw(cents), data.draw(amounts), tuple(adjustments)
                )
            )
        already_posted = (trace, icn) in self.claim.posted_remittances
        succeeded = self.attempt(
            lambda: self.claim.adjudicate(trace, icn, status, lines, day(paid_on))
        )
        if already_posted:
            assert not succeeded

    @rule(
        data=st.data(),
        trace=st.sampled_from([f"TRN-{n}" for n in range(1, 6)]),
        icn=st.sampled_from(["ICN-1", "ICN-2", "ICN-3"]),
        status=st.sampled_from(["1", "2", "19", "4"]),
        paid_on=st.integers(min_value=20, max_value=60),
    )
    def remit(self, data, trace, icn, status, paid_on):
        """A plausible remittance: payments and adjustments in whole cents, zero if denied."""
        positive = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c).scaleb(-2))
        lines = []
        for line in self.claim.lines:
            if lines and not data.draw(st.booleans(), label="include line"):
                continue
            paid = Decimal("0.00") if status == "4" else data.draw(cents.map(abs), label="paid")
            adjustments = data.draw(
                st.lists(
                    st.builds(
                        Adjustment, groups, st.sampled_from(["45", "2", "1", "50"]), positive
                    ),
                    max_size=2,
                ),
                label="adjustments",
            )
            lines.append(LineAdjudication(line.line_id, paid, paid, tuple(adjustments)))
        if self.attempt(lambda: self.claim.adjudicate(trace, icn, status, lines, day(paid_on))):
            self.last_remittance = (icn, lines)

    @precondition(lambda self: self.last_remittance is not None)
    @rule(on=st.integers(min_value=60, max_value=90))
    def reverse(self, on):
        """The payer reverses its last remittance (CLP02 22): every amount negated."""
        icn, lines = self.last_remittance
        negated = [
            LineAdjudication(
                line.line_id,
                -line.allowed,
                -line.paid,
                tuple(dataclasses.replace(a, amount=-a.amount) for a in line.adjustments),
            )
            for line in lines
        ]
        self.reversals += 1
        before = self.claim.balance
        # PR adjustments move money from payer to patient: the total does not change
        posted = sum(
            line.paid
            + sum((a.amount for a in line.adjustments if a.group is not AdjustmentGroup.PR), 0)
            for line in lines
        )
        if self.attempt(
            lambda: self.claim.adjudicate(f"REV-{self.reversals}", icn, "22", negated, day(on))
        ):
            assert self.claim.balance == before + posted
        self.last_remittance = None

    @rule(payer=st.sampled_from(PAYERS), on=days)
    def transfer_to_secondary(self, payer, on):
        coverage = claim_id_for(self.claim.order_id, "2025-03", payer)  # any UUID will do
        self.attempt(lambda: self.claim.transfer_to_secondary(payer, coverage, day(on)))

    @rule(on=days)
    def assign_patient_responsibility(self, on):
        self.attempt(lambda: self.claim.assign_patient_responsibility(day(on), "coinsurance"))

    @rule(amount=amounts, on=days)
    def record_patient_payment(self, amount, on):
        owed = self.claim.party_balance(PATIENT)
        succeeded = self.attempt(
            lambda: self.claim.record_patient_payment(amount, day(on), "CHK-1")
        )
        if amount <= 0:
            assert not succeeded
        if succeeded:
            assert self.claim.party_balance(PATIENT) == owed - amount

    @rule(on=days)
    def write_off(self, on):
        self.attempt(lambda: self.claim.write_off(day(on), "small balance"))

    @rule(level=st.sampled_from([1, 2, 3]), on=days)
    def appeal(self, level, on):
        self.attempt(lambda: self.claim.appeal(level, day(on), "meets the policy"))

    @rule(on=days, favourable=st.booleans())
    def decide_appeal(self, on, favourable):
        self.attempt(lambda: self.claim.decide_appeal(day(on), favourable))

    @rule(on=days)
    def void(self, on):
        self.attempt(lambda: self.claim.void(day(on), "wrong patient"))

    @rule(on=days)
    def replace(self, on):
        if self.attempt(lambda: self.claim.replace(day(on), "wrong modifier")):
            assert self.claim.replacement_claim_id == replacement_id_for(self.claim.id)

    @rule(on=days)
    def close(self, on):
        claim = self.claim
        closable = claim.balance == 0 and claim.status not in (
            S.CLOSED,
            S.APPEALED,
            S.SUBMISSION_REQUESTED,
            S.SUBMITTED,
        )
        assert self.attempt(lambda: claim.close(day(on))) == closable

    @precondition(lambda self: self.claim.status is S.APPEALED)
    @rule()
    def appeal_is_open(self):
        assert self.claim.open_appeal in (AppealLevel.REDETERMINATION, AppealLevel.RECONSIDERATION)

    # -- invariants

    @invariant()
    def balance_is_the_fold_of_the_ledger_to_the_cent(self):
        claim = self.claim
        total = sum((e.amount for e in claim.ledger), Decimal("0.00"))
        assert claim.balance == total == sum(claim.line_balances.values(), Decimal("0.00"))
        parties = {e.party for e in claim.ledger}
        assert sum((claim.party_balance(p) for p in parties), Decimal("0.00")) == total
        assert all(e.amount.as_tuple().exponent == -2 for e in claim.ledger)
        assert claim.balance.as_tuple().exponent == -2

    @invariant()
    def ledger_is_append_only(self):
        assert self.claim.ledger[: len(self.ledger_seen)] == self.ledger_seen
        self.ledger_seen = self.claim.ledger

    @invariant()
    def no_float_anywhere(self):
        assert not any(isinstance(v, float) for v in leaves(vars(self.claim)))
        assert not any(isinstance(v, float) for e in self.events for v in leaves(vars(e)))

    @invariant()
    def closed_claim_has_zero_balance(self):
        if self.claim.status is S.CLOSED:
            assert self.claim.balance == 0

    def teardown(self):
        if self.events:
            assert vars(replay(self.events)) == vars(self.claim)


ClaimLifecycle.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestClaimLifecycle = ClaimLifecycle.TestCase

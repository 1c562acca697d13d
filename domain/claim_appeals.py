"""Appeals of a claim's determination: which level may be filed, and by when (pure).

A redetermination is filed within 120 days of receiving the remittance that decided the claim; a
reconsideration within 180 days of receiving the redetermination decision, after an unfavourable
one. Receipt is presumed 5 days after the notice's date (42 CFR 405.942(a), 405.962(a)). Only
one of each per claim. CARC 29 (timely filing) on the last determination is not appealable.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from domain.claim_values import AppealLevel
from domain.errors import InvalidValue, require
from domain.rules import billing_rule, calendar_date, present_text

if TYPE_CHECKING:
    from domain.claim import Claim

REDETERMINATION_DAYS = 120
RECONSIDERATION_DAYS = 180
NOT_APPEALABLE_CARCS = frozenset({"29"})
RECEIPT_PRESUMED_DAYS = 5


def appeal_window_closes(notice_on: date, days: int) -> date:
    """The last day to appeal a decision whose notice is dated `notice_on`: `days` after its
    receipt, presumed 5 days after the notice's date (42 CFR 405.942(a)(1), 405.962(a)(1);
    the supplier has no evidence of another receipt date to record)."""
    return notice_on + timedelta(days=RECEIPT_PRESUMED_DAYS + days)


def filed(
    claim: Claim, level: AppealLevel | int, filed_on: date, reason: str
) -> dict[str, Any]:
    """What the Appealed event records, once the appeal may be filed on `filed_on`."""
    level = appeal_level(level)
    filed_on = calendar_date(filed_on, "filed_on")
    reason = present_text(reason, "reason", "appeal_states_a_reason")
    appeal_may_be_filed(claim, level, filed_on)
    return {"level": level, "filed_on": filed_on, "reason": reason}


def decided(claim: Claim, decided_on: date, favourable: bool) -> dict[str, Any]:
    """What the AppealDecided event records: the payer's decision on the open appeal."""
    decided_on = calendar_date(decided_on, "decided_on")
    require(isinstance(favourable, bool), "appeal_decision_is_favourable_or_not", "bool")
    assert claim.open_appeal is not None
    decision_follows_filing(claim, decided_on)
    return {"level": claim.open_appeal, "decided_on": decided_on, "favourable": favourable}


def appeal_level(level: AppealLevel | int) -> AppealLevel:
    try:
        return AppealLevel(level.value if isinstance(level, AppealLevel) else level)
    except ValueError:
        raise InvalidValue(
            "appeal_level_is_redetermination_or_reconsideration", f"level {level!r}"
        ) from None


def appeal_may_be_filed(claim: Claim, level: AppealLevel, filed_on: date) -> None:
    """The claim's last determination may be appealed at `level` on `filed_on`."""
    determination_is_appealable(claim.last_determination_carcs)
    assert claim.last_determination_on is not None
    if level is AppealLevel.REDETERMINATION:
        redetermination_may_be_filed(
            filed_on, claim.last_determination_on, claim.redetermination_filed_on
        )
    else:
        reconsideration_may_be_filed(
            filed_on,
            claim.redetermination_decided_on,
            claim.redetermination_favourable,
            claim.reconsideration_filed_on,
        )


@billing_rule(
    "CMS Pub. 100-04 ch. 1 s. 70 (claims filed after the time limit are denied); X12 RARC"
    " N211 'You may not appeal this decision' with CARC 29",
    "tests/unit/test_claim_rules.py::test_timely_filing_denial_is_not_appealable",
)
def determination_is_appealable(carcs: Iterable[str]) -> None:
    """A denial for timely filing (CARC 29) is not appealable."""
    not_appealable = NOT_APPEALABLE_CARCS.intersection(carcs)
    require(
        not not_appealable,
        "timely_filing_denial_is_not_appealable",
        f"CARC {', '.join(sorted(not_appealable))} (timely filing) cannot be appealed",
    )


@billing_rule(
    "42 CFR 405.942(a) (a redetermination is requested within 120 calendar days of receipt"
    " of the notice of initial determination, receipt presumed 5 days after the notice's"
    " date; checked against the CFR text; the remittance's date is the notice's date);"
    " CMS Pub. 100-04 ch. 29 s. 310 (redetermination: 310.1 filing,"
    " 310.2 time limit, as listed in transmittal 1762)",
    "tests/unit/test_claim_rules.py::test_redetermination_filed_within_120_days_of_remittance",
    "tests/unit/test_claim_rules.py::test_redetermination_is_requested_once",
)
def redetermination_may_be_filed(
    filed_on: date, determined_on: date, already_filed_on: date | None
) -> None:
    """A redetermination is requested once, within 120 days of receiving the remittance that
    decided the claim."""
    require(
        already_filed_on is None,
        "redetermination_is_requested_once",
        "a redetermination was already requested",
    )
    _filed_within(
        filed_on,
        determined_on,
        REDETERMINATION_DAYS,
        "redetermination_filed_within_120_days_of_remittance",
    )


@billing_rule(
    "42 CFR 405.962(a) (a reconsideration is requested within 180 calendar days of receipt"
    " of the notice of redetermination, receipt presumed 5 days after the notice's date;"
    " checked against the CFR text); CMS Pub. 100-04 ch. 29 s. 320 (not verified against the"
    " source text)",
    "tests/unit/test_claim_rules.py::test_reconsideration_filed_within_180_days_of_redetermination",
    "tests/unit/test_claim_rules.py::test_reconsideration_follows_unfavourable_redetermination",
)
def reconsideration_may_be_filed(
    filed_on: date,
    redetermined_on: date | None,
    redetermination_favourable: bool | None,
    already_filed_on: date | None,
) -> None:
    """A reconsideration follows an unfavourable redetermination, once, within 180 days of
    receiving its decision."""
    require(
        redetermined_on is not None and redetermination_favourable is False,
        "reconsideration_follows_unfavourable_redetermination",
        "a reconsideration needs an unfavourable redetermination decision",
    )
    require(
        already_filed_on is None,
        "reconsideration_is_requested_once",
        "a reconsideration was already requested",
    )
    assert redetermined_on is not None
    _filed_within(
        filed_on,
        redetermined_on,
        RECONSIDERATION_DAYS,
        "reconsideration_filed_within_180_days_of_redetermination",
    )


def decision_follows_filing(claim: Claim, decided_on: date) -> None:
    """The open appeal is decided on or after it was filed."""
    filed_on = (
        claim.redetermination_filed_on
        if claim.open_appeal is AppealLevel.REDETERMINATION
        else claim.reconsideration_filed_on
    )
    assert filed_on is not None
    require(
        decided_on >= filed_on,
        "appeal_is_decided_after_filing",
        f"decision {decided_on} precedes filing {filed_on}",
    )


def _filed_within(filed_on: date, since: date, days: int, rule: str) -> None:
    closes = appeal_window_closes(since, days)
    require(
        since <= filed_on <= closes,
        rule,
        f"filed {filed_on}: must be within {days} days of receiving the notice of {since}"
        f" (by {closes})",
    )

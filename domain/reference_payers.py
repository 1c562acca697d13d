"""The payers of the packaged list, `reference/payers.csv`: whom a tenant without payer records
bills (decision 017), each with its kind and timely filing limit. Read once, lazily."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.resources import files

from domain.errors import InvalidValue
from domain.modifiers import PayerKind
from domain.rules import add_months, billing_rule


@dataclass(frozen=True)
class Payer:
    """A payer of reference/payers.csv. Its timely filing limit is its own, in months or in
    days from the date of service (one of the two is set): Medicare 12 months, one calendar
    year (42 CFR 424.44; Pub 100-04 ch.1 §70: a 29 February service is filed by 28 February);
    Illinois Medicaid 180 days (HFS provider notice of 23 July 2012, SMART Act, Public Act
    097-0689); commercial payers as their contracts say."""

    payer_id: str
    name: str
    kind: PayerKind
    x12_payer_id: str
    timely_filing_months: int | None
    timely_filing_days: int | None = None

    @billing_rule(
        "42 CFR 424.44 (Medicare: one calendar year after the date of service); CMS Pub. 100-04"
        " ch. 1 s. 70 (a 29 February service is filed by 28 February); Illinois HFS provider"
        " notice of 23 July 2012, SMART Act (Medicaid: 180 days)",
        "tests/unit/test_pricing.py::test_timely_filing_is_the_payers_own_limit_from_the_date_of_service",
    )
    def filing_deadline(self, service_from: date) -> date:
        """The last day a claim for a service from `service_from` is filed in time."""
        if self.timely_filing_days is not None:
            return service_from + timedelta(days=self.timely_filing_days)
        assert self.timely_filing_months is not None
        return add_months(service_from, self.timely_filing_months)


@cache
def payers() -> dict[str, Payer]:
    return {
        row["payer_id"]: Payer(
            payer_id=row["payer_id"],
            name=row["name"],
            kind=PayerKind(row["kind"]),
            x12_payer_id=row["x12_payer_id"],
            timely_filing_months=_count(row["timely_filing_months"]),
            timely_filing_days=_count(row.get("timely_filing_days", "")),
        )
        for row in csv.DictReader(io.StringIO(_payers_csv()))
    }


def _count(text: str | None) -> int | None:
    return int(text) if text and text.strip() else None


def payer(payer_id: str) -> Payer:
    """The payer of the packaged list, or InvalidValue (rule `payer_is_in_reference_list`)."""
    try:
        return payers()[payer_id]
    except (KeyError, TypeError):
        raise InvalidValue(
            "payer_is_in_reference_list", f"payer {payer_id!r} is not in the payer list"
        ) from None


def billed_payer(payer_or_id: Payer | str) -> Payer:
    """The payer a line is priced for: the one given (the tenant's payer record, built by the
    application layer; decision 017), or by its id the packaged list's (tenants without payer
    records)."""
    if isinstance(payer_or_id, Payer):
        return payer_or_id
    return payer(payer_or_id)


def _payers_csv() -> str:
    return files("domain").joinpath("reference/payers.csv").read_text(encoding="utf-8")

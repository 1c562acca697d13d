"""The six report files' figures, read from the read models only (read.claims, claim lines and
ledger, remittances, the provider ledger and the rental census view), scoped to one tenant. No
report names a patient: payers, codes, months, claim ids and money only, so each may go to an
owner or an analyst (report_model.py holds the shape; interfaces/reports/ the files).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Date, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from projections.claims_tables import claim_ledger_entries, claims
from projections.queries import inventory
from projections.queries.local_today import AskedAt, location_today
from projections.queries.report_model import Chart, Report, ReportColumn, Section
from projections.queries.scope import tenant_rows
from projections.remittances_tables import provider_ledger_entries, remittances

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
AGING_BUCKETS = (
    ("days_0_30", "0-30", 0, 30),
    ("days_31_60", "31-60", 31, 60),
    ("days_61_90", "61-90", 61, 90),
    ("days_91_120", "91-120", 91, 120),
    ("days_over_120", "120+", 121, None),
)
DSO_WINDOW_DAYS = 90
CENSUS_MONTHS = 12
# Unfiled claims whose deadline falls within this many days are at risk (and past it: lost).
TIMELY_FILING_HORIZON_DAYS = 90
CLOSED_STATUSES = ("voided", "replaced", "closed")


def ar_aging(
    conn: Connection, tenant_id: str, as_of: dt.date, asked: AskedAt | None = None
) -> Report:
    """Open balances by who owes them (payer or patient) and days since the claim's first date
    of service, as of `as_of`: read.ar_aging's figures (migration 0006) on a given day. A
    party's balance on a claim is the sum of its ledger entries there, when positive. With
    `asked` (a report of today, no as_of chosen), each claim's age counts to today at its
    location (`local_today`)."""
    e, c = claim_ledger_entries.c, claims.c
    owed = (
        select(e.claim_id, e.party, func.sum(e.amount).label("balance"))
        .where(tenant_rows(e.tenant_id, tenant_id))
        .group_by(e.claim_id, e.party)
        .having(func.sum(e.amount) > 0)
        .subquery()
    )
    days = _today(as_of, asked) - c.service_from
    buckets = [
        func.coalesce(func.sum(owed.c.balance).filter(
            days >= low if high is None else days.between(low, high)), ZERO).label(key)
        for key, _, low, high in AGING_BUCKETS
    ]
    rows = conn.execute(
        select(owed.c.party, func.count(), func.sum(owed.c.balance), *buckets)
        .select_from(owed.join(claims, c.claim_id == owed.c.claim_id))
        .group_by(owed.c.party)
        .order_by(owed.c.party)
    ).all()
    columns = (
        ReportColumn("payer_id", "Payer"),
        ReportColumn("open_claims", "Open claims", "int"),
        ReportColumn("balance", "Balance", "money"),
        *(ReportColumn(key, f"{title} days", "money") for key, title, _, _ in AGING_BUCKETS),
    )
    section = Section(
        "Open balances by payer and age", columns, [tuple(row) for row in rows],
        chart=Chart("stacked_bar", "Balance by payer and age", "payer_id",
                    tuple(key for key, *_ in AGING_BUCKETS)),
    )
    return Report("ar_aging", "Accounts receivable aging", tenant_id, as_of, (section,), notes=(
        "Age: days from the claim's first date of service to the as-of date.",
        "Balance: what each party (payer id, or patient) owes on its open claims.",
    ))


def denials(conn: Connection, tenant_id: str, start: dt.date, end: dt.date) -> Report:
    """Denied lines by payer, CARC and RARCs, from remittances paid in [start, end]: the
    non-patient (not PR) adjustments on every claim line a determination paid nothing for
    (X12 835 TR3: a CLP/SVC with a zero payment and its CAS reasons; reversals, CLP02 22,
    excluded). Amount denied is what those adjustments took off the payer's share."""
    e = claim_ledger_entries.c
    paid = aliased(claim_ledger_entries)
    query = (
        select(
            e.party, e.carc, e.rarcs,
            func.count(func.distinct(e.claim_id)), func.count(func.distinct(e.line_id)),
            func.sum(-e.amount),
        )
        .where(
            tenant_rows(e.tenant_id, tenant_id),
            e.event_type == "Adjudicated",
            e.carc.is_not(None),
            or_(e.cas_group.is_(None), e.cas_group != "PR"),
            or_(e.claim_status_code.is_(None), e.claim_status_code != "22"),
            e.posted_on.between(start, end),
            ~exists().where(
                paid.c.claim_id == e.claim_id, paid.c.version == e.version,
                paid.c.line_id == e.line_id, paid.c.kind == "payment", paid.c.amount != 0,
            ),
        )
        .group_by(e.party, e.carc, e.rarcs)
        .order_by(e.party, e.carc, e.rarcs)
    )
    rows = [(party, carc, ", ".join(rarcs), *rest)
            for party, carc, rarcs, *rest in conn.execute(query).all()]
    columns = (
        ReportColumn("payer_id", "Payer"),
        ReportColumn("carc", "CARC"),
        ReportColumn("rarcs", "RARCs"),
        ReportColumn("claims", "Claims", "int"),
        ReportColumn("lines", "Lines", "int"),
        ReportColumn("denied", "Amount denied", "money"),
    )
    by_carc: dict[str, Decimal] = {}
    for row in rows:
        by_carc[row[1]] = by_carc.get(row[1], ZERO) + row[5]
    chart_section = Section(
        "Amount denied by CARC", (ReportColumn("carc", "CARC"),
                                  ReportColumn("denied", "Amount denied", "money")),
        sorted(by_carc.items()),
        chart=Chart("bar", "Amount denied by CARC", "carc", ("denied",)),
    )
    return Report(
        "denials", "Denials by payer and reason", tenant_id, end,
        (Section("Denied lines by payer, CARC and RARC", columns, rows), chart_section),
        period=(start, end),
        notes=("CARC: claim adjustment reason code; RARC: remittance advice remark code "
               "(X12 external code lists 139 and 411).",
               "A line counts as denied when the payer's determination paid nothing for it."),
    )


def cash_posting(conn: Connection, tenant_id: str, start: dt.date, end: dt.date) -> Report:
    """Deposits (one per 835 payment: BPR02 cash, its claims' CLP04 total, the provider-level
    adjustments, what was posted to claims and whether it reconciles) paid in [start, end],
    and the provider-level adjustments (PLB) themselves. X12 835 TR3: the sum of CLP04 less
    the PLB amounts equals BPR02."""
    r = remittances.c
    deposits = conn.execute(
        select(r.paid_on, r.payer_id, r.payer_identifier, r.trace_number, r.payment_method,
               r.claim_count, r.claims_paid, r.provider_adjustments, r.cash,
               func.coalesce(r.posted_to_claims, ZERO), r.reconciles)
        .where(tenant_rows(r.tenant_id, tenant_id), r.paid_on.between(start, end))
        .order_by(r.paid_on, r.trace_number)
    ).all()
    p = provider_ledger_entries.c
    adjustments = conn.execute(
        select(p.paid_on, p.payer_id, p.trace_number, p.provider_id, p.fiscal_period, p.code,
               p.reference, p.amount)
        .where(tenant_rows(p.tenant_id, tenant_id), p.paid_on.between(start, end))
        .order_by(p.paid_on, p.trace_number, p.entry_index)
    ).all()
    deposit_rows = [
        (row[0], row[1] or row[2], *row[3:10], _yes_no(row[10])) for row in deposits
    ]
    return Report(
        "cash_posting", "Cash posting and deposits", tenant_id, end,
        (
            Section(
                "Deposits",
                (ReportColumn("paid_on", "Paid on", "date"), ReportColumn("payer_id", "Payer"),
                 ReportColumn("trace_number", "Trace (TRN02)"),
                 ReportColumn("payment_method", "Method"),
                 ReportColumn("claim_count", "Claims", "int"),
                 ReportColumn("claims_paid", "Claims paid (CLP04)", "money"),
                 ReportColumn("provider_adjustments", "Provider adjustments (PLB)", "money"),
                 ReportColumn("cash", "Deposit (BPR02)", "money"),
                 ReportColumn("posted_to_claims", "Posted to claims", "money"),
                 ReportColumn("reconciles", "Reconciles")),
                deposit_rows,
                chart=Chart("bar", "Deposits by day", "paid_on", ("cash",)),
            ),
            Section(
                "Provider-level adjustments",
                (ReportColumn("paid_on", "Paid on", "date"), ReportColumn("payer_id", "Payer"),
                 ReportColumn("trace_number", "Trace (TRN02)"),
                 ReportColumn("provider_id", "Provider (PLB01)"),
                 ReportColumn("fiscal_period", "Fiscal period", "date"),
                 ReportColumn("code", "Reason (PLB03-1)"),
                 ReportColumn("reference", "Reference (PLB03-2)"),
                 ReportColumn("amount", "Amount (PLB04)", "money")),
                [tuple(row) for row in adjustments],
            ),
        ),
        period=(start, end),
        notes=("A positive provider adjustment lowered the deposit (a recoupment), a negative "
               "one raised it (interest).",),
    )


def days_sales_outstanding(conn: Connection, tenant_id: str, as_of: dt.date) -> Report:
    """Days sales outstanding per primary payer: the open AR (claims' balances) divided by
    the average daily charges of the last DSO_WINDOW_DAYS days (claims drafted then), the
    usual healthcare 'days in accounts receivable' on gross charges."""
    c = claims.c
    start = as_of - dt.timedelta(days=DSO_WINDOW_DAYS - 1)
    rows = conn.execute(
        select(
            c.payer_id,
            func.coalesce(func.sum(c.balance).filter(c.balance > 0), ZERO),
            func.coalesce(func.sum(c.charge_total).filter(c.drafted_on.between(start, as_of)),
                          ZERO),
        )
        .where(tenant_rows(c.tenant_id, tenant_id), c.drafted_on <= as_of)
        .group_by(c.payer_id)
        .order_by(c.payer_id)
    ).all()
    table = [(payer, ar, charges, *_dso(ar, charges)) for payer, ar, charges in rows]
    section = Section(
        f"Days sales outstanding ({DSO_WINDOW_DAYS}-day charges)",
        (ReportColumn("payer_id", "Payer"), ReportColumn("open_ar", "Open AR", "money"),
         ReportColumn("charges", f"Charges, last {DSO_WINDOW_DAYS} days", "money"),
         ReportColumn("daily_charges", "Average daily charges", "money"),
         ReportColumn("dso", "DSO (days)", "days")),
        table,
        totals=False,
        chart=Chart("bar", "DSO by payer", "payer_id", ("dso",)),
    )
    ar = sum((row[1] for row in table), ZERO)
    charges = sum((row[2] for row in table), ZERO)
    overall = Section(
        "All payers",
        section.columns,
        [("All payers", ar, charges, *_dso(ar, charges))],
        totals=False,
    )
    return Report(
        "dso", "Days sales outstanding", tenant_id, as_of, (section, overall),
        period=(start, as_of),
        notes=("DSO = open AR / (charges drafted in the window / days in the window).",
               "A payer without charges in the window has no DSO (blank)."),
    )


def _dso(ar: Decimal, charges: Decimal) -> tuple[Decimal, Decimal | None]:
    daily = (charges / DSO_WINDOW_DAYS).quantize(CENT)
    return daily, ((ar / daily).quantize(Decimal("0.1")) if daily > 0 else None)


def rental_census(conn: Connection, tenant_id: str, as_of: dt.date) -> Report:
    """Serialised units out on rental, by HCPCS and month, for the CENSUS_MONTHS months up to
    `as_of`'s: the inventory census (`inventory.rental_census`, the analysts' view
    read.rental_census) with its items summed per code, so the report, the API and the view
    give one count. A unit counts in every month from its delivery to its pickup or sale."""
    months = _months_back(as_of, CENSUS_MONTHS)
    index = {first: i for i, (first, _) in enumerate(months)}
    counts: dict[str, list[int]] = {}
    for row in inventory.rental_census(
        conn, tenant_id, from_month=months[0][0], to_month=months[-1][0]
    ):
        counts.setdefault(row.hcpcs, [0] * len(months))[index[row.month]] += row.units_rented
    columns = (
        ReportColumn("hcpcs", "HCPCS"),
        *(ReportColumn(f"m{first:%Y_%m}", f"{first:%Y-%m}", "int") for first, _ in months),
    )
    by_code = Section("Rental items out by HCPCS and month", columns,
                      [(hcpcs, *values) for hcpcs, values in sorted(counts.items())])
    totals = by_code.total_row() or ()
    by_month = Section(
        "Rental items out by month",
        (ReportColumn("month", "Month"), ReportColumn("items", "Items out", "int")),
        [(f"{first:%Y-%m}", totals[i + 1]) for i, (first, _) in enumerate(months)],
        totals=False,
        chart=Chart("line", "Rental items out by month", "month", ("items",)),
    )
    return Report("rental_census", "Rental census", tenant_id, as_of, (by_code, by_month),
                  notes=("A serialised unit counts in every month it spent at least one day "
                         "with the patient; items delivered without a serial from stock (orders "
                         "placed before the tenant had a location) are not counted.",))


def timely_filing(
    conn: Connection, tenant_id: str, as_of: dt.date, asked: AskedAt | None = None
) -> Report:
    """Claims the payer does not have yet (not filed: never accepted or adjudicated) whose
    timely-filing deadline (read.claims, from the billed payer's limit: one calendar year
    after the date of service for Medicare, 42 CFR 424.44) falls within
    TIMELY_FILING_HORIZON_DAYS of `as_of`, or has passed: the claims that will be, or are,
    lost if not filed."""
    c = claims.c
    days_left = c.timely_filing_deadline - _today(as_of, asked)
    band = case(
        (days_left < 0, "past deadline"),
        (days_left <= 30, "0-30 days"),
        (days_left <= 60, "31-60 days"),
        else_="61-90 days",
    )
    rows = conn.execute(
        select(c.claim_id, c.patient_control_number, c.billed_payer_id, c.billing_month,
               c.status, c.service_from, c.timely_filing_deadline, days_left, band,
               c.charge_total)
        .where(
            tenant_rows(c.tenant_id, tenant_id),
            c.filed.is_(False),
            c.status.not_in(CLOSED_STATUSES),
            days_left <= TIMELY_FILING_HORIZON_DAYS,
        )
        .order_by(c.timely_filing_deadline, c.claim_id)
    ).all()
    table = [(str(row[0]), *row[1:]) for row in rows]
    bands: dict[str, list[Any]] = {
        name: [name, 0, ZERO]
        for name in ("past deadline", "0-30 days", "31-60 days", "61-90 days")
    }
    for row in table:
        bands[row[8]][1] += 1
        bands[row[8]][2] += row[9]
    return Report(
        "timely_filing", "Timely-filing risk", tenant_id, as_of,
        (
            Section(
                "Unfiled claims near or past their filing deadline",
                (ReportColumn("claim_id", "Claim"), ReportColumn("control", "Control (CLM01)"),
                 ReportColumn("payer_id", "Payer"), ReportColumn("billing_month", "Month"),
                 ReportColumn("status", "Status"),
                 ReportColumn("service_from", "Service from", "date"),
                 ReportColumn("deadline", "Filing deadline", "date"),
                 ReportColumn("days_left", "Days left", "int"), ReportColumn("band", "Band"),
                 ReportColumn("charge_total", "Charges", "money")),
                table,
            ),
            Section(
                "By days left",
                (ReportColumn("band", "Band"), ReportColumn("claims", "Claims", "int"),
                 ReportColumn("charges", "Charges", "money")),
                [tuple(values) for values in bands.values()],
                chart=Chart("bar", "Charges at risk by days left", "band", ("charges",)),
            ),
        ),
        notes=("Deadline: first date of service plus the billed payer's timely-filing limit.",),
    )


def _today(as_of: dt.date, asked: AskedAt | None) -> ColumnElement[dt.date]:
    """The day a claim's age or days left count to: `as_of`, or when the report is of today
    (`asked`), today at the claim's location, in its time zone."""
    if asked is None:
        return literal(as_of, Date)
    return location_today(claims.c.location_id, asked)


def _months_back(as_of: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The `count` calendar months ending with as_of's, oldest first, as (first, last) days."""
    months = []
    first = as_of.replace(day=1)
    for _ in range(count):
        following = (first + dt.timedelta(days=32)).replace(day=1)
        months.append((first, following - dt.timedelta(days=1)))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def _yes_no(value: bool | None) -> str:
    return "not posted" if value is None else ("yes" if value else "NO")


Builder = Callable[..., Report]
PERIOD_REPORTS = frozenset({"denials", "cash_posting"})
BUILDERS: dict[str, Builder] = {
    "ar_aging": ar_aging,
    "denials": denials,
    "cash_posting": cash_posting,
    "dso": days_sales_outstanding,
    "rental_census": rental_census,
    "timely_filing": timely_filing,
}


# Reports whose claims count days to "today": with no as_of chosen, each claim's location's.
LOCAL_TODAY_REPORTS = ("ar_aging", "timely_filing")


def build_report(
    conn: Connection, kind: str, tenant_id: str, *, as_of: dt.date,
    start: dt.date | None = None, asked: AskedAt | None = None,
) -> Report:
    """Report `kind` for the tenant: as of a day, or for a period ending then (from `start`,
    by default the first of as_of's month). `asked`: the report is of today (no as_of was
    chosen, `as_of` is the supplier's today), so claims count to today at their location."""
    if kind in PERIOD_REPORTS:
        return BUILDERS[kind](conn, tenant_id, start or as_of.replace(day=1), as_of)
    if kind in LOCAL_TODAY_REPORTS and asked is not None:
        return BUILDERS[kind](conn, tenant_id, as_of, asked)
    return BUILDERS[kind](conn, tenant_id, as_of)

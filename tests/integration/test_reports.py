"""Every report, in every format, from the demo data (plus one 835 paying one demo claim and
denying another, so the denial and cash reports have figures): the CSV, the Excel workbook
(opened with openpyxl) and the PDF (text extracted with pypdf) carry totals equal to the read
models' own sums, computed here with SQL of their own."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from rich.console import Console
from sqlalchemy import text
from typer.testing import CliRunner

from application.remittances import post_remittance, receive_remittance
from domain.context import bound_context
from interfaces.cli.demo import DEMO_TENANT, seed_demo
from interfaces.cli.main import app
from interfaces.reports.files import FORMATS, generate
from projections.queries import inventory as inventory_queries
from projections.queries.report_model import REPORT_KINDS
from projections.runner import catch_up
from tests.unit.remittance_835 import Clp, Svc, build_835

pytestmark = pytest.mark.integration

D = Decimal
PROJECTIONS = ("orders", "claims", "remittances", "inventory")
PLBS = [("WO:ICN-OLD-1", D("12.50")), ("L6", D("-1.27"))]


@pytest.fixture(scope="module")
def demo(isolated_aries):
    """The demo tenant seeded, two Medicare claims filed, one paid and one denied by an 835
    with two provider-level adjustments, every projection caught up."""
    aries = isolated_aries
    seed_demo(aries, patients=12, console=Console(file=io.StringIO()))
    aries.claims.catch_up_all()
    _project(aries)
    today = aries.claims.clock.today()
    with aries.read_engine.connect() as conn:
        ids = conn.execute(text(
            "SELECT claim_id FROM read.claims WHERE tenant_id = :t AND payer_id = 'MCR-DMEB' "
            "AND status = 'draft' ORDER BY claim_id LIMIT 2"), {"t": DEMO_TENANT}).scalars().all()
    assert len(ids) == 2
    with bound_context(tenant_id=DEMO_TENANT, actor_id="biller-1", actor_role="biller"):
        filed = []
        for claim_id in ids:
            claim = aries.claims.get_claim(claim_id)
            claim.scrub(today)
            claim.request_submission(1)
            claim.record_submission("000000101", datetime.now(UTC))
            claim.acknowledge(True, [], datetime.now(UTC))
            aries.claims.commit(claim)
            filed.append(aries.claims.get_claim(claim_id))
        paid, denied = filed
        text_835 = build_835(
            [Clp(paid.patient_control_number, "1", "25074000000101",
                 [_paid(line) for line in paid.lines]),
             Clp(denied.patient_control_number, "4", "25074000000102",
                 [_denied(line) for line in denied.lines])],
            trace="EFTREPORTS01", paid_on=today, plbs=PLBS,
        )
        received = receive_remittance(aries.claims, text_835, "biller-1")
    with bound_context(tenant_id=DEMO_TENANT, actor_id="worker:post_remittance",
                       actor_role="system"):
        post_remittance(aries.claims, received.id)
    _project(aries)
    return aries, today


def _project(aries) -> None:
    for name in PROJECTIONS:
        catch_up(aries, name)


def _paid(line) -> Svc:
    allowed = (line.charge * D("0.80")).quantize(D("0.01"))
    coinsurance = (allowed * D("0.20")).quantize(D("0.01"))
    return Svc(line.hcpcs, line.modifiers, line.charge, allowed - coinsurance,
               [("CO", "45", line.charge - allowed), ("PR", "2", coinsurance)],
               control=line.line_id.hex, served_on=line.from_date, allowed=allowed)


def _denied(line) -> Svc:
    return Svc(line.hcpcs, line.modifiers, line.charge, D("0.00"), [("CO", "50", line.charge)],
               rarcs=["N115"], control=line.line_id.hex, served_on=line.from_date)


def _scalar(aries, sql: str, **params) -> Decimal:
    with aries.read_engine.connect() as conn:
        return conn.execute(text(sql), {"t": DEMO_TENANT, **params}).scalar_one()


def _expected(aries, kind: str, today: date) -> dict[tuple[str, str], Decimal]:
    """(section title, column title) -> the total that column must show, from the read models
    (SQL written here, not the report's)."""
    month_start = today.replace(day=1)
    if kind == "ar_aging":
        balance = _scalar(aries, """
            SELECT coalesce(sum(b), 0) FROM (
              SELECT sum(amount) AS b FROM read.claim_ledger_entries WHERE tenant_id = :t
              GROUP BY claim_id, party HAVING sum(amount) > 0) AS owed""")
        view = _scalar(aries, "SELECT coalesce(sum(balance), 0) FROM read.ar_aging "
                       "WHERE tenant_id = :t")
        assert balance == view
        return {("Open balances by payer and age", "Balance"): balance}
    if kind == "denials":
        denied = _scalar(aries, """
            SELECT -sum(amount) FROM read.claim_ledger_entries
            WHERE tenant_id = :t AND carc = '50' AND posted_on >= :m""", m=month_start)
        return {("Denied lines by payer, CARC and RARC", "Amount denied"): denied}
    if kind == "cash_posting":
        cash = _scalar(aries, "SELECT sum(cash) FROM read.remittances WHERE tenant_id = :t")
        plb = _scalar(aries, "SELECT sum(amount) FROM read.provider_ledger_entries "
                      "WHERE tenant_id = :t")
        assert plb == sum(amount for _, amount in PLBS)
        return {("Deposits", "Deposit (BPR02)"): cash,
                ("Provider-level adjustments", "Amount (PLB04)"): plb}
    if kind == "dso":
        ar = _scalar(aries, "SELECT sum(balance) FROM read.claims WHERE tenant_id = :t "
                     "AND balance > 0")
        return {("All payers", "Open AR"): ar}
    if kind == "rental_census":
        # Serialised units with a patient at some time this month (the census's definition).
        out = _scalar(aries, """
            SELECT count(*) FROM read.serial_rentals
            WHERE tenant_id = :t AND rented_on <= :end
              AND (ended_on IS NULL OR ended_on >= :m)""",
            m=month_start, end=(month_start + timedelta(days=32)).replace(day=1)
            - timedelta(days=1))
        return {("Rental items out by HCPCS and month", f"{today:%Y-%m}"): D(out)}
    assert kind == "timely_filing"
    charges = _scalar(aries, """
        SELECT coalesce(sum(charge_total), 0) FROM read.claims
        WHERE tenant_id = :t AND NOT filed AND status NOT IN ('voided', 'replaced', 'closed')
          AND timely_filing_deadline - CAST(:d AS date) <= 90""", d=today)
    return {("Unfiled claims near or past their filing deadline", "Charges"): charges}


def _csv_totals(content: bytes) -> dict[tuple[str, str], str]:
    totals: dict[tuple[str, str], str] = {}
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    section, header = None, None
    for row in rows:
        if not row:
            section, header = None, None
        elif section is None:
            section = row[0]
        elif header is None:
            header = row
        elif row[0] in ("Total", "All payers"):
            totals.update({(section, title): value for title, value in zip(header, row,
                                                                            strict=True)})
    return totals


def _csv_rows(content: bytes, title: str) -> dict[str, dict[str, str]]:
    """The body rows of the CSV section `title`, by first cell, each by column title."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    start = next(i for i, row in enumerate(rows) if row == [title])
    header, found = rows[start + 1], {}
    for row in rows[start + 2:]:
        if not row or row[0] == "Total":
            break
        found[row[0]] = dict(zip(header, row, strict=True))
    return found


def _xlsx_totals(content: bytes) -> dict[tuple[str, str], object]:
    book = load_workbook(io.BytesIO(content))
    totals = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if sheet.title == "Notes" or not rows:
            continue
        header, last = rows[0], rows[-1]
        if last[0] in ("Total", "All payers"):
            totals.update({(sheet.title, str(title)): value
                           for title, value in zip(header, last, strict=True)})
    return totals


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_a_report_from_the_demo_data_carries_the_read_models_totals(demo, kind, fmt):
    aries, today = demo
    expected = _expected(aries, kind, today)
    file = generate(aries.read_engine, kind, fmt, DEMO_TENANT, as_of=today)
    assert file.filename == f"{kind}-{today:%Y%m%d}.{fmt}"
    assert any(value != 0 for value in expected.values()) or kind == "timely_filing"
    if fmt == "csv":
        found = _csv_totals(file.content)
        for key, value in expected.items():
            assert D(found[key]) == value, key
    elif fmt == "xlsx":
        found = _xlsx_totals(file.content)
        for (section, column), value in expected.items():
            assert D(str(found[(section[:31], column)])).quantize(D("0.01")) == value, section
    else:
        assert file.content.startswith(b"%PDF")
        words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(file.content)).pages)
        for (section, _), value in expected.items():
            assert section in words
            shown = f"{value:,.2f}" if value.as_tuple().exponent == -2 else f"{int(value):,}"
            assert shown in words, (section, shown)


def test_another_tenants_report_shows_none_of_the_demo_figures(demo):
    aries, today = demo
    for kind in REPORT_KINDS:
        found = _csv_totals(generate(aries.read_engine, kind, "csv", "t-nobody", as_of=today)
                            .content)
        empty = ("Total", "All payers", "", "0", "0.00")
        assert all(value in empty for value in found.values()), kind


def test_the_dso_is_open_ar_over_average_daily_charges_of_ninety_days(demo):
    aries, today = demo
    found = _xlsx_totals(generate(aries.read_engine, "dso", "xlsx", DEMO_TENANT,
                                  as_of=today).content)
    ar, charges = D(str(found[("All payers", "Open AR")])), D(
        str(found[("All payers", "Charges, last 90 days")]))
    daily = (charges / 90).quantize(D("0.01"))
    assert D(str(found[("All payers", "DSO (days)")])) == (ar / daily).quantize(D("0.1"))


def test_the_cli_writes_a_report_file_with_the_read_models_totals(
    demo, tmp_path, monkeypatch, redis_prefix
):
    aries, today = demo
    monkeypatch.setenv("ARIES_DATABASE_URL", aries.settings.database_url)
    monkeypatch.setenv("ARIES_REDIS_URL", aries.settings.redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")
    out = tmp_path / "aging.xlsx"

    result = CliRunner().invoke(app, ["reports", "make", "ar_aging", "--tenant", DEMO_TENANT,
                                      "--format", "xlsx", "--as-of", today.isoformat(),
                                      "--out", str(out)])

    assert result.exit_code == 0, result.output
    found = _xlsx_totals(out.read_bytes())
    (key, value), = _expected(aries, "ar_aging", today).items()
    assert D(str(found[(key[0][:31], key[1])])).quantize(D("0.01")) == value


def test_the_cli_refuses_a_report_kind_it_does_not_have(demo):
    result = CliRunner().invoke(app, ["reports", "make", "payroll", "--tenant", DEMO_TENANT])
    assert result.exit_code == 2


def test_the_reports_rental_census_is_the_inventory_census_summed_by_code(demo):
    """One census: the report's figures per code and month are the inventory query's (the
    API's /v1/rental-census and the analysts' view) with its items summed."""
    aries, today = demo
    firsts = [today.replace(day=1)]
    for _ in range(2):
        firsts.insert(0, (firsts[0] - timedelta(days=1)).replace(day=1))
    months = [f"{first:%Y-%m}" for first in firsts]
    with aries.read_engine.connect() as conn:
        rows = inventory_queries.rental_census(
            conn, DEMO_TENANT, from_month=firsts[0], to_month=firsts[-1])
        view = conn.execute(text(
            "SELECT hcpcs, to_char(month, 'YYYY-MM'), sum(units_rented) FROM read.rental_census"
            " WHERE tenant_id = :t GROUP BY 1, 2"), {"t": DEMO_TENANT}).all()
    from_query: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.hcpcs, f"{row.month:%Y-%m}")
        from_query[key] = from_query.get(key, 0) + row.units_rented
    assert from_query and sum(from_query.values()) > 0
    assert from_query == {(h, m): int(n) for h, m, n in view if m in months}
    report = _csv_rows(generate(aries.read_engine, "rental_census", "csv", DEMO_TENANT,
                                as_of=today).content, "Rental items out by HCPCS and month")
    from_report = {
        (code, month): int(report[code][month])
        for code in report for month in months if int(report[code][month])
    }
    assert from_report == from_query

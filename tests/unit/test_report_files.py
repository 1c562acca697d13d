"""Rendering a report (no I/O): the totals row sums exactly what the rows hold, in CSV and in
Excel; the PDF is a PDF with the section titles in its text; months count back correctly."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from interfaces.reports.files import render
from projections.queries.report_model import Chart, Report, ReportColumn, Section
from projections.queries.reports import _months_back

MONEY = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2,
                    allow_nan=False, allow_infinity=False)
ROWS = st.lists(st.tuples(st.sampled_from(["MCR-DMEB", "COM-AETNA", "patient"]),
                          st.integers(0, 1000), MONEY), max_size=30)
COLUMNS = (ReportColumn("payer_id", "Payer"), ReportColumn("claims", "Claims", "int"),
           ReportColumn("balance", "Balance", "money"))


def _report(rows, chart=None) -> Report:
    return Report("ar_aging", "Accounts receivable aging", "t-1", dt.date(2026, 12, 4),
                  (Section("By payer", COLUMNS, rows, chart=chart),), notes=("A note.",))


@given(ROWS)
def test_the_csv_totals_row_sums_the_rows_exactly(rows):
    lines = list(csv.reader(io.StringIO(render(_report(rows), "csv").content.decode())))
    assert lines[0] == ["By payer"] and lines[1] == ["Payer", "Claims", "Balance"]
    assert lines[-1] == ["Total", str(sum(r[1] for r in rows)),
                         str(sum((r[2] for r in rows), Decimal("0.00")))]
    assert len(lines) == len(rows) + 3


@given(ROWS)
def test_the_workbook_totals_row_sums_the_rows_to_the_cent(rows):
    book = load_workbook(io.BytesIO(render(_report(rows), "xlsx").content))
    sheet = book["By payer"]
    *_, totals = sheet.iter_rows(values_only=True)
    assert totals[0] == "Total"
    assert totals[1] == sum(r[1] for r in rows)
    assert Decimal(str(totals[2])).quantize(Decimal("0.01")) == sum(
        (r[2] for r in rows), Decimal("0.00"))
    assert sheet["C2"].number_format.startswith("#,##0.00") if rows else True
    assert book.sheetnames == ["By payer", "Notes"]


def test_the_pdf_holds_the_title_the_sections_and_the_totals_with_a_chart():
    rows = [("MCR-DMEB", 3, Decimal("1200.50")), ("COM-AETNA", 1, Decimal("99.50"))]
    chart = Chart("bar", "Balance by payer", "payer_id", ("balance",))
    file = render(_report(rows, chart), "pdf")
    assert file.media_type == "application/pdf" and file.filename == "ar_aging-20261204.pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(file.content)).pages)
    assert "Accounts receivable aging" in text and "By payer" in text
    assert "1,300.00" in text and "Balance by payer" in text


def test_a_report_without_rows_still_renders_in_every_format():
    for fmt in ("csv", "xlsx", "pdf"):
        assert render(_report([]), fmt).content


def test_the_census_months_end_with_the_as_of_month_oldest_first():
    months = _months_back(dt.date(2026, 3, 15), 3)
    assert months == [(dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
                      (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
                      (dt.date(2026, 3, 1), dt.date(2026, 3, 31))]

"""CSV and Excel renderings of a report.

CSV: one table per section, each headed by the section's title in a row of its own and
followed by its totals row, with a blank row between sections; money as plain decimals
(`1234.50`), dates ISO. Excel (openpyxl): one sheet per section with a bold, frozen header,
money and date formats, column widths, auto-filter and a bold totals row, plus a `Notes`
sheet with the title, period and definitions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from projections.queries.report_model import Report, ReportColumn, Section

MONEY_FORMAT = '#,##0.00;[Red]-#,##0.00'
INT_FORMAT = "#,##0"
DAYS_FORMAT = "0.0"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
SHEET_TITLE_LIMIT = 31  # Excel's limit on a sheet name


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for number, section in enumerate(report.sections):
        if number:
            writer.writerow([])
        writer.writerow([section.title])
        writer.writerow([column.title for column in section.columns])
        for row in section.rows:
            writer.writerow([_csv_cell(value) for value in row])
        totals = section.total_row()
        if totals is not None:
            writer.writerow([_csv_cell(value) for value in totals])
    return buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for section in report.sections:
        _sheet(book, _sheet_title(section.title, used), section)
    notes = book.create_sheet("Notes")
    notes.append([report.title])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([report.subtitle])
    notes.append([f"Tenant: {report.tenant_id}"])
    notes.append([])
    for note in report.notes:
        notes.append([note])
    notes.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:SHEET_TITLE_LIMIT]
    name, number = base, 2
    while name in used:
        suffix = f" {number}"
        name, number = base[: SHEET_TITLE_LIMIT - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


def _sheet(book: Workbook, title: str, section: Section) -> None:
    sheet = book.create_sheet(title)
    sheet.append([column.title for column in section.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in section.rows:
        sheet.append([_xlsx_cell(value) for value in row])
    last_data_row = sheet.max_row
    totals = section.total_row()
    if totals is not None:
        sheet.append([_xlsx_cell(value) for value in totals])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
            cell.border = TOTAL_BORDER
    for index, column in enumerate(section.columns, start=1):
        letter = get_column_letter(index)
        number_format = _format(column)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        widest = max([len(column.title), *(len(_csv_cell(row[index - 1]))
                                           for row in section.rows)], default=8)
        sheet.column_dimensions[letter].width = min(max(widest + 2, 10), 60)
    sheet.freeze_panes = "A2"
    if section.rows:
        sheet.auto_filter.ref = (
            f"A1:{get_column_letter(len(section.columns))}{last_data_row}"
        )


def _format(column: ReportColumn) -> str | None:
    return {"money": MONEY_FORMAT, "int": INT_FORMAT, "days": DAYS_FORMAT,
            "date": DATE_FORMAT}.get(column.kind)


def _xlsx_cell(value: Any) -> Any:
    # Excel keeps numbers as doubles: cents are exact enough there, and a number (not text)
    # is what lets the office sum and chart it.
    if isinstance(value, Decimal):
        return float(value)
    return value

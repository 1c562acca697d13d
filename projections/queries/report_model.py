"""What a report is, whatever file it is rendered to: titled sections of typed columns, rows,
an optional totals row and an optional chart. The queries (projections/queries/reports.py)
build them from the read models; the renderers (interfaces/reports/) turn them into CSV, Excel
or PDF without knowing which report they hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

ColumnKind = Literal["text", "int", "money", "date", "days", "ratio"]
ChartKind = Literal["bar", "stacked_bar", "line"]
REPORT_KINDS = ("ar_aging", "denials", "cash_posting", "dso", "rental_census", "timely_filing")


@dataclass(frozen=True)
class ReportColumn:
    key: str
    title: str
    kind: ColumnKind = "text"

    @property
    def summable(self) -> bool:
        return self.kind in ("int", "money")


@dataclass(frozen=True)
class Chart:
    kind: ChartKind
    title: str
    category: str
    """Key of the column whose values label the categories (x axis)."""
    values: tuple[str, ...]
    """Keys of the columns plotted (one series each)."""


@dataclass(frozen=True)
class Section:
    title: str
    columns: tuple[ReportColumn, ...]
    rows: list[tuple[Any, ...]]
    totals: bool = True
    """Whether a totals row sums the int and money columns."""
    chart: Chart | None = None

    def total_row(self) -> tuple[Any, ...] | None:
        """The totals row: sums of the summable columns, 'Total' in the first, else None."""
        if not self.totals:
            return None
        cells: list[Any] = []
        for index, column in enumerate(self.columns):
            if column.summable:
                zero: Any = Decimal("0.00") if column.kind == "money" else 0
                cells.append(sum((row[index] or zero for row in self.rows), zero))
            else:
                cells.append(None)
        if cells and cells[0] is None:
            cells[0] = "Total"
        return tuple(cells)

    def index(self, key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == key)


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    tenant_id: str
    as_of: dt.date
    sections: tuple[Section, ...]
    period: tuple[dt.date, dt.date] | None = None
    notes: tuple[str, ...] = field(default=())
    """Definitions and sources, printed under the title (PDF) or on a sheet of their own."""

    @property
    def subtitle(self) -> str:
        if self.period is not None:
            return f"{self.period[0]:%Y-%m-%d} to {self.period[1]:%Y-%m-%d} (as of {self.as_of})"
        return f"As of {self.as_of:%Y-%m-%d}"

    def filename(self, extension: str) -> str:
        return f"{self.kind}-{self.as_of:%Y%m%d}.{extension}"

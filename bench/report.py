"""Figures and how they are shown: a rich table, JSON, and docs/benchmarks.md.

A `Row` is one metric of one figure: Aries' runs beside the baseline's runs (median, min,
max of each), the target the issue sets, whether the median meets it, and the machine's
1-minute load average while it was measured. A row that could not be measured says why
instead of showing numbers.

`alternate` takes a figure's runs in turns (baseline, Aries, baseline, Aries, ...): the machine
is shared, and a busy minute then slows both sides of the ratio instead of one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from rich.console import Console
from rich.table import Table

Better = Literal["higher", "lower"]
T = TypeVar("T")


@dataclass(frozen=True)
class Runs:
    """Several runs of one measurement."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "max": self.max, "runs": self.values}


def runs(values: Sequence[float]) -> Runs | None:
    return Runs(tuple(float(v) for v in values)) if values else None


def load_average() -> float:
    """The machine's 1-minute load average (runnable processes, the bench's own included)."""
    return os.getloadavg()[0]


@dataclass
class Turns(Generic[T]):
    """What `alternate` measured: each measurement's results in run order, and the load
    average sampled as each turn began."""

    of: dict[str, list[T]]
    loads: list[float]

    @property
    def load(self) -> Runs | None:
        return runs(self.loads)


def alternate(rounds: int, measurements: dict[str, Callable[[], T]]) -> Turns[T]:
    """`rounds` rounds of every measurement in the given order (baseline first): A B A B ...
    Each figure with a baseline is measured this way, so both sides see the same minutes."""
    turns: Turns[T] = Turns({name: [] for name in measurements}, [])
    for _ in range(rounds):
        for name, measure in measurements.items():
            turns.loads.append(load_average())
            turns.of[name].append(measure())
    return turns


@dataclass(frozen=True)
class Target:
    """`value` in `unit` (absolute), or `ratio` of the baseline's median (relative)."""

    better: Better
    value: float | None = None
    ratio: float | None = None

    def text(self, unit: str) -> str:
        sign = ">=" if self.better == "higher" else "<"
        if self.ratio is not None:
            return f"{sign} {self.ratio:.0%} of baseline"
        return f"{sign} {_number(self.value or 0.0)} {unit}"

    def met(self, aries: Runs | None, baseline: Runs | None) -> bool | None:
        if aries is None:
            return None
        if self.ratio is not None:
            if baseline is None:
                return None
            bound = self.ratio * baseline.median
        else:
            bound = self.value or 0.0
        return aries.median >= bound if self.better == "higher" else aries.median < bound


@dataclass(frozen=True)
class Row:
    figure: str
    metric: str
    unit: str
    aries: Runs | None = None
    baseline_name: str = ""
    baseline: Runs | None = None
    target: Target | None = None
    note: str = ""
    load: Runs | None = None  # the 1-minute load average as its runs began

    @property
    def met(self) -> bool | None:
        return self.target.met(self.aries, self.baseline) if self.target else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "metric": self.metric,
            "unit": self.unit,
            "aries": self.aries.as_dict() if self.aries else None,
            "baseline_name": self.baseline_name,
            "baseline": self.baseline.as_dict() if self.baseline else None,
            "target": self.target.text(self.unit) if self.target else None,
            "met": self.met,
            "load_1min": self.load.as_dict() if self.load else None,
            "note": self.note,
        }


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def add(self, *rows: Row) -> None:
        """Rows that do not say what the load was get the load average now: a figure measured
        without `alternate` still shows how busy the machine was when it ended."""
        now = runs([load_average()])
        self.rows.extend(row if row.load else dataclasses.replace(row, load=now) for row in rows)

    def not_measured(self, figure: str, metric: str, why: str) -> None:
        self.add(Row(figure, metric, "", note=f"not measured: {why}"))

    def as_dict(self) -> dict[str, Any]:
        return {"context": self.context, "rows": [row.as_dict() for row in self.rows]}


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(measured: Runs | None) -> str:
    if measured is None:
        return "-"
    return f"{_number(measured.median)} ({_number(measured.min)}-{_number(measured.max)})"


def verdict(row: Row) -> str:
    if row.note.startswith("not measured"):
        return "not measured"
    return {True: "met", False: "MISSED", None: "-"}[row.met]


HEADERS = (
    "#",
    "metric",
    "unit",
    "Aries",
    "baseline",
    "baseline value",
    "target",
    "",
    "load 1 min",
    "note",
)


def _load_cell(row: Row) -> str:
    if row.load is None:
        return "-"
    if row.load.min == row.load.max:
        return f"{row.load.median:.1f}"
    return f"{row.load.median:.1f} ({row.load.min:.1f}-{row.load.max:.1f})"


def table(report: Report) -> Table:
    out = Table(title="Aries benchmarks: median (min-max) of the runs", show_lines=False)
    for header in HEADERS:
        out.add_column(header, overflow="fold")
    for row in report.rows:
        out.add_row(
            row.figure,
            row.metric,
            row.unit,
            cell(row.aries),
            row.baseline_name or "-",
            cell(row.baseline),
            row.target.text(row.unit) if row.target else "-",
            verdict(row),
            _load_cell(row),
            row.note,
        )
    return out


def print_table(report: Report, console: Console | None = None) -> None:
    (console or Console()).print(table(report))


def write_json(report: Report, path: Path) -> None:
    path.write_text(json.dumps(report.as_dict(), indent=2, default=str) + "\n")


def markdown(report: Report, notes: str = "") -> str:
    context = report.context
    lines = [
        "# Benchmarks",
        "",
        "<!-- Written by `python -m bench` (`make bench`); do not edit by hand. -->",
        "",
        f"Generated {context.get('finished', '?')} by "
        f"`{context.get('command', 'python -m bench')}` "
        f"in {context.get('seconds', 0):.0f} s on {context.get('machine', '?')}, against "
        f"{context.get('servers', '?')} (PostgreSQL {context.get('postgres', '?')}).",
        f"Each figure is the median of {context.get('runs', '?')} runs, with (min-max). "
        "Aries and its baseline were measured in turns (baseline, Aries, baseline, ...) in the "
        'same run on the same machine; "load 1 min" is the machine\'s 1-minute load average '
        "as the runs began (median, min-max).",
        "",
        "| # | metric | unit | Aries | baseline | baseline value | target | verdict "
        "| load 1 min | note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in report.rows:
        cells = [
            row.figure,
            row.metric,
            row.unit,
            cell(row.aries),
            row.baseline_name or "-",
            cell(row.baseline),
            row.target.text(row.unit) if row.target else "-",
            verdict(row),
            _load_cell(row),
            row.note,
        ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def write_markdown(report: Report, path: Path, notes: str = "") -> None:
    path.write_text(markdown(report, notes))

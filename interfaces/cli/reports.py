"""`aries reports make KIND --tenant T --format xlsx --out FILE`: one report file, made here
from the read models (no worker, nothing kept in the database), with a progress bar."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from interfaces.bootstrap import bootstrap
from interfaces.logging import configure_logging
from interfaces.reports.files import FORMATS, generate
from interfaces.settings import Settings
from projections.queries.local_today import AskedAt
from projections.queries.report_model import REPORT_KINDS

app = typer.Typer(help="Report files: AR aging, denials, cash, DSO, rental census, timely "
                  "filing.", no_args_is_help=True)
console = Console(stderr=True)
STEPS = 3  # read, render, write


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 (a calendar date)
    except ValueError:
        raise typer.BadParameter(f"{option}: use YYYY-MM-DD") from None


@app.command("make")
def make(
    kind: str = typer.Argument(..., help=f"one of {', '.join(REPORT_KINDS)}"),
    tenant: str = typer.Option(..., "--tenant", help="whose figures"),
    fmt: str = typer.Option("xlsx", "--format", help=f"one of {', '.join(FORMATS)}"),
    out: Path | None = typer.Option(None, "--out", help="file to write (default: its own name "
                                    "in the current directory)"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)"),
    start: str | None = typer.Option(None, "--from", help="first day of the period "
                                     "(denials, cash_posting)"),
) -> None:
    """Write one report file."""
    if kind not in REPORT_KINDS:
        raise typer.BadParameter(f"KIND: one of {', '.join(REPORT_KINDS)}")
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format: one of {', '.join(FORMATS)}")
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        day = _day(as_of, "--as-of")
        # Of today: claims count to today at their own locations (their time zones).
        asked = None if day else AskedAt.of(aries.claims.clock)
        day = day or aries.claims.clock.today()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=console) as progress:
            task = progress.add_task(f"{kind} report", total=STEPS)

            def step(name: str) -> None:
                progress.update(task, description=name)
                progress.advance(task)

            file = generate(aries.read_engine, kind, fmt, tenant, as_of=day,
                            start=_day(start, "--from"), progress=step, asked=asked)
            target = out or Path(file.filename)
            target.write_bytes(file.content)
            progress.update(task, description="written", completed=STEPS)
    finally:
        aries.close()
    console.print(f"{target} ({len(file.content):,} bytes)")

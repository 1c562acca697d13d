"""`aries setup ...`: what an office scripts about its own setup.

    aries setup locations --tenant acme               # the tenant's locations, one a line
    aries setup import-payers payers.csv --tenant acme

`import-payers` reads the layout of domain/reference/payers.csv (payer_id, name, kind,
x12_payer_id, timely_filing_months, timely_filing_days; optional claim_filing_indicator):
a payer the tenant lacks is registered, one whose terms differ is corrected, an equal one is
left alone, so importing the same file again records nothing.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from application.setup import SetupApplication
from domain.context import EventContext, bound_context
from domain.errors import DomainError, NotFound
from domain.payer import DEFAULT_FILING_INDICATOR, PayerDetails, PayerType, checked_payer
from interfaces.bootstrap import bootstrap
from interfaces.logging import configure_logging
from interfaces.settings import Settings

app = typer.Typer(help="The supplier's setup: locations and payers.", no_args_is_help=True)
console = Console(stderr=True)
TENANT = typer.Option(..., "--tenant", help="the tenant whose setup this is")


def _count(text: str | None) -> int | None:
    return int(text) if text and text.strip() else None


def payer_of_row(row: dict[str, str]) -> PayerDetails:
    """One CSV row as payer details (ValueError for an unknown kind or a bad count)."""
    payer_type = PayerType(row["kind"].strip().lower())
    return PayerDetails(
        payer_id=row["payer_id"], name=row["name"], payer_type=payer_type,
        claim_filing_indicator=(row.get("claim_filing_indicator") or "").strip()
        or DEFAULT_FILING_INDICATOR[payer_type],
        x12_payer_id=row["x12_payer_id"],
        timely_filing_months=_count(row.get("timely_filing_months")),
        timely_filing_days=_count(row.get("timely_filing_days")),
    )


def import_payer(setup: SetupApplication, details: PayerDetails) -> str:
    """Register or correct one payer of the bound tenant: registered, corrected or unchanged."""
    try:
        current = setup.find_payer(details.payer_id)
    except NotFound:
        setup.register_payer(details)
        return "registered"
    wanted = checked_payer(replace(details, address=current.details.address))
    if wanted == current.details:
        return "unchanged"
    setup.correct_payer(current.id, {
        name: getattr(wanted, name) for name in
        ("name", "payer_type", "claim_filing_indicator", "x12_payer_id",
         "timely_filing_months", "timely_filing_days")
    })
    return "corrected"


@app.command("import-payers")
def import_payers(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="payers CSV"),
    tenant: str = TENANT,
) -> None:
    """Register or correct the tenant's payers from a CSV file (again: nothing changes)."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    outcomes: dict[str, int] = {}
    refused: list[str] = []
    try:
        with (
            bound_context(EventContext(tenant_id=tenant, actor_id="cli:import-payers",
                                       actor_role="admin")),
            Progress(TextColumn("importing payers"), BarColumn(), MofNCompleteColumn(),
                     console=console) as progress,
        ):
            task = progress.add_task("payers", total=len(rows))
            for number, row in enumerate(rows, start=2):  # line 1 is the header
                try:
                    outcome = import_payer(aries.setup, payer_of_row(row))
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                except (DomainError, ValueError, KeyError) as error:
                    refused.append(f"line {number}: {getattr(error, 'rule', error)}")
                progress.advance(task)
    finally:
        aries.close()
    console.print(", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "nothing")
    for line in refused:
        console.print(f"  refused {line}")
    if refused:
        raise typer.Exit(1)


@app.command("locations")
def list_locations(tenant: str = TENANT) -> None:
    """The tenant's locations: id, name, NPI, PTAN, time zone, and whether closed."""
    settings = Settings()
    aries = bootstrap(settings)
    try:
        with bound_context(EventContext(tenant_id=tenant, actor_id="cli:locations")):
            for location_id in aries.setup.location_ids():
                found = aries.setup.get_location(location_id)
                details = found.details
                closed = "" if found.is_open else f"\tclosed {found.closed_on}"
                typer.echo(f"{location_id}\t{details.name}\t{details.npi}\t{details.ptan}\t"
                           f"{details.time_zone}{closed}")
    finally:
        aries.close()

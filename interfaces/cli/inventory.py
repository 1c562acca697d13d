"""`aries inventory ...`: what a warehouse scripts: receiving a delivery from a supplier and
recording physical counts (one item, or a whole count sheet with a progress bar).

Each command acts in one tenant (`--tenant`) under the actor `cli:inventory`; a rule's refusal
prints the rule and exits 1 (a count sheet goes on and names the refused rows)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from domain.context import EventContext, bound_context
from domain.errors import DomainError
from interfaces.bootstrap import Aries, bootstrap
from interfaces.logging import configure_logging
from interfaces.settings import Settings

app = typer.Typer(help="Inventory: receipts and physical counts.", no_args_is_help=True)
console = Console(stderr=True)

Tenant = typer.Option(..., "--tenant", help="the tenant whose stock this is")
Location = typer.Option(..., "--location", help="location id")
Item = typer.Option(..., "--item", help="equipment catalogue item id")
COUNT_SHEET_COLUMNS = ("location_id", "item_id", "counted")


def _day(value: str | None, aries: Aries) -> date:
    """The date given, or the supplier's today."""
    try:
        return date.fromisoformat(value) if value else aries.orders.clock.today()
    except ValueError:
        raise typer.BadParameter("a date is written YYYY-MM-DD") from None


@contextmanager
def _warehouse(tenant: str) -> Iterator[Aries]:
    """Aries, acting in `tenant` as its warehouse (intake's role); a refusal exits 1."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        with bound_context(EventContext(tenant_id=tenant, actor_id="cli:inventory",
                                        actor_role="intake")):
            yield aries
    except DomainError as refused:
        console.print(f"refused: {getattr(refused, 'rule', type(refused).__name__)}: {refused}")
        raise typer.Exit(1) from None
    finally:
        aries.close()


@app.command("receive")
def receive(
    tenant: str = Tenant,
    location: UUID = Location,
    item: UUID = Item,
    quantity: int = typer.Option(..., "--quantity", min=1, help="units received"),
    purchase_order: str = typer.Option(..., "--po", help="the purchase order number"),
    lot: str | None = typer.Option(None, "--lot", help="the lot number, if any"),
    serial: list[str] = typer.Option([], "--serial", help="a serial number (repeat: one per "
                                     "unit of a serialised item)"),
    received_on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD (default: today)"),
) -> None:
    """Receive units of an item at a location against a purchase order."""
    with _warehouse(tenant) as aries:
        result = aries.orders.receive_stock(
            location_id=location, item_id=item, quantity=quantity, purchase_order=purchase_order,
            lot=lot, serials=serial, received_on=_day(received_on, aries),
        )
        on_hand = aries.orders.get_ledger(location, item).on_hand
    console.print(f"received {quantity}: {on_hand} on hand (ledger {result.id} "
                  f"version {result.version})")


@app.command("count")
def count(
    tenant: str = Tenant,
    location: UUID = Location,
    item: UUID = Item,
    counted: int = typer.Option(..., "--counted", min=0, help="units found on the shelf"),
    counted_on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD (default: today)"),
) -> None:
    """Record a physical count of one item at one location; prints the difference."""
    with _warehouse(tenant) as aries:
        difference, result = aries.orders.count_stock(
            location_id=location, item_id=item, counted=counted,
            counted_on=_day(counted_on, aries),
        )
    console.print(f"counted {counted}: difference {difference:+d} (ledger {result.id} "
                  f"version {result.version})")


@app.command("count-sheet")
def count_sheet(
    sheet: Path = typer.Argument(..., exists=True, dir_okay=False,
                                 help="CSV with columns location_id,item_id,counted"),
    tenant: str = Tenant,
    counted_on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD (default: today)"),
) -> None:
    """Record a whole count sheet, row by row; names the rows a rule refused."""
    with sheet.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and set(COUNT_SHEET_COLUMNS) - set(rows[0]):
        raise typer.BadParameter(f"the sheet needs columns {', '.join(COUNT_SHEET_COLUMNS)}")
    refused: list[str] = []
    with _warehouse(tenant) as aries, Progress(
        TextColumn("recording counts"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("counts", total=len(rows))
        on = _day(counted_on, aries)
        for number, row in enumerate(rows, start=2):  # line 1 is the header
            try:
                aries.orders.count_stock(
                    location_id=UUID(row["location_id"]), item_id=UUID(row["item_id"]),
                    counted=int(row["counted"]), counted_on=on,
                )
            except (DomainError, ValueError) as problem:
                refused.append(f"line {number}: {getattr(problem, 'rule', problem)}")
            progress.advance(task)
    console.print(f"{len(rows) - len(refused)} counts recorded, {len(refused)} refused")
    for line in refused:
        console.print(f"  {line}")
    if refused:
        raise typer.Exit(1)

"""The `aries` command. Entry points stay thin: parse, call one thing, report."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from interfaces.bootstrap import NotConfigured
from interfaces.cli import audit as audit_commands
from interfaces.cli import billing as billing_commands
from interfaces.cli import claims as claims_commands
from interfaces.cli import db as db_commands
from interfaces.cli import dev as dev_commands
from interfaces.cli import fee_schedules as fee_schedule_commands
from interfaces.cli import inventory as inventory_commands
from interfaces.cli import jobs as jobs_commands
from interfaces.cli import patients as patients_commands
from interfaces.cli import projections as projections_commands
from interfaces.cli import reports as reports_commands
from interfaces.cli import run as run_commands
from interfaces.cli import setup as setup_commands
from interfaces.cli import users as users_commands
from interfaces.embedded import ExtraMissing
from interfaces.preflight import Unreachable

app = typer.Typer(
    name="aries",
    help="Aries: event-sourced order-to-cash for home medical equipment suppliers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_commands.app, name="db")
app.add_typer(billing_commands.app, name="billing")
app.add_typer(claims_commands.app, name="claims")
app.add_typer(inventory_commands.app, name="inventory")
app.add_typer(projections_commands.app, name="projections")
app.add_typer(users_commands.app, name="users")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(jobs_commands.app, name="jobs")
app.add_typer(setup_commands.app, name="setup")
app.add_typer(fee_schedule_commands.app, name="fee-schedules")
app.add_typer(patients_commands.app, name="patients")
app.add_typer(reports_commands.app, name="reports")
app.command("dev")(dev_commands.dev)
app.command("serve")(run_commands.serve)
app.command("project")(run_commands.project)
app.command("worker")(run_commands.worker)
app.command("seed")(run_commands.seed)

err = Console(stderr=True)


def main() -> None:
    try:
        app()
    except (Unreachable, NotConfigured, ExtraMissing) as error:
        err.print(f"[bold red]aries:[/] {escape(str(error))}")  # a [bracket] is text
        sys.exit(2)

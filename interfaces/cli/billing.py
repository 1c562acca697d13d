"""`aries billing run --as-of YYYY-MM-DD`: create every claim due as of a date."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from application.billing import run_billing
from domain.context import EventContext, bound_context
from domain.errors import RuleViolated
from interfaces.bootstrap import bootstrap
from interfaces.cli.options import calendar_date
from interfaces.logging import configure_logging
from interfaces.settings import Settings

app = typer.Typer(help="Billing runs.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("run")
def run(
    as_of: str = typer.Option(..., "--as-of", help="bill everything due on or before this date"),
) -> None:
    """Open every rental month due by --as-of and draft its claims (exactly once)."""
    day = calendar_date(as_of)
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        with (
            bound_context(EventContext(actor_id="cli:billing-run", actor_role="admin")),
            Progress(
                TextColumn("billing orders"), BarColumn(), MofNCompleteColumn(), console=console
            ) as progress,
        ):
            task = progress.add_task("orders", total=None)
            report = run_billing(
                aries.orders,
                aries.claims,
                day,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except RuleViolated as refused:  # an as-of date after the supplier's today
        console.print(f"refused ({refused.rule}): {refused.message}")
        raise typer.Exit(2) from None
    finally:
        aries.close()
    console.print(
        f"as of {day}: {report.orders_examined} delivered orders examined, "
        f"{report.months_opened} rental months opened, {report.claims_drafted} claims drafted"
    )
    for order_id, rule in report.refused.items():
        console.print(f"  order {order_id} refused: {rule}")

"""`aries patients index-mbis`: index the MBIs of patients registered before the MBI index."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from domain.context import EventContext, bound_context
from interfaces.bootstrap import bootstrap
from interfaces.logging import configure_logging
from interfaces.settings import Settings

app = typer.Typer(help="Patients.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("index-mbis")
def index_mbis() -> None:
    """Reserve the MBI index of every patient registered before it existed (safe to run again:
    an indexed patient is counted, not indexed twice). Needs the production ARIES_MBI_INDEX_KEY."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        with (
            bound_context(EventContext(actor_id="cli:index-mbis", actor_role="admin")),
            Progress(
                TextColumn("indexing patients' MBIs"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
            ) as progress,
        ):
            task = progress.add_task("patients", total=None)
            report = aries.patients.index_mbis(
                progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
    finally:
        aries.close()
    console.print(
        f"{report.indexed} MBIs indexed, {report.already_indexed} already indexed, "
        f"{report.without_mbi} patients without an MBI"
    )
    for patient_id in report.duplicates:
        console.print(f"  patient {patient_id}: another patient of its tenant holds its MBI")
    if report.duplicates:
        raise typer.Exit(1)

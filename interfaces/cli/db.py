"""`aries db ...`: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

import migrations
from interfaces.preflight import check_database, describe_database
from interfaces.settings import Settings

app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
console = Console(stderr=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate the database to REVISION (default: head). Safe to run again."""
    settings = Settings()
    if not settings.database_url:
        raise typer.BadParameter("ARIES_DATABASE_URL is not set")
    check_database(settings.database_url, settings.connect_timeout_seconds)
    migrations.upgrade(settings.database_url, revision)
    console.print(f"{describe_database(settings.database_url)} is at {revision}")

"""`aries users ...`: people who log in (the first admin comes from here)."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console

from domain.context import SYSTEM_TENANT, EventContext, bound_context
from domain.errors import RuleViolated
from domain.identity import Role
from interfaces.bootstrap import bootstrap
from interfaces.settings import Settings

app = typer.Typer(help="Users who log in to the API.", no_args_is_help=True)
console = Console(stderr=True)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"


@app.command("create")
def create(
    username: str = typer.Argument(..., help="login name: 3-64 of a-z 0-9 . _ @ -"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True,
        help="10+ characters (prompted for when omitted, which keeps it out of shell history)",
    ),
    role: Role = typer.Option(..., case_sensitive=False, help="what the user may do"),
    tenant: str = typer.Option(
        "default", help=f"the user's tenant ('{SYSTEM_TENANT}': an operator of every tenant)"
    ),
) -> None:
    """Create a user who logs in with USERNAME and the password."""
    aries = bootstrap(Settings())
    try:
        with bound_context(EventContext(tenant_id=SYSTEM_TENANT, actor_id=_operator())):
            result = aries.identity.create_user(username, password, role, tenant)
    except RuleViolated as error:
        console.print(f"[bold red]refused:[/] {error.message} ({error.rule})")
        raise typer.Exit(1) from None
    finally:
        aries.close()
    console.print(f"user {username.strip().lower()} ({role.value}, tenant {tenant}): {result.id}")

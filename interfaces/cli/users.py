"""`aries users ...`: people who log in (the first admin comes from here) and their lifecycle.

Users are named by their login name, `tenant/username`. Each change is recorded on the User
with the operator (`cli:<os user>`) as the actor, and logged without PHI.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from domain.context import SYSTEM_TENANT, EventContext, bound_context
from domain.errors import RuleViolated
from domain.identity import Role, User, login_name, parsed_login_name
from interfaces.bootstrap import Aries, bootstrap
from interfaces.settings import Settings
from projections.queries.users import registered_users

app = typer.Typer(help="Users who log in to the API.", no_args_is_help=True)
console = Console(stderr=True)
out = Console()

LOGIN_NAME = typer.Argument(..., help="the user's login name: tenant/username, e.g. acme/jdoe")


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"


@contextmanager
def _operating() -> Iterator[Aries]:
    """Aries, with the operator bound as the actor of every event; a refused command exits 1
    naming its rule."""
    aries = bootstrap(Settings())
    try:
        with bound_context(EventContext(tenant_id=SYSTEM_TENANT, actor_id=_operator())):
            yield aries
    except RuleViolated as error:
        console.print(f"[bold red]refused:[/] {error.message} ({error.rule})")
        raise typer.Exit(1) from None
    finally:
        aries.close()


def _user(aries: Aries, name: str) -> User:
    tenant_id, username = parsed_login_name(name)
    user = aries.identity.find_user(tenant_id, username)
    if user is None:
        console.print(f"[bold red]no user {name}[/]")
        raise typer.Exit(1)
    return user


def _change(name: str, command: Callable[[Aries, User], Any], done: str) -> None:
    with _operating() as aries:
        user = _user(aries, name)
        result = command(aries, user)
    console.print(f"{login_name(user.tenant_id, user.username)}: {done} (version {result.version})")


@app.command("create")
def create(
    username: str = typer.Argument(..., help="login name: 3-64 of a-z 0-9 . _ @ -"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True,
        help="15+ characters, not a common one (prompted for when omitted, which keeps it out "
        "of shell history)",
    ),
    role: Role = typer.Option(..., case_sensitive=False, help="what the user may do"),
    tenant: str = typer.Option(
        "default", help=f"the user's tenant ('{SYSTEM_TENANT}': an operator of every tenant)"
    ),
) -> None:
    """Create a user who logs in as TENANT/USERNAME with the password."""
    with _operating() as aries:
        result = aries.identity.create_user(username, password, role, tenant)
    name = login_name(tenant, username.strip().lower())
    console.print(f"user {name} ({role.value}): {result.id}")


@app.command("list")
def list_users(
    tenant: str = typer.Option(..., help=f"the tenant ('{SYSTEM_TENANT}': every tenant)"),
) -> None:
    """The users of a tenant (from the event index, so `aries project` must be running)."""
    table = Table("login name", "role", "active", "MFA", "id")
    with _operating() as aries:
        after = None
        while True:
            with aries.read_engine.connect() as conn:
                page = registered_users(conn, tenant, after=after, limit=200)
            for row in page.rows:
                user = aries.identity.get_user(row.originator_id)
                table.add_row(
                    login_name(user.tenant_id, user.username), user.role.value,
                    "yes" if user.is_active else "no", "yes" if user.has_mfa else "no",
                    str(user.id),
                )
            if page.next_key is None:
                break
            after = page.next_key
    out.print(table)


@app.command("deactivate")
def deactivate(name: str = LOGIN_NAME) -> None:
    """Deactivate a user: they cannot log in, and their sessions end."""
    _change(name, lambda aries, user: aries.identity.deactivate_user(user.id), "deactivated")


@app.command("set-role")
def set_role(
    name: str = LOGIN_NAME,
    role: Role = typer.Option(..., case_sensitive=False, help="the new role"),
) -> None:
    """Give a user another role; their sessions end."""
    _change(name, lambda aries, user: aries.identity.change_role(user.id, role),
            f"role {role.value}")


@app.command("reset-password")
def reset_password(
    name: str = LOGIN_NAME,
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True,
        help="the new password (prompted for when omitted)",
    ),
) -> None:
    """Set a user's password; their sessions end."""
    _change(name, lambda aries, user: aries.identity.reset_password(user.id, password),
            "password reset")


@app.command("unlock")
def unlock(name: str = LOGIN_NAME) -> None:
    """Let a user locked out by failed logins log in again now."""
    _change(name, lambda aries, user: aries.identity.unlock(user.id), "unlocked")


@app.command("reset-mfa")
def reset_mfa(name: str = LOGIN_NAME) -> None:
    """Forget a user's second factor (a lost device); they enrol a new one."""
    _change(name, lambda aries, user: aries.identity.reset_mfa(user.id), "second factor reset")


@app.command("revoke-sessions")
def revoke_sessions(name: str = LOGIN_NAME) -> None:
    """End every session of a user at once."""
    _change(name, lambda aries, user: aries.identity.revoke_sessions(user.id), "sessions ended")


@app.command("require-mfa")
def require_mfa(
    tenant: str = typer.Argument(..., help="the tenant"),
    required: bool = typer.Option(True, "--required/--optional",
                                  help="whether its people must use a second factor"),
) -> None:
    """Require (or stop requiring) a second factor for a tenant's people."""
    with _operating() as aries:
        result = aries.identity.require_mfa(tenant, required)
    console.print(f"tenant {tenant}: MFA {'required' if required else 'optional'} "
                  f"(version {result.version})")

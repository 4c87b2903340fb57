"""Operator commands: `flask --app storytime <command>`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from storytime.admin.service import (
    StaffError,
    create_branch,
    create_user,
    find_user,
    set_active,
    set_password,
    set_role,
)
from storytime.auth.setup import issue_setup_link
from storytime.auth.tokens import create_token, revoke_token
from storytime.copydb import copy_db_command
from storytime.database import upgrade_database
from storytime.extensions import db
from storytime.models import ROLES, ApiToken, User
from storytime.purge import purge_command
from storytime.review.demo import seed_demo_command
from storytime.storytimes.auto_close import close_overdue


@contextmanager
def refused_as_click_error() -> Iterator[None]:
    """Turn a staff service's refusal into the command's error message and exit code 1."""
    try:
        yield
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the tables, or upgrade an existing database to the newest schema."""
    upgrade_database(current_app)
    click.echo("Database is up to date.")
    link = issue_setup_link()
    if link:
        click.echo(
            f"No staff account yet. Open this one-time link to create the first admin:\n{link}"
        )


@click.command("setup-link")
@with_appcontext
def setup_link_command() -> None:
    """Print a fresh one-time link for creating the first admin (only while none exists)."""
    link = issue_setup_link()
    if link is None:
        raise click.ClickException("Staff accounts exist already; sign in instead.")
    click.echo(link)


@click.command("create-branch")
@with_appcontext
@click.argument("name")
@click.option("--slug", help="Short name used in links, e.g. 'central'. Made from NAME if omitted.")
def create_branch_command(name: str, slug: str | None) -> None:
    """Create a branch."""
    with refused_as_click_error():
        branch = create_branch(name, slug)
    click.echo(f"Created branch {branch.name} ({branch.slug}).")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--branch", "branch_slug", help="The branch's slug (required for librarians).")
@click.option("--name", "display_name", help="Name shown to colleagues.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when omitted.",
)
def create_user_command(
    email: str, role: str, branch_slug: str | None, display_name: str | None, password: str
) -> None:
    """Create a staff account."""
    with refused_as_click_error():
        user = create_user(email, role, password, branch_slug, display_name)
    click.echo(f"Created {user.role} {user.email}.")


def _account(email: str) -> User:
    """Return the account with that email, or stop the command saying there is none."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.option(
    "--password",
    prompt="New password",
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when omitted (or read from standard input).",
)
def set_password_command(email: str, password: str) -> None:
    """Set a new password for EMAIL; the account is signed out everywhere."""
    user = _account(email)
    with refused_as_click_error():
        set_password(user, password)
    click.echo(f"New password set for {user.email}; every session of the account ended.")


@click.command("set-role")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--branch",
    "branch_slug",
    help="The branch's slug; 'none' for no branch. Kept as it is when omitted.",
)
def set_role_command(email: str, role: str, branch_slug: str | None) -> None:
    """Change the role (and branch) of EMAIL."""
    user = _account(email)
    if branch_slug is None:
        branch_slug = user.branch.slug if user.branch else None
    elif branch_slug.lower() == "none":
        branch_slug = None
    with refused_as_click_error():
        set_role(user, role, branch_slug)
    where = f" at {user.branch.slug}" if user.branch else ""
    click.echo(f"{user.email} is now {user.role}{where}.")


@click.command("deactivate-user")
@with_appcontext
@click.argument("email")
def deactivate_user_command(email: str) -> None:
    """Deactivate EMAIL: its sessions end and its API tokens are revoked."""
    user = _account(email)
    with refused_as_click_error():
        set_active(user, False)
    click.echo(f"Deactivated {user.email}; its sessions ended and its tokens are revoked.")


@click.command("reactivate-user")
@with_appcontext
@click.argument("email")
def reactivate_user_command(email: str) -> None:
    """Let EMAIL sign in again (with new sessions and tokens)."""
    user = _account(email)
    set_active(user, True)
    click.echo(f"Reactivated {user.email}.")


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'calendar sync'.")
def create_token_command(email: str, name: str) -> None:
    """Print a new personal API token for EMAIL (shown once; only its hash is kept)."""
    user = find_user(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active account for {email}.")
    click.echo(create_token(user, name))


@click.command("revoke-token")
@with_appcontext
@click.argument("prefix")
def revoke_token_command(prefix: str) -> None:
    """Revoke the API token whose first characters are PREFIX (as listed on the tokens page)."""
    matches = list(
        db.session.execute(
            db.select(ApiToken).where(ApiToken.prefix == prefix[:10], ApiToken.revoked_at.is_(None))
        ).scalars()
    )
    if len(matches) != 1:
        raise click.ClickException("No single live token starts with that prefix.")
    revoke_token(matches[0])
    click.echo(f"Revoked token {prefix[:10]}… of {matches[0].user.email}.")


@click.command("close-overdue")
@with_appcontext
def close_overdue_command() -> None:
    """Close storytimes left open past their auto-close time (run it from cron)."""
    closed = close_overdue()
    click.echo(f"Closed {len(closed)} storytime(s) left open." if closed else "Nothing to close.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(copy_db_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(seed_demo_command)
    for command in (
        init_db_command,
        setup_link_command,
        create_branch_command,
        create_user_command,
        set_password_command,
        set_role_command,
        deactivate_user_command,
        reactivate_user_command,
        create_token_command,
        revoke_token_command,
        close_overdue_command,
    ):
        app.cli.add_command(command)

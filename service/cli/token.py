"""`remitwatch token new`: an API token and the configuration entry that admits it."""

from __future__ import annotations

import hashlib
import secrets

import click


@click.group("token")
def token_group() -> None:
    """API tokens: the configuration keeps only their SHA-256."""


@token_group.command("new")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice(["read", "admin"]),
    default="read",
    show_default=True,
    help="read: every GET under /api/v1; admin: also request jobs and refits.",
)
def token_new_command(name: str, scope: str) -> None:
    """Make a token for client NAME and print it with its entry for api.tokens.

    The token is shown once: give it to the client (sent as `Authorization: Bearer
    TOKEN`) and put the entry in the configuration file. Only the hash is stored.
    """
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode("ascii")).hexdigest()
    click.echo(f"token: {token}")
    click.echo("add to [api] tokens in the configuration file:")
    click.echo(f'  {{ name = "{name}", sha256 = "{digest}", scope = "{scope}" }}')

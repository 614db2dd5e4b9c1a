"""``tenantry dashboard logout-all``: end every dashboard login (the admin's and the
developers'), for example after the admin token leaked. Rotating ``TENANTRY_ADMIN_TOKEN`` ends the
admin's logins by itself; this ends the developers' too."""

from __future__ import annotations

import typer

from tenantry.cli._output import print_json

dashboard_app = typer.Typer(
    name="dashboard",
    help="Dashboard logins.\n\nExample: tenantry dashboard logout-all",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def register(app: typer.Typer) -> None:
    app.add_typer(dashboard_app)


@dashboard_app.command(
    "logout-all",
    help="End every dashboard login on every server that shares this identity database.\n\n"
    "Example: tenantry dashboard logout-all",
)
def logout_all(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    from tenantry.config import load_settings
    from tenantry.identity import IdentityStore
    from tenantry.identity.dashboard_sessions import DashboardSessions

    with IdentityStore.open(load_settings()) as store:
        ended = DashboardSessions(store).revoke_all()
    if as_json:
        print_json({"logged_out": ended})
        return
    typer.echo(f"ended {ended} dashboard login{'s' if ended != 1 else ''}")

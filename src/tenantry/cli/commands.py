"""The full ``tenantry`` command set (typer + rich: the extras' CLI). Each command group lives in
its own module and registers itself; ``tenantry.cli.main`` dispatches here.

Errors are one readable line on stderr and a non-zero exit, never a traceback. [sqlite-utils]
"""

from __future__ import annotations

import typer

from tenantry import __version__
from tenantry.cli import EXTRA_OF, fail, needs_extra
from tenantry.cli._output import plain_error
from tenantry.errors import TenantryError

app = typer.Typer(
    name="tenantry",
    help="Tenant-aware, privacy-first product telemetry.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tenantry {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", "-V", is_eager=True, callback=_show_version, help="Print the version."
    ),
) -> None:
    """Tenant-aware, privacy-first product telemetry. Docs: README.md."""


# Each module defines ``register(app)``. Imported here so ``tenantry --help`` lists everything.
from tenantry.cli import dashboard, demo, identity, lint, migrate, plan, report, serve, status  # noqa: E402

for _module in (demo, status, serve, identity, dashboard, report, plan, lint, migrate):
    _module.register(app)

__all__ = ["app", "fail", "run"]


def _is(exc: BaseException, name: str) -> bool:
    """``exc`` is click's ``name`` exception, from click itself or from the copy of click that
    typer carries (typer >= 0.16 raises its own ``typer._click`` classes)."""
    return any(cls.__name__ == name and "click" in cls.__module__ for cls in type(exc).__mro__)


def run(argv: list[str], command: str | None = None) -> int:
    """Run the typer app; every failure is one plain line on stderr (no class names)."""
    try:
        # standalone_mode=False: click returns ctx.exit()'s code instead of raising Exit
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and not isinstance(rc, bool):
            return rc
    except TenantryError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except ImportError as exc:  # a command whose extra is missing: name the extra
        extra = EXTRA_OF.get(command or "", "all")
        typer.echo(
            f"error: {needs_extra(command or 'this command', extra)} (missing: {exc.name})",
            err=True,
        )
        return 2
    except Exception as exc:
        if _is(exc, "Exit"):
            return exc.exit_code
        if _is(exc, "Abort"):
            typer.echo("error: aborted", err=True)
            return 1
        if _is(exc, "ClickException"):  # usage errors: no such command, missing argument ...
            typer.echo(f"error: {exc.format_message()}", err=True)
            return exc.exit_code or 2
        typer.echo(f"error: {plain_error(exc)}", err=True)  # last resort: still one line
        return 1
    return 0

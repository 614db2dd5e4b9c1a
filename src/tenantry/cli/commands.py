"""The full ``tenantry`` command set (typer + rich: the extras' CLI). Each command group lives in
its own module and registers itself; ``tenantry.cli.main`` dispatches here.

Errors are one readable line on stderr and a non-zero exit, never a traceback. [sqlite-utils]
"""

from __future__ import annotations

import click
import typer

from tenantry.cli import EXTRA_OF, fail, needs_extra
from tenantry.errors import TenantryError

app = typer.Typer(
    name="tenantry",
    help="Tenant-aware, privacy-first product telemetry.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Tenant-aware, privacy-first product telemetry. Docs: README.md."""


# Each module defines ``register(app)``. Imported here so ``tenantry --help`` lists everything.
from tenantry.cli import demo, identity, lint, migrate, report, serve, status  # noqa: E402

for _module in (demo, status, serve, identity, report, lint, migrate):
    _module.register(app)

__all__ = ["app", "fail", "run"]


def run(argv: list[str], command: str | None = None) -> int:
    try:
        # standalone_mode=False: click returns ctx.exit()'s code instead of raising Exit
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and not isinstance(rc, bool):
            return rc
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        typer.echo("error: aborted", err=True)
        return 1
    except click.ClickException as exc:
        typer.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code or 2
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
    except Exception as exc:  # last resort: still one line, never a traceback
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        return 1
    return 0

"""The ``tenantry`` command: a light dispatcher in front of the full command set.

``tenantry status`` and ``tenantry lint`` are part of the core install (no third-party import beyond
the core's own).
Every other command lives in ``tenantry.cli.commands`` (typer and rich), which needs an extra; without
it the command fails with one line that names the extra to install. [sqlite-utils; httpx's
optional ``cli`` extra]
"""

from __future__ import annotations

import sys
from typing import Any

from tenantry.errors import TenantryError

# command -> the extra whose packages it needs
EXTRA_OF = {
    "demo": "server",
    "serve": "server",
    "developers": "identity",
    "keys": "identity",
    "sessions": "identity",
    "dashboard": "identity",
    "report": "store",
    "forget": "store",
    "maintenance": "store",
    "plan": "store",
    "migrate": "migrate",
}
# commands of the core install: their own argparse entry points, whatever else is installed
CORE_COMMANDS = ("status", "lint")

_CORE_HELP = """\
Usage: tenantry COMMAND [ARGS]...

Tenant-aware, privacy-first product telemetry.

Options:
  --version, -V   print the version

Commands:
  status        what is collected, where it goes, how to opt out (core install)
  lint          check telemetry calls: TNT001-TNT006                (core install)
  demo, serve   the seed guide's scenario; the server (HTTP)         (extra: server)
  developers, keys, sessions, dashboard   the identity store          (extra: identity)
  report, forget, maintenance  analytics over the event store        (extra: store)
  plan          check events against a tracking plan; infer one      (extra: store)
  migrate       rewrite Amplitude/PostHog/Segment calls to tenantry  (extra: migrate)

Install what a command needs with: pip install 'tenantry[EXTRA]'
"""


def needs_extra(command: str, extra: str) -> str:
    return f"tenantry {command} needs the {extra} extra: pip install 'tenantry[{extra}]'"


def fail(message: str, code: int = 1) -> Any:
    """Print one line on stderr; return the typer ``Exit`` to raise."""
    import typer

    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["-V"]):  # works on the core install too
        from tenantry import __version__

        sys.stdout.write(f"tenantry {__version__}\n")
        return 0
    command = next((a for a in args if not a.startswith("-")), None)
    if command in CORE_COMMANDS:
        if command == "status":
            from tenantry.cli.status import main as command_main
        else:
            from tenantry.cli.lint import main as command_main
        try:
            return command_main(args[args.index(command) + 1 :])
        except TenantryError as exc:
            _error(str(exc))
            return 2
    try:
        from tenantry.cli.commands import run
    except ImportError as exc:
        if command is None or args and args[0] in ("-h", "--help"):
            sys.stdout.write(_CORE_HELP)
            return 0 if args else 2
        extra = EXTRA_OF.get(command)
        if extra is None:
            _error(f"unknown command {command!r}; run: tenantry --help")
            return 2
        _error(needs_extra(command, extra) + f" (missing: {exc.name})")
        return 2
    return run(args, command)


def __getattr__(name: str) -> Any:  # ``from tenantry.cli import app`` loads the full CLI
    if name == "app":
        from tenantry.cli.commands import app

        return app
    raise AttributeError(name)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

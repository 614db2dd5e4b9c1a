"""The full CLI (typer): errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

from tenantry.cli import main


def test_fail_helper_exits_non_zero(capsys):
    """A command that raises tenantry.cli.fail(...) exits non-zero with one line on stderr."""
    import typer

    from tenantry.cli import app, fail

    @app.command("_test-fail", hidden=True)
    def _boom() -> None:
        raise fail("something is wrong")

    assert main(["_test-fail"]) == 1
    assert capsys.readouterr().err.strip() == "error: something is wrong"
    assert isinstance(fail("x"), typer.Exit)

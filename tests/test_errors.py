"""The one exception tree (STYLE.md 14): drawn in ``tenantry.errors``'s docstring, every class
in it defined there, none carrying an HTTP status (the HTTP layer maps them)."""

from __future__ import annotations

import inspect
import re

import tenantry.errors as errors
from tenantry.errors import (
    DuplicateDeveloper,
    InvalidInput,
    InvalidLogin,
    NotFound,
    TenantryError,
    UnknownApiKey,
)
from tenantry.identity.web import http_status


def drawn_tree() -> dict[str, str]:
    """``{class: parent}`` as the docstring draws it (parents by indentation)."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        m = re.match(r"^(\s*[│ ]*[├└]── |\s*)([A-Z][A-Za-z]+)\b", line)
        if not m or not (m.group(1).strip() or m.group(2) == "TenantryError"):
            continue
        depth, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def test_the_drawing_is_the_tree():
    """Every subclass of TenantryError in tenantry.errors is drawn under its real parent, and
    nothing else is drawn."""
    real = {
        name: cls.__bases__[0].__name__
        for name, cls in vars(errors).items()
        if inspect.isclass(cls) and issubclass(cls, TenantryError) and cls is not TenantryError
    }
    assert drawn_tree() == real
    assert {"InvalidInput", "DuplicateDeveloper"} <= set(real)


def test_no_exception_carries_an_http_status():
    """No class of the tree has a status_code: HTTP is the server's business."""
    carrying = [
        name
        for name, cls in vars(errors).items()
        if inspect.isclass(cls) and issubclass(cls, TenantryError) and hasattr(cls, "status_code")
    ]
    assert carrying == []


def test_the_http_layer_maps_identity_errors():
    """identity.web.http_status: 404, 422, 409 for the errors that have one, else 401."""
    assert http_status(NotFound("x")) == 404
    assert http_status(InvalidInput("x")) == 422
    assert http_status(DuplicateDeveloper("x")) == 409
    assert http_status(UnknownApiKey("x")) == http_status(InvalidLogin("x")) == 401

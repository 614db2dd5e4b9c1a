"""What the vendors' Python SDKs look like at a call site, and what a module's names are bound to.

The SDKs (read from their sources: amplitude-analytics 1.x, posthog-python 3.x to 7.x,
segment-analytics-python 2.x and its predecessor ``analytics-python``):

- amplitude: ``Amplitude(api_key).track(BaseEvent(event_type, user_id, ..., event_properties))``,
  ``.identify(Identify().set(k, v), EventOptions(user_id=...))``,
  ``.group_identify(group_type, group_name, identify_obj)``, ``.flush()``, ``.shutdown()``;
- posthog: module functions and ``Posthog(api_key)`` / ``Client`` methods alike; ``capture``
  was ``capture(distinct_id, event, properties, context, timestamp, uuid, groups, ...)`` before
  6.0 and is ``capture(event, *, distinct_id=..., properties=..., timestamp=..., ...)`` since;
  ``identify(distinct_id, properties)`` (before 6.0), ``set``/``set_once(distinct_id=...,
  properties=...)``, ``group_identify(group_type, group_key, properties)``;
- segment: module functions and ``Client(write_key)`` methods alike:
  ``track(user_id, event, properties, context, timestamp, anonymous_id, integrations,
  message_id)``, ``identify(user_id, traits, ...)``, ``group(user_id, group_id, traits, ...)``.

``tenantry lint`` (TNT004) reports the event calls left; ``tenantry migrate`` rewrites them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from tenantry.lint.names import key_words

AMPLITUDE, POSTHOG, SEGMENT = "amplitude", "posthog", "segment"

# module path -> vendor; the longest match wins ("segment.analytics" before "analytics")
ROOTS = {
    "amplitude": AMPLITUDE,
    "posthog": POSTHOG,
    "segment.analytics": SEGMENT,
    "analytics": SEGMENT,  # analytics-python, Segment's package before segment-analytics-python
}
CLIENT_CLASSES = {
    AMPLITUDE: frozenset({"Amplitude"}),
    POSTHOG: frozenset({"Posthog", "Client", "AsyncPosthog", "AsyncClient"}),
    SEGMENT: frozenset({"Client"}),
}
# The calls that send an event or a profile: what TNT004 reports.
EVENT_METHODS = {
    AMPLITUDE: frozenset({"track", "identify", "group_identify", "set_group", "revenue"}),
    POSTHOG: frozenset(
        {"capture", "identify", "set", "set_once", "group_identify", "alias", "page", "screen"}
    ),
    SEGMENT: frozenset({"track", "identify", "group", "alias", "page", "screen"}),
}
LIFECYCLE_METHODS = frozenset({"flush", "shutdown"})
# The module settings a program assigns before the first call (posthog.api_key = ...).
SETTINGS = frozenset(
    {"api_key", "project_api_key", "host", "write_key", "personal_api_key", "debug", "send",
     "sync_mode", "disabled", "on_error"}
)  # fmt: skip

TENANTRY_FACTORIES = frozenset(
    {
        "tenantry.get_telemetry",
        "tenantry.TelemetryService",
        "tenantry.service.get_telemetry",
        "tenantry.service.TelemetryService",
    }
)
# The words that name a vendor's client in a program's own wrapper (the seed guide's
# ``amplitude_client.track(user_id=..., event_type=..., event_properties=...)``). Not "segment":
# too common a word (an audio segment, a market segment) to say whose client it is.
VENDOR_WORDS = {AMPLITUDE: AMPLITUDE, POSTHOG: POSTHOG}


@dataclass(frozen=True, slots=True)
class VendorCall:
    """A call into a vendor's SDK: ``kind`` is ``"module"`` (``posthog.capture``), ``"client"``
    (a method of a client instance), ``"wrapper"`` (a receiver only named like the vendor) or
    ``"class"`` (a vendor class called: a client constructed, an event or option object)."""

    vendor: str
    method: str
    kind: str


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a name or an attribute chain of names, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def vendor_of(qualified: str) -> tuple[str, list[str]] | None:
    """``("posthog", ["client", "Client"])`` for ``posthog.client.Client``; None if no vendor's."""
    parts = qualified.split(".")
    for n in (2, 1):
        vendor = ROOTS.get(".".join(parts[:n]))
        if vendor is not None:
            return vendor, parts[n:]
    return None


class Bindings:
    """What a module's names are bound to: imports (``ph`` -> ``posthog``), vendor client
    instances (``self.client`` -> posthog) and tenantry services (``svc`` -> TelemetryService).
    Flow-insensitive: a name bound anywhere in the module counts everywhere, as a reader would."""

    __slots__ = ("imports", "instances", "telemetry")

    def __init__(self) -> None:
        self.imports: dict[str, str] = {}
        self.instances: dict[str, str] = {}
        self.telemetry: set[str] = set()

    # -- building --------------------------------------------------------------------------
    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:  # `import segment.analytics` binds `segment`
                    root = alias.name.split(".")[0]
                    self.imports[root] = root
        elif node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def add_assignment(self, targets: list[ast.expr], value: ast.expr) -> None:
        """``x = Posthog(...)``, ``self.client = Amplitude(key) if key else None``,
        ``telemetry = get_telemetry()``."""
        for candidate in branches(value):
            if not isinstance(candidate, ast.Call):
                continue
            vendor = self.client_class(candidate.func)
            factory = self.is_telemetry_factory(candidate.func)
            if vendor is None and not factory:
                continue
            for target in targets:
                name = dotted(target)
                if name is None:
                    continue
                if vendor is not None:
                    self.instances[name] = vendor
                else:
                    self.telemetry.add(name)

    def add_annotation(self, name: str, annotation: ast.expr) -> None:
        """A parameter or variable annotated ``TelemetryService`` is a service."""
        for node in ast.walk(annotation):
            if self.qualify(node) in TENANTRY_FACTORIES or (
                isinstance(node, ast.Name) and node.id == "TelemetryService"
            ):
                self.telemetry.add(name)
                return

    # -- reading -----------------------------------------------------------------------------
    def qualify(self, node: ast.AST) -> str | None:
        """The imported name an expression stands for: ``ph.capture`` -> ``posthog.capture``."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        bound = self.imports.get(head)
        if bound is None:
            return None
        return f"{bound}.{rest}" if rest else bound

    def client_class(self, func: ast.AST) -> str | None:
        """The vendor whose client class ``func`` names (``Posthog``, ``A`` for ``Amplitude``)."""
        qualified = self.qualify(func)
        found = vendor_of(qualified) if qualified else None
        if found and found[1] and found[1][-1] in CLIENT_CLASSES[found[0]]:
            return found[0]
        return None

    def is_telemetry_factory(self, func: ast.AST) -> bool:
        qualified = self.qualify(func)
        if qualified is not None:
            return qualified in TENANTRY_FACTORIES
        return isinstance(func, ast.Name) and func.id in ("get_telemetry", "TelemetryService")

    def is_telemetry(self, receiver: ast.AST) -> bool:
        """Whether ``receiver`` is a tenantry service: ``get_telemetry()``, a name bound to one,
        or a name whose last word is ``telemetry`` (``self.telemetry``, ``app.state.telemetry``)."""
        if isinstance(receiver, ast.Call):
            return self.is_telemetry_factory(receiver.func)
        name = dotted(receiver)
        if name is None:
            return False
        if name in self.telemetry:
            return True
        qualified = self.qualify(receiver)
        if qualified is not None and vendor_of(qualified) is not None:
            return False
        # also imported: `from app.observability import telemetry` (a service made there)
        return "telemetry" in key_words(name.rpartition(".")[2])

    def vendor_call(self, call: ast.Call) -> VendorCall | None:
        """The vendor SDK call ``call`` is, if any (see ``VendorCall``)."""
        func = call.func
        qualified = self.qualify(func)
        if qualified is not None:
            found = vendor_of(qualified)
            if found is None or not found[1]:
                return None
            vendor, rest = found
            if len(rest) == 1:
                name = rest[0]
                kind = "class" if name[:1].isupper() else "module"
                return VendorCall(vendor, name, kind)
            if rest[-2] in CLIENT_CLASSES[vendor]:  # posthog.Posthog.capture: unbound, rare
                return None
            return VendorCall(vendor, rest[-1], "class" if rest[-1][:1].isupper() else "module")
        if not isinstance(func, ast.Attribute):
            return None
        receiver, method = func.value, func.attr
        if isinstance(receiver, ast.Call):  # Posthog(key).capture(...)
            vendor = self.client_class(receiver.func)
            return VendorCall(vendor, method, "client") if vendor else None
        name = dotted(receiver)
        if name is None:
            return None
        vendor = self.instances.get(name)
        if vendor is not None:
            return VendorCall(vendor, method, "client")
        if self.is_telemetry(receiver):
            return None
        words = key_words(name.rpartition(".")[2])
        for word, vendor in VENDOR_WORDS.items():
            if word in words and (method in EVENT_METHODS[vendor] or method in LIFECYCLE_METHODS):
                return VendorCall(vendor, method, "wrapper")
        return None


def branches(value: ast.expr) -> list[ast.expr]:
    """The values an assignment may bind: both arms of ``a if c else b``, ``a or b``."""
    if isinstance(value, ast.IfExp):
        return branches(value.body) + branches(value.orelse)
    if isinstance(value, ast.BoolOp):
        return [v for part in value.values for v in branches(part)]
    return [value]

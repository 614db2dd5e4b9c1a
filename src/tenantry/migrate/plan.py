"""What ``tenantry migrate`` does to one module: each vendor call it can rewrite becomes an edit.

``ast`` finds the calls (``tenantry.lint.scan``: the same walk as ``tenantry lint``, so what lint
calls a vendor call is what migrate rewrites) and says where they stand (``async def`` or not,
awaited, their result used); LibCST takes each rewritten call apart (``calls``), so its
arguments keep their code and comments. Everything else in the file stays byte for byte.

A call is rewritten only when its result is unused (a vendor's ``capture`` returns an ID; a
tenantry call returns nothing), and only when every argument has a tenantry equivalent or is a
delivery detail tenantry makes itself (``signatures``); otherwise it is left as it was, and
listed with the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from tenantry.lint import names
from tenantry.lint.scan import Scan, Site
from tenantry.lint.vendors import (
    AMPLITUDE,
    EVENT_METHODS,
    LIFECYCLE_METHODS,
    SEGMENT,
    VendorCall,
    vendor_of,
)
from tenantry.migrate import calls, folds, module
from tenantry.migrate.calls import NewArg
from tenantry.migrate.ids import decide
from tenantry.migrate.signatures import (
    POSITIONAL,
    RULE_OF,
    Ref,
    Unsupported,
    bind,
    posthog_capture_style,
    roles,
)
from tenantry.migrate.text import Edit, Text, overlaps

TODO_DEVELOPER = "# TODO(tenantry): pass the developer's ID (the API key's owner)"
TODO_IDENTIFY = (
    "# TODO(tenantry): identify() describes a developer (the API key's owner): is this one?"
)
MAX_LINE = 100
SEGMENT_GROUP_TYPE = '"company"'  # Segment's group() has no type; its spec's first example


@dataclass(slots=True)
class Note:
    offset: int  # in the source; ``line`` once the edits are known
    code: str
    kind: str  # "migrated", "left"
    text: str
    line: int = 0


@dataclass(slots=True)
class Plan:
    edits: list[Edit] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    rewritten: int = 0


def plan(text: Text, result: Scan, disabled: frozenset[str]) -> Plan:
    """The edits and notes for one scanned module."""
    return _Planner(text, result, disabled).run()


class _Planner:
    def __init__(self, text: Text, result: Scan, disabled: frozenset[str]) -> None:
        self.text = text
        self.result = result
        self.bindings = result.bindings
        self.disabled = disabled
        self.out = Plan()
        self._parsed: dict[int, calls.Parsed] = {}
        self.scopes: dict = {}  # what ids reads of each function, once
        bound = self.bindings.imports.get("get_telemetry")
        self.telemetry = (
            "get_telemetry()"
            if bound in (None, "tenantry.get_telemetry")
            else "tenantry.get_telemetry()"
        )

    def run(self) -> Plan:
        lifecycle: list[tuple[Site, VendorCall]] = []
        for site in self.result.sites:
            found = self.bindings.vendor_call(site.call)
            if found is None or found.kind == "class":
                continue
            if found.method in LIFECYCLE_METHODS or (
                found.vendor == SEGMENT and found.method == "join"
            ):
                lifecycle.append((site, found))
                continue
            self.event_call(site, found)
        if lifecycle and "TM007" not in self.disabled:
            self.lifecycle(lifecycle)
        if self.out.rewritten:
            self.out.edits += module.import_telemetry(self.text, self.result, self.telemetry)
        if "TM008" not in self.disabled:
            for st, vendor in module.client_notes(self.text, self.result, self.out.edits):
                self.note(st, "TM008", "migrated", f"{vendor} setup: comment added")
        return self.out

    # -- notes ----------------------------------------------------------------------------------
    def note(self, node: ast.AST, code: str, kind: str, text: str) -> None:
        self.out.notes.append(
            Note(self.text.offset(node.lineno, node.col_offset), code, kind, text)
        )

    def add(self, edits: list[Edit]) -> bool:
        if any(overlaps(e, self.out.edits) for e in edits):
            return False
        self.out.edits.extend(edits)
        return True

    # -- event calls ----------------------------------------------------------------------------
    def event_call(self, site: Site, found: VendorCall) -> None:
        rule = RULE_OF.get((found.vendor, found.method))
        if rule is None:
            if found.method in EVENT_METHODS[found.vendor]:
                self.note(site.call, "TM000", "left",
                          f"{found.vendor} {found.method}() left as it was: no tenantry equivalent")  # fmt: skip
            return
        code, target = rule
        if code in self.disabled:
            return
        what = f"{found.vendor} {found.method}()"
        try:
            edits, done = self.rewrite(site, found, target)
        except Unsupported as why:
            self.note(site.call, code, "left", f"{what} left as it was: {why}")
            return
        if not self.add(edits):
            self.note(
                site.call, code, "left", f"{what} left as it was: it overlaps another rewrite"
            )
            return
        self.out.rewritten += 1
        self.note(site.call, code, "migrated", f"{what} -> {done}")

    def rewrite(self, site: Site, found: VendorCall, target: str) -> tuple[list[Edit], str]:
        if not site.bare:
            raise Unsupported("its result is used (tenantry's calls return nothing)")
        if target == "track":
            return self.track(site, found)
        if target == "identify":
            return self.identify(site, found)
        return self.group(site, found)

    def track(self, site: Site, found: VendorCall) -> tuple[list[Edit], str]:
        edits: list[Edit] = []
        if found.vendor == AMPLITUDE:
            bound, removed = self.amplitude_event(site)
            edits += [self.remove(st) for st in removed]
        else:
            method = found.method
            if found.vendor != SEGMENT:  # posthog: before or since 6.0
                method = posthog_capture_style(site.call)
            bound = bind(site.call, POSITIONAL[(found.vendor, method)])
        role, dropped = roles(bound)
        if "event" not in role:
            raise Unsupported("no event name")
        pieces = self.pieces(role.values())
        args = [NewArg(None, pieces[role["event"]])]
        if "props" in role:
            args.append(NewArg(None, pieces[role["props"]]))
        primary = role.get("primary")
        props = role.get("props")
        decision = decide(
            site,
            primary.node if primary else None,
            props.node if props else None,
            self.text,
            self.result.enclosing(site.func),
            self.scopes,
        )
        todo = False
        if decision.user is not None:
            args.append(NewArg("user_id", pieces[primary]))
        if decision.developer is not None:
            args.append(NewArg("developer_id", pieces[primary]))
        elif decision.found is not None:
            args.append(NewArg("developer_id", code=decision.found))
        else:
            args.append(NewArg("developer_id", code="None", comment=TODO_DEVELOPER))
            todo = True
        if "timestamp" in role:
            args.append(NewArg("timestamp", pieces[role["timestamp"]]))
        method = "track" if site.is_async else "track_sync"
        layout = self.layout(role.values(), site.call)
        edits += self.replace(site, method, args, layout, awaitable=site.is_async, todo=todo)
        done = f"{method}()" + (f" (dropped: {', '.join(dropped)})" if dropped else "")
        return edits, done + (" with a TODO for developer_id" if todo else "")

    def amplitude_event(self, site: Site) -> tuple[dict[str, Ref], list[ast.stmt]]:
        """The BaseEvent's arguments by name, and the statements to remove (an event built in a
        variable first): ``track(BaseEvent(...))``, ``event = BaseEvent(...); track(event)``, or
        the seed guide's wrapper ``amplitude_client.track(user_id=..., event_type=..., ...)``."""
        call = site.call
        names_ = POSITIONAL[(AMPLITUDE, "BaseEvent")]
        if not call.args and any(k.arg == "event_type" for k in call.keywords):
            return bind(call, names_), []
        if len(call.args) != 1 or call.keywords:
            raise Unsupported("track() takes one BaseEvent")
        event = call.args[0]
        if self.is_class(event, "BaseEvent"):
            return bind(event, names_), []
        if isinstance(event, ast.Name):
            statement, built = folds.event_variable(site, event.id, self.text)
            if not self.is_class(built, "BaseEvent"):
                raise Unsupported("the event is not a BaseEvent")
            return bind(built, names_), [statement]
        raise Unsupported("the event is built elsewhere")

    def is_class(self, node: ast.AST, name: str) -> bool:
        if not isinstance(node, ast.Call):
            return False
        qualified = self.bindings.qualify(node.func)
        found = vendor_of(qualified) if qualified else None
        return bool(found and found[0] == AMPLITUDE and found[1][-1:] == [name])

    def identify(self, site: Site, found: VendorCall) -> tuple[list[Edit], str]:
        edits: list[Edit] = []
        if found.vendor == AMPLITUDE:
            bound = bind(site.call, POSITIONAL[(AMPLITUDE, "identify")])
            if "event_properties" in bound:
                raise Unsupported("event_properties= on identify has no tenantry equivalent")
            ops, removed = self.identify_ops(site, bound)
            edits += [self.remove(st) for st in removed]
            primary = self.options_primary(bound)
            set_code, once_code = folds.dict_code(ops.set), folds.dict_code(ops.set_once)
            dropped: list[str] = []
        else:
            bound = bind(site.call, POSITIONAL[(found.vendor, found.method)])
            role, dropped = roles(bound)
            primary = role.get("primary")
            props = role.get("props")
            set_code = once_code = None
            if props is not None:
                if found.method == "set_once":
                    once_code = props
                else:
                    set_code = props
        if primary is None:
            raise Unsupported("no user ID: identify() needs the developer's ID")
        pieces = self.pieces([p for p in (primary, set_code, once_code) if isinstance(p, Ref)])
        args = [NewArg(None, pieces[primary])]
        args.append(self.value_arg(None, set_code, pieces, "{}"))
        if once_code is not None:
            args.append(self.value_arg("set_once", once_code, pieces))
        is_developer = names.owner(primary.node) == names.DEVELOPER
        layout = self.layout([primary], site.call)
        edits += self.replace(site, "identify", args, layout, todo=not is_developer,
                              todo_text=TODO_IDENTIFY)  # fmt: skip
        done = "identify()" + (f" (dropped: {', '.join(dropped)})" if dropped else "")
        return edits, done

    def group(self, site: Site, found: VendorCall) -> tuple[list[Edit], str]:
        edits: list[Edit] = []
        dropped: list[str] = []
        if found.vendor == AMPLITUDE:
            bound = bind(site.call, POSITIONAL[(AMPLITUDE, "group_identify")])
            for extra in ("event_properties", "user_properties"):
                if extra in bound:
                    raise Unsupported(f"{extra}= on group_identify has no tenantry equivalent")
            ops, removed = self.identify_ops(site, bound)
            if ops.set_once:
                raise Unsupported("set_once on a group has no tenantry equivalent")
            edits += [self.remove(st) for st in removed]
            kind, key = bound.get("group_type"), bound.get("group_name")
            props: Ref | str | None = folds.dict_code(ops.set)
            if "event_options" in bound:
                dropped.append("event_options")
        else:
            bound = bind(site.call, POSITIONAL[(found.vendor, found.method)])
            role, dropped = roles(bound)
            kind, key, props = role.get("group_type"), role.get("group_key"), role.get("props")
            if "primary" in role:
                dropped.append("user_id" if found.vendor == SEGMENT else "distinct_id")
            if found.vendor == SEGMENT:
                kind = SEGMENT_GROUP_TYPE
        if kind is None or key is None:
            raise Unsupported("no group type or key")
        pieces = self.pieces([p for p in (kind, key, props) if isinstance(p, Ref)])
        args = [self.value_arg(None, kind, pieces), NewArg(None, pieces[key])]
        if props is not None:
            args.append(self.value_arg(None, props, pieces))
        layout = self.layout([key], site.call)
        edits += self.replace(site, "group", args, layout)
        return edits, "group()" + (f" (dropped: {', '.join(dropped)})" if dropped else "")

    def identify_ops(self, site: Site, bound: dict[str, Ref]):
        obj = bound.get("identify_obj")
        if obj is None:
            raise Unsupported("no Identify object")
        return folds.identify_ops(site, obj.node, self.text, lambda n: self.is_class(n, "Identify"))

    def options_primary(self, bound: dict[str, Ref]) -> Ref | None:
        options = bound.get("event_options")
        if options is None or not self.is_class(options.node, "EventOptions"):
            raise Unsupported("the user is not given as EventOptions(user_id=...)")
        role, _ = roles(bind(options.node, POSITIONAL[(AMPLITUDE, "EventOptions")]))
        extra = set(role) - {"primary"}
        if extra:
            raise Unsupported(f"EventOptions({', '.join(sorted(extra))}=...)")
        return role.get("primary")

    # -- lifecycle ------------------------------------------------------------------------------
    def lifecycle(self, found: list[tuple[Site, VendorCall]]) -> None:
        """After each run of the vendor's ``flush()``/``shutdown()`` statements, tenantry's
        ``flush()``: what goes through tenantry now is delivered at the same point (the end of a
        script, of a serverless handler). The vendor's call stays: its client may still serve
        something else (feature flags), and shutting the process-wide tenantry service down
        from one place would stop it for every caller (tenantry shuts down at exit itself)."""
        runs: dict[int, list[Site]] = {}  # id(block) -> its lifecycle statements, in order
        for site, call in found:
            what = f"{call.vendor} {call.method}()"
            if not site.bare or not self.text.alone(site.stmt):
                self.note(site.call, "TM007", "left", f"{what}: no flush() added beside it")
                continue
            runs.setdefault(id(site.block), []).append(site)
        for sites in runs.values():
            groups: list[list[Site]] = []
            for site in sorted(sites, key=lambda s: s.index):
                if groups and groups[-1][-1].index == site.index - 1:
                    groups[-1].append(site)
                else:
                    groups.append([site])
            for group in groups:
                last = group[-1]
                following = last.block[last.index + 1] if last.index + 1 < len(last.block) else None
                if following is not None and self.flushes_telemetry(following):
                    continue  # added by an earlier run, or written by hand
                at = self.text.starts[last.stmt.end_lineno]
                line = f"{self.text.indent(last.stmt.lineno)}{self.telemetry}.flush()"
                self.out.edits.append(Edit(at, at, line + self.text.newline()))
                self.out.rewritten += 1
                self.note(last.call, "TM007", "migrated", "tenantry's flush() added after it")

    def flushes_telemetry(self, stmt: ast.stmt) -> bool:
        value = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(value, ast.Await):
            value = value.value
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "flush"
            and self.bindings.is_telemetry(value.func.value)
        )

    # -- building calls -------------------------------------------------------------------------
    def pieces(self, refs) -> dict[Ref, calls.Piece]:
        """The LibCST piece of each argument ``refs`` point at, by ref."""
        parsed: dict[int, tuple[ast.Call, calls.Parsed]] = {}
        out: dict[Ref, calls.Piece] = {}
        for ref in refs:
            if not isinstance(ref, Ref):
                continue
            key = id(ref.call)
            if key not in parsed:
                segment = self.text.segment(ref.call)
                try:
                    parsed[key] = (ref.call, calls.parse_call(segment))
                except Exception as exc:  # LibCST's own parse errors
                    raise Unsupported(f"LibCST cannot read the call: {exc}") from None
            pieces = parsed[key][1].args
            if ref.keyword is not None:
                match = [p for p in pieces if p.keyword == ref.keyword]
            else:
                match = [p for p in pieces if p.keyword is None and not p.star][
                    ref.index : ref.index + 1
                ]
            if not match:
                raise Unsupported("an argument could not be matched")
            match[0].indent = len(self.text.indent(ref.node.lineno))  # where the value starts
            out[ref] = match[0]
        self._parsed = {k: v[1] for k, v in parsed.items()}
        return out

    def layout(self, refs, fallback: ast.Call) -> calls.Parsed:
        """The parsed call whose layout the new call follows: the one its arguments come from."""
        for ref in refs:
            if isinstance(ref, Ref) and id(ref.call) in self._parsed:
                return self._parsed[id(ref.call)]
        return calls.Parsed([], False)

    def value_arg(self, keyword, value, pieces, default: str | None = None) -> NewArg:
        if isinstance(value, Ref):
            return NewArg(keyword, pieces[value])
        return NewArg(keyword, code=value if value is not None else default)

    def replace(
        self,
        site: Site,
        method: str,
        args: list[NewArg],
        layout: calls.Parsed,
        *,
        awaitable: bool = False,
        todo: bool = False,
        todo_text: str = TODO_DEVELOPER,
    ) -> list[Edit]:
        """The edit that puts ``telemetry.method(args)`` in the call's place (its ``await`` too
        when the new call is not awaitable), and the TODO comment."""
        node: ast.expr = site.call
        prefix = ""
        if site.awaited and not awaitable:
            node = site.stmt.value  # `await client.identify(...)` -> `telemetry.identify(...)`
        elif awaitable and not site.awaited:
            prefix = "await "
        start, end = self.text.span(node)
        column = self.text.column(start) + len(prefix)
        indent = self.text.indent(site.stmt.lineno)
        func = f"{self.telemetry}.{method}"
        kw = {"indent": indent, "unit": "\t" if "\t" in indent else "    "}
        multiline = layout.multiline
        if not multiline:
            one = calls.render(func, args, multiline=False, **kw)
            multiline = column + len(one.split("\n")[0]) > MAX_LINE
        if multiline and todo and todo_text is TODO_DEVELOPER:
            text = calls.render(func, args, multiline=True, opening=layout.opening,
                                closing=layout.closing, **kw)  # fmt: skip
            return [Edit(start, end, prefix + text)]
        for arg in args:  # the TODO goes on the line instead
            if arg.comment == TODO_DEVELOPER:
                arg.comment = None
        text = calls.render(func, args, multiline=multiline, opening=layout.opening,
                            closing=layout.closing, **kw)  # fmt: skip
        edits = [Edit(start, end, prefix + text)]
        if todo:
            edits.append(self.todo_comment(site.stmt, todo_text))
        return edits

    def todo_comment(self, stmt: ast.stmt, comment: str) -> Edit:
        """At the end of the statement's last line when that line has no comment, else on a
        line of its own above the statement."""
        text = self.text
        _, end = text.span(stmt)
        line_end = (
            text.starts[stmt.end_lineno]
            - len(text.lines[stmt.end_lineno - 1])
            + len(text.lines[stmt.end_lineno - 1].rstrip("\r\n"))
        )
        if not text.source[end:line_end].strip():
            return Edit(end, end, f"  {comment}")
        at = text.starts[stmt.lineno - 1]
        return Edit(at, at, f"{text.indent(stmt.lineno)}{comment}{text.newline()}")

    def remove(self, stmt: ast.stmt) -> Edit:
        start, end = self.text.lines_of(stmt)
        return Edit(start, end, "")

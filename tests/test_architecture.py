"""The shape of the code, checked from its source: no import cycles, each module imports only
its own floor and the floors below (README, "What is here"), and one writer of a signal's
status, version and timeline."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agencies", "signals_app", "reports", "config")

# Floors, most specific prefix first wins (a module's floor is that of its longest prefix).
FLOORS: dict[str, int] = {
    "agencies": 0,
    # 1: the vocabulary
    "signals_app": 1,
    "signals_app.choices": 1, "signals_app.errors": 1, "signals_app.access": 1,
    "signals_app.locks": 1, "signals_app.models": 1, "signals_app.bulk": 1,
    "signals_app.dispatch": 1, "signals_app.channels": 1, "signals_app.sla.models": 1,
    "signals_app.untrusted": 1, "signals_app.spreadsheets": 1, "signals_app.search": 1,
    "signals_app.limits": 1, "signals_app.contacts": 1,
    "signals_app.sla.clock": 1, "config.celery": 1,
    "signals_app.ingest.models": 1, "signals_app.outbound.models": 1,
    # 2: pure arithmetic and the reads; the timeline and the outboxes' writers
    "signals_app.channels.payload": 2, "signals_app.sla.engine": 2,
    "signals_app.sla.selectors": 2, "signals_app.sla.policies": 2, "signals_app.sla.deadlines": 2,
    "signals_app.timeline": 2, "signals_app.casefile": 2, "signals_app.selectors": 2,
    "signals_app.filters": 2, "signals_app.outbound.outbox": 2, "signals_app.citizen": 2,
    # 3: the workflow (the action registry, the only writers of status)
    "signals_app.workflow": 3,
    # 4: what writes through the workflow: intakes, the inbox, deadlines' sweeps, outbound
    "signals_app.ingest": 4, "signals_app.outbound": 4, "signals_app.sla": 4,
    "signals_app.privacy": 4, "signals_app.votes": 4, "signals_app.votes.models": 1,
    "signals_app.analytics": 4, "signals_app.analytics.models": 1,
    "signals_app.analytics.rollup": 2, "signals_app.analytics.detect": 2,
    "reports": 4,
    # 5: the pages and the API
    "signals_app.ui": 5, "signals_app.api": 5, "signals_app.views": 5, "signals_app.urls": 5,
    "signals_app.context_processors": 5, "signals_app.templatetags": 5,
    "reports.views": 5, "reports.api": 5, "reports.urls": 5,
    # 6: the demo, commands, the admin, the registration of tasks and apps
    "signals_app.demo": 6, "signals_app.management": 6, "signals_app.admin": 6,
    "signals_app.admin_base": 6, "signals_app.admin_privacy": 6, "signals_app.outbound.admin": 6, "signals_app.tasks": 6,
    "signals_app.apps": 6, "reports.admin": 6, "reports.apps": 6, "reports.management": 6,
    "config": 7,
}  # fmt: skip
# A channel package: its spec on floor 1, its payload reader and reply on 2 (with what they
# share, such as the e-mail reader), its intake and poller on 4.
CHANNEL_PARTS = {"normalise": 2, "reply": 2, "message": 2, "intake": 4, "poll": 4}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def floor(name: str) -> int:
    parts = name.split(".")
    if name.startswith("signals_app.channels.") and len(parts) == 4:
        return CHANNEL_PARTS.get(parts[3], 1)
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        if prefix in FLOORS:
            return FLOORS[prefix]
    raise AssertionError(f"{name} has no floor: add it to FLOORS")


def imports(name: str) -> set[str]:
    """Every project module a module imports, at the top or inside a function."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom) and node.module:
            # `from package import module` imports the module (the package's own __init__
            # comes with it, as with any import, and is not a dependency of its own).
            submodules = [f"{node.module}.{a.name}" for a in node.names]
            if all(sub in MODULES for sub in submodules):
                targets = submodules
            else:
                targets = [node.module, *submodules]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        found |= {target for target in targets if target in MODULES and target != name}
    return found


GRAPH = {name: imports(name) for name in MODULES}


def test_every_module_has_a_floor():
    for name in MODULES:
        floor(name)


def test_there_are_no_import_cycles():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert cycles == []


def test_each_module_imports_only_its_floor_and_below():
    upward = [
        f"{name} (floor {floor(name)}) imports {target} (floor {floor(target)})"
        for name, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if floor(target) > floor(name)
    ]
    assert upward == []


def test_the_apps_depend_one_way_and_the_pages_stay_apart():
    def crossing(source: str, target: str) -> list[str]:
        return [
            f"{name} → {other}"
            for name, targets in GRAPH.items()
            if name.startswith(source)
            for other in targets
            if other.startswith(target)
        ]

    assert crossing("agencies", "signals_app") == crossing("agencies", "reports") == []
    assert crossing("signals_app", "reports") == []
    assert crossing("reports", "signals_app.ui") == []
    assert crossing("signals_app.api", "signals_app.ui") == []
    assert crossing("signals_app.ui", "signals_app.api") == []


def _source(name: str) -> str:
    return MODULES[name].read_text(encoding="utf-8")


def test_only_the_timeline_writes_events():
    writers = []
    for name in MODULES:
        text = _source(name)
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                made = isinstance(func, ast.Name) and func.id == "SignalEvent"
                managed = (
                    isinstance(func, ast.Attribute)
                    and func.attr in ("create", "bulk_create", "update", "get_or_create")
                    and "SignalEvent.objects" in ast.unparse(func)
                )
                if made or managed:
                    writers.append(name)
        if re.search(r"(INSERT\s+INTO|COPY)\s+signals_app_signalevent", text, re.IGNORECASE):
            writers.append(name)
    assert set(writers) == {"signals_app.timeline"}


def test_only_the_workflow_s_changes_assign_a_status():
    assigners = defaultdict(list)
    for name in MODULES:
        for node in ast.walk(ast.parse(_source(name))):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Attribute) and leaf.attr == "status":
                        assigners[name].append(node.lineno)
        if re.search(
            r"UPDATE\s+signals_app_signal\b[^;]*\bSET\b[^;]*\bstatus\s*=", _source(name), re.S
        ):
            assigners[name].append(0)
    # Statuses of other rows (an import job, a report) live under other names ("state").
    assert set(assigners) == {"signals_app.workflow.changes"}, dict(assigners)


def test_only_the_workflow_writes_a_signal_s_version():
    writers = set()
    for name in MODULES:
        text = _source(name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr == "version":
                        writers.add(name)
        if re.search(r"\bversion\s*=\s*s\.version\s*\+", text):
            writers.add(name)
    # (An SLA policy has a version of its own: its publisher is the other writer.)
    assert writers == {
        "signals_app.workflow.changes", "signals_app.workflow.services.create",
        "signals_app.workflow.services.system", "signals_app.sla.policies",
    }  # fmt: skip

"""The house along the flow: import directions, no import circles, a pure judge.

    cli · airflow · ui · authoring  →  run  →  judge, measure  →  engines  →  model

Every ``import preflight.…`` in the core is read from the source (module level and inside
functions; ``if TYPE_CHECKING:`` blocks are annotations only and do not count), and each
room may import only the rooms below it. Judging must be pure: it imports nothing that
opens a connection, reads no environment, files or clock of its own, and evaluating a use
case opens no socket, no database and no file.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "include" / "preflight"

# room -> rooms it may import (besides itself). The top-level modules are rooms of their own.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "settings": {"errors"},
    "model": set(),
    "engines": {"model", "errors", "settings"},
    "judge": {"model", "errors"},
    "measure": {"engines", "model", "errors", "settings"},
    # The ecosystem's formats (ODCS in and out, Croissant out) read what measuring and judging
    # know; the loader reads contracts through them, reports and the UI link the cards.
    "authoring": {"judge", "measure", "engines", "model", "errors", "settings"},
    "config": {"authoring", "judge", "model", "errors", "settings"},
    "run": {"authoring", "judge", "measure", "engines", "model", "errors", "settings", "config"},
    "airflow": {"run", "judge", "measure", "engines", "model", "errors", "settings", "config", "authoring"},
    "ui": {"authoring", "run", "judge", "model", "errors", "settings", "config"},
    "cli": {"airflow", "authoring", "run", "judge", "measure", "engines", "model", "errors", "settings", "config"},
    "__init__": {"errors", "model", "config", "run"},
}


def _module_name(path: Path, core: Path = CORE) -> str:
    parts = path.relative_to(core.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, core: Path = CORE) -> list[tuple[str, int, bool]]:
    """(imported preflight module, line, at module level) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path, core)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other, top)
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, top) for a in child.names if a.name.startswith("preflight"))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1] + ([base] if base else []))
                if base == "preflight":  # `from preflight import settings`: the submodules named
                    found.extend(
                        (f"preflight.{a.name}", child.lineno, top) for a in child.names if a.name != "__version__"
                    )
                elif base.startswith("preflight."):
                    found.append((base, child.lineno, top))
            inner_top = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            visit(child, inner_top if not isinstance(child, ast.ClassDef) else top)

    visit(tree, True)
    return found


SOURCES = sorted(CORE.rglob("*.py"))


def _against_the_flow(core: Path) -> list[str]:
    wrong = []
    for path in sorted(core.rglob("*.py")):
        room = _room(_module_name(path, core))
        for imported, line, _ in _imports(path, core):
            target = _room(imported)
            if target != room and target not in ALLOWED[room]:
                wrong.append(f"{path.relative_to(core)}:{line} ({room}) imports {imported} ({target})")
    return wrong


def test_every_room_imports_only_the_rooms_below_it() -> None:
    wrong = _against_the_flow(CORE)
    assert not wrong, "imports against the flow:\n" + "\n".join(wrong)


def test_the_direction_test_can_fail(tmp_path: Path) -> None:
    core = tmp_path / "preflight"
    (core / "judge").mkdir(parents=True)
    (core / "judge" / "bad.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from preflight.run.store import ResultsStore\n"  # annotations only: allowed
        "def f():\n    from preflight.measure.audit import audit_dataset\n"
    )
    assert _against_the_flow(core) == ["judge/bad.py:5 (judge) imports preflight.measure.audit (measure)"]


def _circles(core: Path) -> list[list[str]]:
    """Strongly connected components of more than one module in the module-level import graph."""
    modules = {_module_name(p, core) for p in core.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in core.rglob("*.py"):
        for imported, _, top in _imports(path, core):
            target = imported if imported in modules else imported.rsplit(".", 1)[0]
            if top and target in modules and target != _module_name(path, core):
                graph[_module_name(path, core)].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return circles


def test_no_import_circle() -> None:
    assert _circles(CORE) == []


def test_the_circle_test_can_fail(tmp_path: Path) -> None:
    core = tmp_path / "preflight"
    core.mkdir()
    (core / "a.py").write_text("from preflight.b import x\n")
    (core / "b.py").write_text("import preflight.a\nx = 1\n")
    assert _circles(core) == [["preflight.a", "preflight.b"]]


FORBIDDEN_IN_JUDGE = ("os.environ", "getenv", "datetime.now", "date.today", "time.time", "open(", "Path(")


def test_judge_reads_no_environment_no_clock_and_no_files() -> None:
    found = []
    for path in sorted((CORE / "judge").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            for needle in FORBIDDEN_IN_JUDGE:
                if needle in code:
                    found.append(f"{path.relative_to(CORE)}:{number}: {needle}")
    assert not found, found


PURITY_PROBE = textwrap.dedent(
    """
    import json, sys
    from datetime import date

    import preflight.judge.evaluate as evaluate
    from preflight.judge.evidence import EvidenceSet
    from preflight.judge.kinds import kind_names, load_kind
    from preflight.model.config import Config

    from preflight.judge.rules import builtin_rules

    for kind in kind_names():  # the kinds are package data and the rules code: read before watching
        load_kind(kind)
    builtin_rules()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in {
        "sqlalchemy", "psycopg2", "psycopg", "pymysql", "duckdb", "great_expectations", "airflow",
        "httpx", "requests", "presidio_analyzer", "openlineage"} or m.startswith((
        "preflight.measure", "preflight.engines", "preflight.run", "preflight.airflow", "preflight.settings")))
    events = []
    watched = ("open", "socket.", "sqlite3.", "subprocess.", "os.system", "os.exec", "urllib.")
    sys.addaudithook(lambda event, args: events.append(f"{event} {args[0]!r}") if event.startswith(watched) else None)
    config = Config.model_validate({
        "directory": ".",
        "sources": {"db": {"url": "sqlite:///never-opened.db"}},
        "datasets": {"docs": {"source": "db", "table": "docs", "primary_key": "id", "text_columns": ["body"]}},
        "use_cases": {"uc": {"kind": "rag", "datasets": {"docs": {"role": "documents"}}}},
    })
    verdict = evaluate.evaluate_use_case("uc", config, EvidenceSet({}), today=date(2026, 11, 25))
    print(json.dumps({"loaded": loaded, "events": sorted(set(events)), "verdict": verdict.verdict.value}))
    """
)


def test_judging_opens_no_connection_and_imports_no_driver() -> None:
    done = subprocess.run([sys.executable, "-c", PURITY_PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    import json

    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], f"judging imported I/O: {report['loaded']}"
    assert report["events"] == [], f"judging did I/O: {report['events']}"
    assert report["verdict"] == "blocked"  # nothing was audited: nothing is ready


@pytest.mark.parametrize("needle", FORBIDDEN_IN_JUDGE)
def test_the_purity_scan_can_fail(needle: str) -> None:
    assert needle in f"x = {needle}"

"""A process imports only what its work needs: Great Expectations when a suite exists,
Airflow for an Airflow notifier, Presidio and spaCy for text columns, the OpenLineage
client when audit lineage goes somewhere.

Real CLI commands run in a fresh interpreter each (a small runner calls
``preflight.cli.main`` and writes ``sorted(sys.modules)`` on exit); the assertions are on
the modules loaded, never on time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("great_expectations", "airflow", "presidio_analyzer", "spacy")

RUNNER = """
import atexit, json, sys
out, argv = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from preflight.cli import main
main(argv)
"""

SUITE = {
    "name": "sales",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sale_id"}, "meta": {"severity": "warning"}},
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lazy") / "warehouse.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, code TEXT, body TEXT)")
        db.executemany(
            "INSERT INTO tickets VALUES (?, ?, ?)",
            [
                (i, f"N{10000 + i}", f"The app crashes when I open article {i}; please call me on +44 20 7946 {i:04d}.")
                for i in range(200)
            ],
        )
        # Text min/max that look like codes and dates, and one a recognizer would match.
        db.execute("CREATE TABLE sales (sale_id INTEGER PRIMARY KEY, seat TEXT, sold_at TEXT, reference TEXT)")
        db.executemany(
            "INSERT INTO sales VALUES (?, ?, ?, ?)",
            [(i, f"A{i % 9 + 1}", f"2026-05-{i % 28 + 1:02d}T10:00:00Z", "+44 20 7946 0958" if i == 0 else f"ref {i}") for i in range(100)],
        )
    return path


def _config(tmp_path: Path, warehouse: Path, datasets: str, *, notifier: str | None = None) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    notifiers = f"settings:\n  notifiers:\n    team: {{class: {notifier}}}\n" if notifier else ""
    (directory / "preflight.yaml").write_text(
        f"""{notifiers}sources:
  wh: {{url: "sqlite:///{warehouse}"}}
datasets:
{datasets}
use_cases:
  assistant: {{kind: rag, datasets: [{datasets.split(":")[0].strip()}]}}
"""
    )
    return directory


NOTIFIER = """
from airflow.sdk import BaseNotifier

class Recorder(BaseNotifier):
    template_fields = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def notify(self, context) -> None:
        print("RECORDED", self.message)
"""


def _run(
    tmp_path: Path, *args: str, expectations: Path | None = None, env: dict[str, str] | None = None
) -> tuple[set[str], str]:
    """The modules loaded by ``preflight *args`` in a fresh interpreter, and its output."""
    out = tmp_path / "modules.json"
    expectations = expectations or tmp_path / "no-suites"
    expectations.mkdir(exist_ok=True)
    (tmp_path / "lazy_notifier.py").write_text(NOTIFIER)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "AIRFLOW__OPENLINEAGE"))},
        **(env or {}),
        "PREFLIGHT_HOME": str(tmp_path / "home"),
        "PREFLIGHT_EXPECTATIONS": str(expectations),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run([sys.executable, "-c", RUNNER, str(out), *args], capture_output=True, text=True, env=env)
    assert done.returncode in (0, 1), done.stderr  # 1: a use case is blocked, a result
    return set(json.loads(out.read_text())), done.stdout + done.stderr


def _modules_after(tmp_path: Path, *args: str, expectations: Path | None = None) -> set[str]:
    modules, _ = _run(tmp_path, *args, expectations=expectations)
    return {name.split(".")[0] for name in modules}


def _audit_with_a_verdict_change(tmp_path: Path, config: Path) -> tuple[set[str], str]:
    """Audit twice, the second time with the table gone: the verdict changes, so the
    configured notifier is imported and sent to; the second process is returned."""
    _run(tmp_path, "audit", "-q", "--config", str(config))
    yaml = config / "preflight.yaml"
    yaml.write_text(yaml.read_text().replace("table: sales", "table: no_such_table"))
    return _run(tmp_path, "audit", "-q", "--config", str(config))


def _loaded(modules: set[str]) -> dict[str, bool]:
    return {name: name in modules for name in HEAVY}


def test_profile_imports_none_of_them(tmp_path: Path, warehouse: Path) -> None:
    modules = _modules_after(tmp_path, "profile", "--url", f"sqlite:///{warehouse}", "--table", "tickets")
    assert _loaded(modules) == dict.fromkeys(HEAVY, False)


def test_audit_without_text_columns_or_suites_imports_none_of_them(tmp_path: Path, warehouse: Path) -> None:
    config = _config(tmp_path, warehouse, "  sales: {source: wh, table: sales, primary_key: sale_id}")
    modules = _modules_after(tmp_path, "audit", "-q", "--config", str(config))
    assert _loaded(modules) == dict.fromkeys(HEAVY, False)


def test_preflights_log_notifier_needs_no_airflow(tmp_path: Path, warehouse: Path) -> None:
    config = _config(tmp_path, warehouse, "  sales: {source: wh, table: sales, primary_key: sale_id}", notifier="preflight.run.notify.LogNotifier")
    modules, output = _audit_with_a_verdict_change(tmp_path, config)
    assert "use case assistant is now BLOCKED" in output  # the notifier did run
    assert not any(name == "airflow" or name.startswith("airflow.") for name in modules)


def test_audit_with_a_text_column_imports_presidio_only(tmp_path: Path, warehouse: Path) -> None:
    config = _config(tmp_path, warehouse, "  tickets: {source: wh, table: tickets, primary_key: ticket_id, text_columns: [body]}")
    modules = _modules_after(tmp_path, "audit", "-q", "--config", str(config))
    assert _loaded(modules) == {"great_expectations": False, "airflow": False, "presidio_analyzer": True, "spacy": True}


def test_audit_with_a_suite_imports_great_expectations_only(tmp_path: Path, warehouse: Path) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "sales.json").write_text(json.dumps(SUITE))
    config = _config(tmp_path, warehouse, "  sales: {source: wh, table: sales, primary_key: sale_id}")
    modules = _modules_after(tmp_path, "audit", "-q", "--config", str(config), expectations=suites)
    assert _loaded(modules) == {"great_expectations": True, "airflow": False, "presidio_analyzer": False, "spacy": False}


def test_an_airflow_notifier_imports_airflow(tmp_path: Path, warehouse: Path) -> None:
    config = _config(tmp_path, warehouse, "  sales: {source: wh, table: sales, primary_key: sale_id}", notifier="lazy_notifier.Recorder")
    modules, output = _audit_with_a_verdict_change(tmp_path, config)
    assert "RECORDED Preflight: use case assistant is now BLOCKED" in output
    assert {"airflow", "preflight.run.airflow_notifier"} <= modules


def test_audit_imports_openlineage_only_when_its_events_go_somewhere(tmp_path: Path, warehouse: Path) -> None:
    config = _config(tmp_path, warehouse, "  sales: {source: wh, table: sales, primary_key: sale_id}")
    modules, _ = _run(tmp_path, "audit", "-q", "--config", str(config))
    assert not any(name.startswith("openlineage") for name in modules)
    assert not (tmp_path / "home" / "lineage").exists()

    modules, _ = _run(tmp_path, "audit", "-q", "--config", str(config), env={"PREFLIGHT_LINEAGE_FILE": "1"})
    assert "openlineage.client" in modules
    events = [json.loads(line) for line in (tmp_path / "home" / "lineage" / "events.jsonl").read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]

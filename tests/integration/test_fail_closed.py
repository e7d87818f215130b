"""The gate fails closed: five ways it used to open where it had to stay shut.

Each test runs the real pipeline (audit → measure → judge → store) on a real database
and asks the gate the way a launch does; the gate must stay closed, with the reason.

1. A text column whose sample failed (one undecodable row) used to read "no PII found".
2. Composite primary keys were never checked for uniqueness (on every engine).
3. A suite expectation with ``meta.severity: blocker`` that fails used to leave the
   use case at risk.
4. A verdict of any age, judged on any configuration, used to open the gate.
5. "Latest" was the run that finished last: re-finishing an old run made it the latest.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.run.gate import decide_gate
from preflight.run.pipeline import finish_run, run_audit, store_for

NOW = datetime.now(UTC)


def _documented(table: str, columns: list[str], **extra: Any) -> dict[str, Any]:
    """A catalog entry that satisfies every documentation and freshness requirement."""
    return {
        "source": "db",
        "table": table,
        "description": f"{table}, documented",
        "owner": "data@corp",
        "business_sponsor": "VP Data",
        "classification": "confidential",
        "freshness": {"column": "created_at", "slo": "30d"},
        "column_descriptions": {c: f"the {c}" for c in columns},
        "documentation_url": "https://wiki.corp/data",
        "tags": ["test"],
        "update_cadence": "daily",
        **extra,
    }


def _write_config(folder: Path, url: str, datasets: dict[str, Any], use_cases: dict[str, Any], **settings: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "preflight.yaml").write_text(yaml.safe_dump({
        "settings": settings,
        "sources": {"db": {"url": url}},
        "datasets": datasets,
        "use_cases": use_cases,
    }))
    return folder


def _gate_cli(config_dir: Path, use_case: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFLIGHT_CONFIG": str(config_dir)}
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", "gate", use_case, *args],
        env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("PREFLIGHT_HOME", str(home))
    monkeypatch.setenv("PREFLIGHT_EXPECTATIONS", str(tmp_path / "suites"))
    monkeypatch.delenv("PREFLIGHT_RESULTS_URL", raising=False)
    (tmp_path / "suites").mkdir()
    return home


# --- 1. a sample that failed is no evidence of "no PII" ------------------------------------


def test_a_failed_sample_never_reads_as_no_pii(home: Path, tmp_path: Path) -> None:
    db = tmp_path / "tickets.db"
    con = sqlite3.connect(db)
    con.execute("create table tickets (id integer primary key, body text, created_at timestamp)")
    created = (NOW - timedelta(hours=1)).isoformat()
    con.executemany(
        "insert into tickets values (?, ?, ?)",
        [(i, f"Contact {chr(97 + i % 20)}person{i}@example.com please", created) for i in range(100)],
    )
    # One row the driver cannot decode: the sample (every row, as the table is small) fails.
    con.execute("insert into tickets values (1000, CAST(? AS TEXT), ?)", (b"Contact b\xff row", created))
    con.commit()
    con.close()
    config_dir = _write_config(
        tmp_path / "config", f"sqlite:///{db}",
        {"tickets": _documented("tickets", ["id", "body", "created_at"], primary_key="id", text_columns=["body"])},
        {"agent": {"kind": "agent_tools", "business_sponsor": "VP", "owner": "ai@corp", "pii": "forbidden",
                   "datasets": {"tickets": {"columns": ["id", "body", "created_at"]}}}},
    )
    run = run_audit(load_config(config_dir))
    verdict = run.use_cases[0]
    pii = [c for c in verdict.checks if c.details.get("requirement") == "pii"]
    assert pii and all(not c.passed for c in pii), [c.message for c in pii]
    assert any(not c.measured and "could not be measured" in c.message for c in pii), [c.message for c in pii]
    assert verdict.verdict.value == "blocked"
    # The reason names no data: the undecodable row's text stays out of every message.
    messages = json.dumps([c.message for c in verdict.checks])
    assert "example.com" not in messages and "Contact b" not in messages

    gate = _gate_cli(config_dir, "agent")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "gate closed" in gate.stdout and "could not be measured" in gate.stdout


# --- 2. composite keys are checked for uniqueness, on every engine -------------------------


def test_duplicates_on_a_composite_key_block_a_rag_use_case(scratch, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    created = (NOW - timedelta(hours=1)).replace(tzinfo=None)
    docs = scratch.create(
        sa.Table(scratch.name("docs"), sa.MetaData(),
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("tenant", sa.String(10)), sa.Column("doc_no", sa.Integer),
                 sa.Column("body", sa.Text), sa.Column("access_label", sa.String(10)),
                 sa.Column("created_at", sa.DateTime)),
        # (acme, 1) three times: two duplicate rows on the declared key.
        [{"id": i, "tenant": t, "doc_no": n, "body": f"How to reset the router, step {i}: unplug it and wait.",
          "access_label": "staff", "created_at": created}
         for i, (t, n) in enumerate([("acme", 1), ("acme", 2), ("acme", 1), ("beta", 1), ("acme", 1)], start=1)],
    )
    columns = ["id", "tenant", "doc_no", "body", "access_label", "created_at"]
    config_dir = _write_config(
        tmp_path / "config", scratch.url,
        {"docs": _documented(str(docs.name), columns, primary_key=["tenant", "doc_no"], text_columns=["body"],
                             access_label_column="access_label")},
        {"assistant": {"kind": "rag", "business_sponsor": "VP", "owner": "ai@corp",
                       "datasets": {"docs": {"role": "documents", "columns": columns}}}},
    )
    verdict = run_audit(load_config(config_dir)).use_cases[0]
    stable = next(c for c in verdict.checks if c.details.get("requirement") == "stable_ids")
    assert not stable.passed and stable.measured and stable.observed == 2, stable.message
    assert verdict.verdict.value == "blocked"
    decision = decide_gate(store_for(load_config(config_dir)), load_config(config_dir), "assistant", now=datetime.now(UTC))
    assert not decision.open
    assert any("not unique: 2 duplicate rows on (tenant, doc_no)" in r for r in decision.reasons), decision.reasons


# --- 3. a suite's meta.severity: blocker blocks --------------------------------------------


def test_a_failing_blocker_expectation_blocks_the_use_case(home: Path, tmp_path: Path) -> None:
    db = tmp_path / "sales.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    sales = sa.Table("sales", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("price", sa.Float), sa.Column("created_at", sa.DateTime))
    sales.create(engine)
    with engine.begin() as conn:
        conn.execute(sales.insert(), [{"id": i, "price": float(i * 10), "created_at": NOW.replace(tzinfo=None)}
                                      for i in range(1, 21)])
    engine.dispose()
    (tmp_path / "suites" / "sales.json").write_text(json.dumps({
        "name": "sales",
        "expectations": [{
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "price", "min_value": 0, "max_value": 100},
            "meta": {"severity": "blocker"},
        }],
    }))
    config_dir = _write_config(
        tmp_path / "config", f"sqlite:///{db}",
        {"sales": _documented("sales", ["id", "price", "created_at"], primary_key="id")},
        {"pricing": {"kind": "analytics", "business_sponsor": "VP", "owner": "ai@corp",
                     "datasets": {"sales": {"columns": ["id", "price", "created_at"]}}}},
    )
    verdict = run_audit(load_config(config_dir)).use_cases[0]
    rule = next(c for c in verdict.checks if c.details.get("source_check", "").startswith("quality.gx."))
    assert not rule.passed and rule.severity.value == "blocker", rule
    assert verdict.verdict.value == "blocked"
    gate = _gate_cli(config_dir, "pricing")
    assert gate.returncode == 1 and "price" in gate.stdout, gate.stdout

    # Only the use case's explicit override relaxes it, and the check says so.
    raw = yaml.safe_load((config_dir / "preflight.yaml").read_text())
    raw["use_cases"]["pricing"]["severities"] = {"quality_rules": "warning"}
    (config_dir / "preflight.yaml").write_text(yaml.safe_dump(raw))
    relaxed = run_audit(load_config(config_dir)).use_cases[0]
    rule = next(c for c in relaxed.checks if c.details.get("source_check", "").startswith("quality.gx."))
    assert rule.severity.value == "warning"
    assert rule.details["severity_override"] == {
        "natural": "blocker", "applied": "warning", "by": "use_cases.pricing.severities.quality_rules"
    }
    assert relaxed.verdict.value == "at_risk"


# --- 4. stale verdicts and verdicts judged on another configuration ------------------------


@pytest.fixture
def ready_world(home: Path, tmp_path: Path) -> Path:
    """A ready use case, audited once."""
    db = tmp_path / "items.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    items = sa.Table("items", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.String(20)), sa.Column("created_at", sa.DateTime))
    items.create(engine)
    with engine.begin() as conn:
        conn.execute(items.insert(), [{"id": i, "name": f"item {i}", "created_at": NOW.replace(tzinfo=None)}
                                      for i in range(1, 11)])
    engine.dispose()
    config_dir = _write_config(
        tmp_path / "config", f"sqlite:///{db}",
        {"items": _documented("items", ["id", "name", "created_at"], primary_key="id")},
        {"catalog_bot": {"kind": "analytics", "business_sponsor": "VP", "owner": "ai@corp",
                         "datasets": {"items": {"columns": ["id", "name", "created_at"]}}}},
    )
    verdict = run_audit(load_config(config_dir)).use_cases[0]
    assert verdict.verdict.value == "ready", [c.message for c in verdict.checks if c.failing]
    assert _gate_cli(config_dir, "catalog_bot").returncode == 0
    return config_dir


def test_a_stale_verdict_closes_the_gate(ready_world: Path) -> None:
    config = load_config(ready_world)
    store = store_for(config)
    later = datetime.now(UTC) + timedelta(days=120)
    decision = decide_gate(store, config, "catalog_bot", now=later)
    assert not decision.open
    assert any("days old; the gate accepts at most 7.0 days" in r for r in decision.reasons), decision.reasons
    assert decide_gate(store, config, "catalog_bot", now=later, max_age=timedelta(days=200)).open

    stale = _gate_cli(ready_world, "catalog_bot", "--max-age", "1s")
    assert stale.returncode == 1 and "old; the gate accepts at most" in stale.stdout, stale.stdout
    assert _gate_cli(ready_world, "catalog_bot", "--max-age", "soon").returncode == 2


def test_a_verdict_judged_on_another_configuration_closes_the_gate(ready_world: Path) -> None:
    raw = yaml.safe_load((ready_world / "preflight.yaml").read_text())
    # The use case is redefined: it now reads text and forbids PII, which was never audited.
    raw["datasets"]["items"]["text_columns"] = ["name"]
    raw["use_cases"]["catalog_bot"]["datasets"]["items"]["columns"] = ["id", "name"]
    (ready_world / "preflight.yaml").write_text(yaml.safe_dump(raw))
    gate = _gate_cli(ready_world, "catalog_bot")
    assert gate.returncode == 1, gate.stdout
    assert "configuration changed since the audit: dataset items, use case" in gate.stdout


def test_no_audit_and_an_incomplete_audit_close_the_gate(ready_world: Path) -> None:
    raw = yaml.safe_load((ready_world / "preflight.yaml").read_text())
    raw["use_cases"]["new_bot"] = dict(raw["use_cases"]["catalog_bot"])
    (ready_world / "preflight.yaml").write_text(yaml.safe_dump(raw))
    gate = _gate_cli(ready_world, "new_bot")
    assert gate.returncode == 1 and "no finished audit has judged new_bot" in gate.stdout, gate.stdout
    assert _gate_cli(ready_world, "no_such_use_case").returncode == 2

    config = load_config(ready_world)
    store = store_for(config)
    store.start_run("incomplete", started_at=datetime.now(UTC), trigger="test", config_dir=None)
    finish_run(config, "incomplete")  # no dataset audited in this run
    decision = decide_gate(store, config, "catalog_bot", now=datetime.now(UTC))
    assert not decision.open
    assert any("did not complete" in r for r in decision.reasons), decision.reasons


# --- 5. "latest" is the run that started last ----------------------------------------------


def test_refinishing_an_old_run_does_not_make_it_the_latest(ready_world: Path, tmp_path: Path) -> None:
    config = load_config(ready_world)
    store = store_for(config)
    old_run = store.latest_run_id()
    assert old_run is not None
    # The data breaks: the newest audit blocks.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'items.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE items"))  # the table is gone: unreachable
    engine.dispose()
    newest = run_audit(config)
    assert newest.use_cases[0].verdict.value == "blocked"
    # Clearing the old DAG run's evaluate task re-finishes the old run, later than the newest.
    finish_run(config, old_run, now=datetime.now(UTC) + timedelta(minutes=5))
    assert store.latest_run_id() == newest.run_id
    gate = _gate_cli(ready_world, "catalog_bot")
    assert gate.returncode == 1, gate.stdout
    assert newest.run_id in gate.stdout and "BLOCKED" in gate.stdout

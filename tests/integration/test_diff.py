"""`preflight diff`: a regression planted between two audits shows as a verdict flip with
the newly failing check that caused it; two audits of unchanged data show no changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.run.diff import diff_runs
from preflight.run.pipeline import run_audit, store_for


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFLIGHT_EXPECTATIONS", str(tmp_path / "no-suites"))
    db = tmp_path / "w.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    items = sa.Table("items", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("sku", sa.String(10)), sa.Column("created_at", sa.DateTime))
    items.create(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(items.insert(), [{"id": i, "sku": f"S{i}", "created_at": now} for i in range(1, 21)])
    engine.dispose()
    config = tmp_path / "config"
    config.mkdir()
    (config / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": f"sqlite:///{db}"}},
        "datasets": {"items": {
            "source": "db", "table": "items", "primary_key": "id", "description": "Items", "owner": "o@corp",
            "classification": "internal", "freshness": {"column": "created_at", "slo": "7d"},
            "required_columns": ["sku"],
        }},
        "use_cases": {"shop": {"kind": "analytics", "business_sponsor": "VP", "owner": "o@corp",
                               "datasets": {"items": {"columns": ["id", "sku", "created_at"]}}}},
    }))
    return config, db


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFLIGHT_CONFIG": str(config)}
    return subprocess.run([sys.executable, "-m", "preflight.cli", "diff", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_planted_regression_shows_as_a_flip_with_its_cause(world: tuple[Path, Path]) -> None:
    config_dir, db = world
    config = load_config(config_dir)
    first = run_audit(config)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE items SET sku = NULL WHERE id <= 10"))  # half the skus gone
    engine.dispose()
    second = run_audit(config)
    assert (first.use_cases[0].verdict.value, second.use_cases[0].verdict.value) == ("ready", "at_risk")

    changes = diff_runs(store_for(config))
    assert (changes.before, changes.after) == (first.run_id, second.run_id)
    (shop,) = [u for u in changes.use_cases if u.changed]
    assert shop.flipped and (shop.verdict_before, shop.verdict_after) == ("ready", "at_risk")
    assert shop.score_change is not None and shop.score_change < 0
    failing = [c.id for c in shop.checks if c.newly_failing]
    assert failing == ["completeness.items.sku"], failing
    (items,) = [d for d in changes.datasets if d.changed]
    assert "quality.completeness.sku" in [c.id for c in items.checks if c.newly_failing]
    assert items.score_changes["quality"] < 0

    done = _cli(config_dir)
    assert done.returncode == 0, done.stderr
    assert "shop: ready → at_risk" in done.stdout and "newly failing: [warning] completeness.items.sku" in done.stdout
    as_json = json.loads(_cli(config_dir, "--json").stdout)
    assert as_json["changed"] and as_json["use_cases"][0]["newly_failing"][0]["id"] == "completeness.items.sku"
    # Fixing it again reads as newly fixed.
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE items SET sku = 'S' || id"))
    engine.dispose()
    third = run_audit(config)
    back = diff_runs(store_for(config), second.run_id, third.run_id)
    assert [c.id for u in back.use_cases for c in u.checks if c.newly_fixed] == ["completeness.items.sku"]


def test_identical_audits_show_no_changes(world: tuple[Path, Path]) -> None:
    config_dir, _ = world
    config = load_config(config_dir)
    run_audit(config)
    run_audit(config)
    done = _cli(config_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("no changes")


def test_diff_needs_two_finished_runs(world: tuple[Path, Path]) -> None:
    config_dir, _ = world
    run_audit(load_config(config_dir))
    done = _cli(config_dir)
    assert done.returncode == 2 and "no finished run before" in done.stderr

"""Targeted re-audits: one dataset, or one use case's datasets, audited again; the use cases
that read them judged again on the new audits plus the newest earlier audits of the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.errors import ConfigError, UnknownUseCaseError
from preflight.run.gate import decide_gate
from preflight.run.pipeline import resolve_scope, run_audit, store_for


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Two datasets; `shop` reads both, `stock` reads only `items`."""
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFLIGHT_EXPECTATIONS", str(tmp_path / "no-suites"))
    db = tmp_path / "w.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    meta = sa.MetaData()
    now = datetime.now(UTC).replace(tzinfo=None)
    for name in ("items", "orders"):
        table = sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("code", sa.String(10)), sa.Column("created_at", sa.DateTime))
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": i, "code": f"C{i}", "created_at": now} for i in range(1, 11)])
    engine.dispose()
    entry = {"source": "db", "primary_key": "id", "description": "d", "owner": "o@corp", "classification": "internal",
             "freshness": {"column": "created_at", "slo": "7d"}, "required_columns": ["code"]}
    config = tmp_path / "config"
    config.mkdir()
    (config / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": f"sqlite:///{db}"}},
        "datasets": {"items": {**entry, "table": "items"}, "orders": {**entry, "table": "orders"}},
        "use_cases": {
            "shop": {"kind": "analytics", "business_sponsor": "VP", "owner": "o", "datasets": ["items", "orders"]},
            "stock": {"kind": "analytics", "business_sponsor": "VP", "owner": "o", "datasets": ["items"]},
        },
    }))
    return config, db


def test_a_dataset_is_reaudited_and_only_its_use_cases_rejudged(world: tuple[Path, Path]) -> None:
    config_dir, db = world
    config = load_config(config_dir)
    first = run_audit(config)
    assert {v.use_case: v.verdict.value for v in first.use_cases} == {"shop": "ready", "stock": "ready"}
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET code = NULL"))
    engine.dispose()

    targeted = run_audit(config, scope=resolve_scope(config, datasets=["orders"]))
    assert targeted.scope is not None and targeted.scope.datasets == ("orders",)
    # Only `orders` was audited; `shop` (which reads it) was judged again, `stock` was not.
    audits = {a.name: a for a in targeted.datasets}
    assert audits["orders"].carried_from is None
    assert audits["items"].carried_from == first.run_id  # carried over for `shop`
    assert [v.use_case for v in targeted.use_cases] == ["shop"]
    shop = targeted.use_cases[0]
    assert shop.verdict.value == "at_risk" and shop.complete
    # Its evidence is as old as the carried audit of `items`.
    assert shop.measured_at == audits["items"].started_at < targeted.started_at

    store = store_for(config)
    assert decide_gate(store, config, "shop", now=datetime.now(UTC)).run_id == targeted.run_id
    assert decide_gate(store, config, "stock", now=datetime.now(UTC)).run_id == first.run_id
    # A maximum age counts from the oldest evidence, not from the targeted run's start.
    gap = targeted.started_at - audits["items"].started_at
    stale = decide_gate(store, config, "shop", now=targeted.started_at + timedelta(days=1) - gap / 2,
                        max_age=timedelta(days=1))
    assert not stale.open and any("old; the gate accepts at most" in r for r in stale.reasons), stale.reasons


def test_a_use_case_is_reaudited_alone(world: tuple[Path, Path]) -> None:
    config_dir, _ = world
    config = load_config(config_dir)
    run_audit(config)
    targeted = run_audit(config, scope=resolve_scope(config, use_case="stock"))
    assert [a.name for a in targeted.datasets] == ["items"]
    assert [v.use_case for v in targeted.use_cases] == ["stock"]


def test_a_dataset_never_audited_is_not_carried_and_fails_closed(world: tuple[Path, Path]) -> None:
    config_dir, _ = world
    config = load_config(config_dir)
    targeted = run_audit(config, scope=resolve_scope(config, datasets=["items"]))  # no full audit before
    shop = next(v for v in targeted.use_cases if v.use_case == "shop")
    assert not shop.complete and shop.verdict.value == "blocked"
    assert any("orders was not audited in this run" in line for line in shop.blockers), shop.blockers


def test_unknown_names_are_refused(world: tuple[Path, Path]) -> None:
    config = load_config(world[0])
    with pytest.raises(ConfigError, match="did you mean 'orders'"):
        resolve_scope(config, datasets=["order"])
    with pytest.raises(UnknownUseCaseError, match="did you mean 'stock'"):
        resolve_scope(config, use_case="stocks")
    env = {**os.environ, "PREFLIGHT_CONFIG": str(world[0])}
    done = subprocess.run([sys.executable, "-m", "preflight.cli", "audit", "-q", "--dataset", "order"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "did you mean 'orders'" in done.stderr, done.stderr
    done = subprocess.run([sys.executable, "-m", "preflight.cli", "audit", "-q", "--use-case", "stock"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "stock" in done.stdout, done.stdout + done.stderr

"""The CLI audit on several worker processes stores exactly what a sequential one stores.

The world: two SQLite sources (one holding a text column and a missing table, one allowed
a single audit at a time), a PostgreSQL source nobody listens on, three use cases, one
of them with a join-coverage cross-check. Each run gets a fresh results store, so
history checks see the same (empty) past.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.model.config import Config
from preflight.model.results import DatasetAudit, DatasetStatus, RunResult
from preflight.run import pipeline
from preflight.run.pipeline import run_audit, store_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="worker processes are forked")

_ENTRY = {"description": "documented", "owner": "data@corp", "classification": "internal", "primary_key": "id"}
_TEXTS = [
    "The delivery arrived on time and the packaging was intact.",
    "Le colis est arrivé en retard mais le produit fonctionne bien.",
    "Contact me at jane.doe@example.com if the order is missing.",
    "Das Gerät ist leise und verbraucht wenig Strom.",
    "",
    "Great value for the price, would order again.",
]


def _build(db: Path, tables: dict[str, int], *, texts: bool = False) -> None:
    engine = sa.create_engine(f"sqlite:///{db}")
    meta = sa.MetaData()
    now = datetime.now(UTC).replace(tzinfo=None)
    for name, rows in tables.items():
        columns = [sa.Column("id", sa.Integer, primary_key=True), sa.Column("item_id", sa.Integer),
                   sa.Column("code", sa.String(10)), sa.Column("created_at", sa.DateTime)]
        if texts and name == "reviews":
            columns.append(sa.Column("body", sa.Text))
        table = sa.Table(name, meta, *columns)
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [
                {"id": i, "item_id": i % 7 or None, "code": f"C{i % 5}" if i % 4 else None,
                 "created_at": now - timedelta(days=i % 3),
                 **({"body": _TEXTS[i % len(_TEXTS)] * (1 + i % 2)} if texts and name == "reviews" else {})}
                for i in range(1, rows + 1)
            ])
    engine.dispose()


@pytest.fixture
def world(tmp_path: Path) -> Config:
    _build(tmp_path / "shop.db", {"items": 6, "orders": 40, "reviews": 60}, texts=True)
    _build(tmp_path / "crm.db", {"accounts": 25, "contacts": 30})
    config = tmp_path / "config"
    config.mkdir()
    (config / "preflight.yaml").write_text(yaml.safe_dump({
        "settings": {"audit_workers": 3},
        "sources": {
            "shop": {"url": f"sqlite:///{tmp_path / 'shop.db'}"},
            "crm": {"url": f"sqlite:///{tmp_path / 'crm.db'}", "max_concurrent_audits": 1},
            # Nothing listens on port 1: connection refused at once.
            "gone": {"url": "postgresql+psycopg2://nobody@127.0.0.1:1/nowhere",
                     "timeouts": {"connect": "2s"}},
        },
        "datasets": {
            "items": {**_ENTRY, "source": "shop", "table": "items"},
            "orders": {**_ENTRY, "source": "shop", "table": "orders",
                       "related_keys": [{"column": "item_id", "references": "items.id"}]},
            "reviews": {**_ENTRY, "source": "shop", "table": "reviews", "text_columns": ["body"]},
            "ghost": {**_ENTRY, "source": "shop", "table": "no_such_table"},
            "accounts": {**_ENTRY, "source": "crm", "table": "accounts", "required_columns": ["code"]},
            "contacts": {**_ENTRY, "source": "crm", "table": "contacts"},
            "remote": {**_ENTRY, "source": "gone", "table": "anything"},
        },
        "use_cases": {
            "assistant": {"kind": "rag", "business_sponsor": "VP", "owner": "o",
                          "datasets": {"reviews": {"role": "documents"}, "items": {}}},
            "shop": {"kind": "analytics", "business_sponsor": "VP", "owner": "o",
                     "datasets": ["items", "orders", "ghost"],
                     "cross_checks": [{"type": "join_coverage", "from": "orders.item_id", "to": "items.id",
                                       "min_coverage": 0.5}]},
            "crm": {"kind": "analytics", "business_sponsor": "VP", "owner": "o",
                    "datasets": ["accounts", "contacts", "remote"]},
        },
    }))
    return load_config(config)


_VOLATILE = {"run_id", "started_at", "finished_at", "decided_at", "measured_at", "profiled_at"}


def _stable(value: Any) -> Any:
    """``value`` without what differs between any two runs: ids, timestamps, durations."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE and "duration" not in k}
    if isinstance(value, list | tuple):
        return [_stable(v) for v in value]
    return value


def _stored(config: Config, run: RunResult) -> dict[str, Any]:
    """What the results store holds for ``run``: audits (checks, evidence, scores, profile),
    verdicts (checks, scores, blockers, fixes) and the run's check rows."""
    store = store_for(config)
    stored = store.load_run(run.run_id)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT subject_type, subject, check_id, dimension, severity, passed, waived, dataset, message "
                    "FROM preflight_checks WHERE run_id = :run"), {"run": run.run_id}
        ).all()
    return {
        "datasets": {a.name: _stable(a.model_dump(mode="json")) for a in stored.datasets},
        "use_cases": {v.use_case: _stable(v.model_dump(mode="json")) for v in stored.use_cases},
        "platform_fixes": _stable(list(stored.platform_fixes)),
        "check_rows": sorted(tuple(str(c) for c in row) for row in rows),
    }


def _audit(config: Config, home: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> RunResult:
    monkeypatch.setenv("PREFLIGHT_HOME", str(home))
    return run_audit(config, **kwargs)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFLIGHT_RESULTS_URL", raising=False)
    monkeypatch.setenv("PREFLIGHT_EXPECTATIONS", str(tmp_path / "no-suites"))


def test_workers_store_exactly_what_a_sequential_audit_stores(
    world: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sequential = _audit(world, tmp_path / "seq", monkeypatch, workers=1)
    seq = _stored(world, sequential)
    parallel_pids: set[int] = set()
    reported: list[str] = []

    def on_dataset(name: str, status: DatasetStatus) -> None:
        reported.append(name)
        assert status == DatasetStatus(seq["datasets"][name]["status"])
        parallel_pids.add(os.getpid())

    parallel = _audit(world, tmp_path / "par", monkeypatch, workers=3, on_dataset=on_dataset)
    par = _stored(world, parallel)

    # The world is what it claims: every status and verdict band occurs.
    statuses = {name: audit["status"] for name, audit in seq["datasets"].items()}
    assert statuses == {"items": "ok", "orders": "ok", "reviews": "ok", "accounts": "ok", "contacts": "ok",
                        "ghost": "unreachable", "remote": "unreachable"}
    assert any(c["id"].startswith("text") or c["id"].startswith("privacy") for c in seq["datasets"]["reviews"]["checks"])
    assert {v["verdict"] for v in seq["use_cases"].values()} >= {"blocked"}
    # Every dataset reported once, in this process, and the results are the same.
    assert sorted(reported) == sorted(seq["datasets"]) and parallel_pids == {os.getpid()}
    for name in seq["datasets"]:
        assert _diff(par["datasets"][name], seq["datasets"][name]) == [], name
    for name in seq["use_cases"]:
        assert par["use_cases"][name] == seq["use_cases"][name], name
    assert par == seq


def test_the_settings_default_is_used_and_workers_audit_elsewhere(
    world: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``settings.audit_workers`` (3 here) applies when ``workers`` is not given, and the
    audits then happen in other processes than the CLI's."""
    pids = tmp_path / "pids"
    pids.mkdir()
    real = pipeline.audit_dataset

    def audit_and_tell(config: Config, name: str, **kwargs: Any) -> DatasetAudit:
        (pids / f"{name}.{os.getpid()}").touch()
        return real(config, name, **kwargs)

    monkeypatch.setattr(pipeline, "audit_dataset", audit_and_tell)
    _audit(world, tmp_path / "home", monkeypatch)
    seen = {int(p.suffix[1:]) for p in pids.iterdir()}
    assert len(list(pids.iterdir())) == len(world.datasets)
    assert os.getpid() not in seen and 1 <= len(seen) <= 3


def test_a_crashed_or_failing_worker_costs_its_dataset_only(
    world: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = pipeline.audit_dataset

    def flaky(config: Config, name: str, **kwargs: Any) -> DatasetAudit:
        if name == "contacts":
            os._exit(3)  # the process dies, as with a segfault in a driver
        if name == "items":
            raise RuntimeError("a bug in a probe")
        return real(config, name, **kwargs)

    monkeypatch.setattr(pipeline, "audit_dataset", flaky)
    run = _audit(world, tmp_path / "home", monkeypatch, workers=2)
    audits = {a.name: a for a in run.datasets}
    assert len(audits) == len(world.datasets)
    assert audits["contacts"].status.value == "error"
    assert "worker process" in (audits["contacts"].reason or "") and "code 3" in (audits["contacts"].reason or "")
    assert audits["items"].status.value == "error" and "RuntimeError" in (audits["items"].reason or "")
    # What the workers logged is logged here, in the parent, traceback included.
    failed = [r for r in caplog.records if r.getMessage() == "auditing items failed"]
    assert len(failed) == 1 and failed[0].process != os.getpid() and "a bug in a probe" in (failed[0].exc_text or "")
    assert any("contacts" in r.getMessage() and "exited with code 3" in r.getMessage() for r in caplog.records)
    assert audits["accounts"].status.value == "ok" and audits["reviews"].status.value == "ok"
    # Fail closed: what read the broken datasets is blocked, never ready.
    verdicts = {v.use_case: v.verdict.value for v in run.use_cases}
    assert verdicts["crm"] == "blocked" and verdicts["shop"] == "blocked"
    # In the CLI's own process (one worker) a bug costs its dataset only, too.
    def buggy(config: Config, name: str, **kwargs: Any) -> DatasetAudit:
        if name == "items":
            raise RuntimeError("a bug in a probe")
        return real(config, name, **kwargs)

    monkeypatch.setattr(pipeline, "audit_dataset", buggy)
    sequential = _audit(world, tmp_path / "seq", monkeypatch, workers=1)
    in_process = {a.name: a for a in sequential.datasets}
    assert in_process["items"].reason == audits["items"].reason
    assert {n: a.status for n, a in in_process.items() if n != "contacts"} == {
        n: a.status for n, a in audits.items() if n != "contacts"
    }


def test_a_worker_that_dies_after_storing_leaves_the_error_audit(
    world: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers store their own audits: one that dies after storing (before it answers)
    must not leave its ``ok`` audit behind. The parent's ``error`` audit replaces it, and
    the dataset's checks are the error audit's alone."""
    real = pipeline.record_audit

    def store_then_die(config: Config, run_id: str, audit: DatasetAudit, **kwargs: Any) -> None:
        real(config, run_id, audit, **kwargs)
        if audit.name == "accounts" and audit.status.value == "ok":
            os._exit(4)

    monkeypatch.setattr(pipeline, "record_audit", store_then_die)
    run = _audit(world, tmp_path / "home", monkeypatch, workers=2)
    stored = _stored(world, run)
    accounts = stored["datasets"]["accounts"]
    assert accounts["status"] == "error" and "code 4" in accounts["reason"]
    rows = [r for r in stored["check_rows"] if r[0] == "dataset" and r[1] == "accounts"]
    assert sorted(r[2] for r in rows) == sorted(c["id"] for c in accounts["checks"])
    assert {v.use_case: v.verdict.value for v in run.use_cases}["crm"] == "blocked"


def test_sources_and_workers_bound_how_many_audits_run_at_once(
    world: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``crm`` allows one audit at a time; the run allows two: recorded by the audits themselves."""
    import time

    flight = tmp_path / "flight"
    log = tmp_path / "flight.log"
    flight.mkdir()
    real = pipeline.audit_dataset

    def observed(config: Config, name: str, **kwargs: Any) -> DatasetAudit:
        source = config.datasets[name].source
        mark = flight / f"{source}.{name}"
        mark.touch()
        at_once = [p.name for p in flight.iterdir()]
        with log.open("a") as out:
            out.write(" ".join(sorted(at_once)) + "\n")
        time.sleep(0.4)  # long enough for a broken bound to show as overlap
        try:
            return real(config, name, **kwargs)
        finally:
            mark.unlink()

    monkeypatch.setattr(pipeline, "audit_dataset", observed)
    _audit(world, tmp_path / "home", monkeypatch, workers=2)
    lines = [line.split() for line in log.read_text().splitlines()]
    assert len(lines) == len(world.datasets)
    assert max(len(names) for names in lines) == 2  # two workers were busy at once
    assert all(sum(n.startswith("crm.") for n in names) <= 1 for names in lines)


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ (paths), for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]

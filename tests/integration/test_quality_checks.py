"""The built-in DAMA checks, each with a passing and a failing case, on every engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.measure.audit import audit_dataset
from preflight.model.results import DatasetStatus

NOW = datetime.now(UTC).replace(microsecond=0)


def _tables(scratch, prefix: str):  # noqa: ANN001, ANN202
    meta = sa.MetaData()
    parent = sa.Table(
        scratch.name(f"{prefix}_parent"), meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)
    )
    child = sa.Table(
        scratch.name(f"{prefix}_child"),
        meta,
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer),
        sa.Column("status", sa.String(20)),
        sa.Column("amount", sa.Float),
        sa.Column("code", sa.String(20)),
        sa.Column("body", sa.Text),
        sa.Column("updated_at", sa.DateTime),
    )
    return parent, child


def _rows(good: bool) -> list[dict]:
    rows = [
        {"id": i, "parent_id": i % 3 + 1, "status": "open", "amount": 10.0 * i, "code": f"AB-{i:03d}",
         "body": f"text {i}", "updated_at": (NOW - timedelta(hours=1 + i)).replace(tzinfo=None)}
        for i in range(1, 11)
    ]
    if not good:
        rows[0]["id"] = rows[1]["id"]  # duplicate key
        rows[2]["body"] = None  # null in a required column
        rows[3]["status"] = "lost"  # not an accepted value
        rows[4]["amount"] = 5000.0  # out of range
        rows[5]["code"] = "bad code"  # breaks the pattern
        rows[6]["parent_id"] = 99  # orphan
        for row in rows:  # stale: newest row 10 days old
            row["updated_at"] = (NOW - timedelta(days=10)).replace(tzinfo=None)
    return rows


def _config(tmp_path: Path, scratch, names: dict[str, tuple[str, str]], min_rows: int):  # noqa: ANN001, ANN202
    datasets = {}
    for key, (parent, child) in names.items():
        datasets[f"{key}_parent"] = {"source": "db", "table": parent}
        datasets[key] = {
            "source": "db",
            "table": child,
            "primary_key": "id",
            "required_columns": ["body"],
            "accepted_values": {"status": ["open", "closed"]},
            "ranges": {"amount": {"min": 0, "max": 1000}},
            "patterns": {"code": "^[A-Z]{2}-[0-9]{3}$"},
            "freshness": {"column": "updated_at", "slo": "24h"},
            "min_rows": min_rows,
            "related_keys": [{"column": "parent_id", "references": f"{key}_parent.id"}],
            "columns": {"id": "integer", "amount": "float", "body": "text", "updated_at": "timestamp"},
        }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"sources": {"db": {"url": scratch.url}}, "datasets": datasets}))
    return load_config(tmp_path)


CHECKS = [
    "quality.uniqueness.primary_key",
    "quality.completeness.body",
    "quality.validity.accepted_values.status",
    "quality.validity.range.amount",
    "quality.validity.pattern.code",
    "quality.consistency.parent_id",
    "quality.timeliness",
]


@pytest.fixture
def audits(scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    names = {}
    for key in ("good", "bad"):
        parent, child = _tables(scratch, key)
        scratch.create(parent, [{"id": i} for i in (1, 2, 3)])
        scratch.create(child, _rows(good=key == "good"))
        names[key] = (str(parent.name), str(child.name))
    config = _config(tmp_path, scratch, names, min_rows=5)
    return {key: audit_dataset(config, key) for key in ("good", "bad")}


@pytest.mark.parametrize("check_id", CHECKS)
def test_dama_check_passes_and_fails(audits, check_id: str) -> None:  # noqa: ANN001
    good = {c.id: c for c in audits["good"].checks}
    bad = {c.id: c for c in audits["bad"].checks}
    assert audits["good"].status is DatasetStatus.OK
    assert good[check_id].passed, good[check_id].message
    assert not bad[check_id].passed, bad[check_id].message
    assert bad[check_id].observed is not None and bad[check_id].expected is not None


def test_failing_checks_carry_observed_counts(audits) -> None:  # noqa: ANN001
    bad = {c.id: c for c in audits["bad"].checks}
    assert bad["quality.uniqueness.primary_key"].observed == 1
    assert bad["quality.completeness.body"].observed == pytest.approx(0.1)
    assert bad["quality.validity.accepted_values.status"].observed == 1
    assert bad["quality.validity.range.amount"].observed == 1
    assert bad["quality.validity.pattern.code"].observed == 1
    assert bad["quality.consistency.parent_id"].observed == {"orphans": 1, "ratio": 0.1}
    assert bad["quality.timeliness"].observed["age_hours"] >= 239


def test_volume_and_schema_conformance(scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    parent, child = _tables(scratch, "vol")
    scratch.create(parent, [{"id": 1}])
    scratch.create(child, _rows(good=True))
    enough = audit_dataset(_config(tmp_path, scratch, {"t": (str(parent.name), str(child.name))}, min_rows=10), "t")
    assert {c.id: c for c in enough.checks}["quality.volume"].passed
    assert {c.id: c for c in enough.checks}["quality.schema"].passed
    too_few = audit_dataset(_config(tmp_path, scratch, {"t": (str(parent.name), str(child.name))}, min_rows=11), "t")
    volume = {c.id: c for c in too_few.checks}["quality.volume"]
    assert not volume.passed and volume.observed == 10

    (tmp_path / "c.yaml").write_text((tmp_path / "c.yaml").read_text().replace("amount: float", "amount: timestamp"))
    retyped = audit_dataset(load_config(tmp_path), "t")
    schema = {c.id: c for c in retyped.checks}["quality.schema"]
    assert not schema.passed and "amount: declared timestamp" in schema.message


def test_missing_table_and_unreachable_source_cost_one_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    db = tmp_path / "w.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE present (id INTEGER PRIMARY KEY)"))
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {
            "db": {"url": f"sqlite:///{db}"},
            "down": {"url": "postgresql+psycopg2://nobody:${PF_TEST_SECRET}@127.0.0.1:1/none"},
        },
        "datasets": {
            "present": {"source": "db", "table": "present"},
            "missing": {"source": "db", "table": "no_such_table"},
            "remote": {"source": "down", "table": "t"},
        },
        "use_cases": {
            "needs_missing": {"kind": "analytics", "datasets": ["present", "missing"]},
            "needs_present": {"kind": "analytics", "datasets": ["present"]},
        },
    }))
    monkeypatch.setenv("PF_TEST_SECRET", "s3cr3t-value")
    from preflight.run.pipeline import run_audit

    run = run_audit(load_config(tmp_path))
    by_name = {a.name: a for a in run.datasets}
    assert by_name["present"].status is DatasetStatus.OK
    assert by_name["missing"].status is DatasetStatus.UNREACHABLE
    assert "no_such_table" in by_name["missing"].reason
    assert by_name["remote"].status is DatasetStatus.UNREACHABLE
    assert "s3cr3t-value" not in (by_name["remote"].reason or "")
    verdicts = {v.use_case: v.verdict.value for v in run.use_cases}
    assert verdicts["needs_missing"] == "blocked"
    assert verdicts["needs_present"] != "blocked"
    report = (tmp_path / "home" / "reports" / "latest" / "report.json").read_text()
    assert "s3cr3t-value" not in report

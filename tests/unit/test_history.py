"""History checks on a constructed series in a real results store: quiet while stable,
firing on a 60% drop, a NULL-ratio jump and a schema change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from preflight.config import load_config
from preflight.measure.checks.history import history, row_count_band
from preflight.measure.registry import ProbeContext
from preflight.model.results import ColumnProfile, DatasetAudit, DatasetStatus, TableProfile
from preflight.run.store import open_store

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 1, tzinfo=UTC)
STABLE = [10_000, 10_040, 9_980, 10_010, 9_995, 10_025, 10_005]


def _profile(rows: int, body_nulls: int = 0, extra_column: bool = False) -> TableProfile:
    columns = [
        ColumnProfile(name="article_id", type="INTEGER", kind="numeric", null_count=0, distinct_count=rows),
        ColumnProfile(name="body", type="TEXT", kind="text", null_count=body_nulls, distinct_count=rows),
    ]
    if extra_column:
        columns.append(ColumnProfile(name="summary", type="TEXT", kind="text", null_count=0))
    return TableProfile(table="articles", row_count=rows, columns=tuple(columns), profiled_at=T0)


def _ctx(store, profile: TableProfile, run_id: str) -> ProbeContext:  # noqa: ANN001
    config = load_config(REPO / "include" / "config")
    return ProbeContext(
        name="articles", dataset=config.datasets["articles"], config=config, engine=None,  # type: ignore[arg-type]
        profile=profile, now=T0, store=store, run_id=run_id,
    )


def _save(store, day: int, profile: TableProfile) -> str:  # noqa: ANN001
    run_id = f"run-{day:02d}"
    moment = T0 + timedelta(days=day)
    store.start_run(run_id, started_at=moment, trigger="test", config_dir=None)
    store.save_audit(run_id, DatasetAudit(
        name="articles", source="warehouse", status=DatasetStatus.OK, profile=profile,
        started_at=moment, finished_at=moment,
    ))
    return run_id


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    return open_store(f"sqlite:///{tmp_path / 'results.db'}")


def test_quiet_until_enough_history_then_quiet_while_stable(store) -> None:  # noqa: ANN001
    for day, rows in enumerate(STABLE):
        ctx = _ctx(store, _profile(rows), f"current-{day}")
        checks = history(ctx)
        if day < 5:
            assert checks == [], f"spoke with only {day} earlier audits"
            assert ctx.facts["history"] == {"earlier_audits": day, "needed": 5}
        else:
            assert checks and all(c.passed for c in checks), [c.message for c in checks if not c.passed]
        _save(store, day, _profile(rows))


def test_sixty_percent_drop_fires_with_previous_and_current(store) -> None:  # noqa: ANN001
    for day, rows in enumerate(STABLE):
        _save(store, day, _profile(rows))
    checks = {c.id: c for c in history(_ctx(store, _profile(4_002), "today"))}
    drop = checks["history.row_count"]
    assert not drop.passed
    assert drop.observed["current"] == 4_002 and drop.observed["previous"] == STABLE[-1]
    assert drop.observed["change"] == pytest.approx(-0.6, abs=0.01)
    assert "outside its recent band" in drop.message


def test_null_jump_and_schema_change(store) -> None:  # noqa: ANN001
    for day, rows in enumerate(STABLE):
        _save(store, day, _profile(rows))
    checks = {c.id: c for c in history(_ctx(store, _profile(10_000, body_nulls=2_500, extra_column=True), "today"))}
    jump = checks["history.null_ratio.body"]
    assert not jump.passed and jump.observed == {"current": 0.25, "previous": 0.0}
    schema = checks["history.schema"]
    assert not schema.passed and schema.observed["added"] == ["summary"]
    assert checks["history.row_count"].passed


def test_retried_run_is_not_its_own_history(store) -> None:  # noqa: ANN001
    for day, rows in enumerate(STABLE[:5]):
        _save(store, day, _profile(rows))
    _save(store, 20, _profile(1))  # an earlier attempt of the same run, saved before a retry
    checks = {c.id: c for c in history(_ctx(store, _profile(10_000), "run-20"))}
    assert checks["history.row_count"].passed


def test_band_has_a_floor_for_perfectly_stable_series() -> None:
    low, high = row_count_band([1000] * 6)
    assert (low, high) == (900, 1100)

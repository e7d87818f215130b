"""The audit DAG's task bodies around the per-source task groups: the plan splits the
datasets by group, each group takes its share, and the evaluation refuses a run in
which a planned dataset was never audited. On the demo configuration, with the results
store in a temporary PREFLIGHT_HOME (SQLite); no Airflow needed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight.airflow.dag_settings import OTHER_SOURCES
from preflight.airflow.pools import pools_for, pools_import_json
from preflight.airflow.tasks import evaluate_task, lane_datasets, plan_task
from preflight.config import load_config
from preflight.errors import IncompleteRunError

DEMO = Path(__file__).resolve().parents[2] / "include" / "config"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PREFLIGHT_RESULTS_URL", raising=False)
    from preflight.run.store import close_stores

    close_stores()
    yield tmp_path / "home"
    close_stores()


def test_plan_splits_the_datasets_by_the_sources_task_groups() -> None:
    planned = plan_task("manual__split", str(DEMO), {"warehouse": "source_warehouse"})
    datasets = list(load_config(DEMO).datasets)
    assert sorted(planned["source_warehouse"]) == sorted(datasets)
    assert planned[OTHER_SOURCES] == []
    assert lane_datasets(planned, "source_warehouse") == planned["source_warehouse"]
    assert lane_datasets(planned, "source_gone") == []  # a group the plan does not know: nothing


def test_sources_the_dag_was_not_parsed_with_go_to_other_sources(caplog: pytest.LogCaptureFixture) -> None:
    planned = plan_task("manual__other", str(DEMO), {})
    assert sorted(planned[OTHER_SOURCES]) == sorted(load_config(DEMO).datasets)
    assert "sources warehouse are not in the DAG as it was parsed" in caplog.text


def test_evaluation_refuses_a_run_with_a_planned_dataset_never_audited() -> None:
    planned = plan_task("manual__incomplete", str(DEMO), {"warehouse": "source_warehouse"})
    with pytest.raises(IncompleteRunError, match="7 planned datasets have no audit in run manual__incomplete"):
        evaluate_task("manual__incomplete", str(DEMO), planned)


def test_preflight_pools_prints_what_airflow_pools_import_reads() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "pools", "--config", str(DEMO)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(pools_import_json(pools_for(load_config(DEMO))))

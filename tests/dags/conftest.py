"""One real Airflow run of the demo for the DAG tests: the warehouse DAG, then the audit
DAG, both through ``dag.test()`` on an embedded SQLite metadata DB in a temporary
PREFLIGHT_HOME."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from preflight.airflow.demo.runner import (
    DagOutcome,
    TaskEvent,
    migrate_airflow_db,
    run_dag,
    run_dag_outcome,
)
from preflight.airflow.env import airflow_env


@dataclass(frozen=True)
class DemoRun:
    home: Path
    env: dict[str, str]
    run_id: str
    state: str
    outcome: DagOutcome  # the audit DAG's run: every task's final state
    events: tuple[TaskEvent, ...]  # task starts and ends, as the progress display saw them

    @property
    def report(self) -> dict:
        return json.loads((self.home / "reports" / "latest" / "report.json").read_text())


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    home = tmp_path_factory.mktemp("demo-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("PREFLIGHT_HOME", str(home))
    try:
        env = airflow_env()
        migrate_airflow_db(env)
        _, state = run_dag("preflight_demo_warehouse", env)
        assert state == "success", (home / "logs" / "preflight_demo_warehouse.log").read_text()[-3000:]
        events: list[TaskEvent] = []
        outcome = run_dag_outcome("preflight_audit", env, on_task=events.append)
        yield DemoRun(
            home=home, env=env, run_id=outcome.run_id, state=outcome.state, outcome=outcome, events=tuple(events)
        )
    finally:
        mp.undo()

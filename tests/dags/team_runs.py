"""Run the team launch DAGs of ``team_dags/`` through ``dag.test()`` on an audited gate world.

Each batch runs in one child process with the embedded Airflow environment (SQLite
metadata DB under the world's ``PREFLIGHT_HOME``), one ``dag.test()`` after another, and
reports for each run: the DAG run's state, every task's state, tries and XComs, the HITL
requests the run made, and the output the run printed (the task logs, where a closed gate
writes its reasons).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gate_world import GateWorld, build_gate_world

from preflight.airflow.demo.runner import migrate_airflow_db
from preflight.airflow.env import airflow_env

TEAM_DAGS = Path(__file__).resolve().parent / "team_dags"
BATCH_TIMEOUT_S = 600

# Runs in the child: dag.test() each spec, then dump what the run left in the metadata DB.
RUNNER = r"""
import json, os, sys
from sqlalchemy import select
from airflow.dag_processing.dagbag import DagBag
from airflow.models.hitl import HITLDetail
from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
if bag.import_errors:
    print("=== IMPORT_ERRORS " + json.dumps({k: str(v) for k, v in bag.import_errors.items()}), flush=True)
    sys.exit(2)
for spec in json.loads(sys.argv[1]):
    print("=== BEGIN " + spec["label"], flush=True)
    run = bag.get_dag(spec["dag_id"]).test(run_conf=spec.get("conf"))
    with create_session() as session:
        tis = session.scalars(select(TaskInstance).where(
            TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)).all()
        xcoms = session.scalars(select(XComModel).where(
            XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id)).all()
        hitl = session.scalars(select(HITLDetail).where(HITLDetail.ti_id.in_([ti.id for ti in tis]))).all()
        result = {
            "label": spec["label"], "dag_id": run.dag_id, "run_id": run.run_id, "state": str(run.state),
            "tasks": {ti.task_id: {"state": str(ti.state), "try_number": ti.try_number, "max_tries": ti.max_tries}
                      for ti in tis},
            "xcom": {f"{x.task_id}:{x.key}": x.value for x in xcoms},
            "hitl": [{"subject": h.subject, "responded_by": h.responded_by_user, "chosen": h.chosen_options}
                     for h in hitl],
        }
    print("=== RESULT " + json.dumps(result, default=str), flush=True)
"""


@dataclass
class TeamRun:
    label: str
    dag_id: str
    run_id: str
    state: str
    tasks: dict[str, dict[str, Any]]
    xcom: dict[str, Any]
    hitl: list[dict[str, Any]]
    output: str = ""

    def task_state(self, task_id: str) -> str:
        return self.tasks[task_id]["state"]

    def returned(self, task_id: str, key: str = "return_value") -> Any:
        return self.xcom.get(f"{task_id}:{key}")


@dataclass
class TeamWorld:
    """An audited gate world with its own Airflow metadata DB and dags folder."""

    world: GateWorld
    env: dict[str, str]
    audit_run_id: str
    logs: Path
    batches: int = field(default=0)

    def start_batch(self, specs: list[dict[str, Any]]) -> tuple[subprocess.Popen[bytes], Path]:
        """Start ``dag.test()`` of ``specs`` (``{"label", "dag_id", "conf"?}``) in a child process."""
        self.batches += 1
        log = self.logs / f"team-batch-{self.batches}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "-c", RUNNER, json.dumps(specs)],
                env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            )
        return process, log

    def finish_batch(self, process: subprocess.Popen[bytes], log: Path, timeout: float = BATCH_TIMEOUT_S) -> dict[str, TeamRun]:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
            pytest.fail(f"dag.test() batch did not finish within {timeout:.0f}s\n{tail(log)}")
        text = log.read_text(errors="replace")
        assert process.returncode == 0, f"dag.test() batch exited {process.returncode}\n{tail(log)}"
        return parse_runs(text)

    def run(self, *specs: dict[str, Any] | str) -> dict[str, TeamRun]:
        """Run ``specs`` (a DAG id, or a spec mapping) to the end; results by label."""
        full = [{"label": s, "dag_id": s} if isinstance(s, str) else s for s in specs]
        return self.finish_batch(*self.start_batch(full))


def parse_runs(text: str) -> dict[str, TeamRun]:
    runs: dict[str, TeamRun] = {}
    for block in text.split("=== BEGIN ")[1:]:
        head, _, rest = block.partition("\n")
        output, marker, result = rest.partition("=== RESULT ")
        assert marker, f"the run {head} printed no result:\n{rest[-4000:]}"
        data = json.loads(result.partition("\n")[0])
        runs[data["label"]] = TeamRun(output=output, **data)
    return runs


def tail(path: Path, chars: int = 6000) -> str:
    return f"--- {path} (tail) ---\n" + (path.read_text(errors="replace")[-chars:] if path.exists() else "(missing)")


def prepare_team_world(root: Path, mp: pytest.MonkeyPatch, **airflow_overrides: str) -> TeamWorld:
    """Build and audit the gate world under ``root``, migrate its Airflow metadata DB and
    copy the team DAGs into its own dags folder; ``mp`` points this process at it."""
    world = build_gate_world(root)
    for key, value in world.env().items():
        mp.setenv(key, value)
    mp.delenv("PREFLIGHT_RESULTS_URL", raising=False)
    run = world.audit()
    verdicts = {v.use_case: v.verdict.value for v in run.use_cases}
    assert verdicts == {"ready_use_case": "ready", "risky_use_case": "at_risk", "blocked_use_case": "blocked",
                        "changed_use_case": "ready"}, verdicts
    world.change_use_case()  # edited after the audit
    dags = root / "dags"
    dags.mkdir()
    shutil.copy(TEAM_DAGS / "preflight_team_launches.py", dags)
    env = airflow_env(AIRFLOW__CORE__DAGS_FOLDER=str(dags), **airflow_overrides)
    env.update(world.env())
    env.pop("PREFLIGHT_RESULTS_URL", None)
    migrate_airflow_db(env)
    logs = Path(world.env()["PREFLIGHT_HOME"]) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    assert os.environ["PREFLIGHT_HOME"] == env["PREFLIGHT_HOME"]
    return TeamWorld(world=world, env=env, audit_run_id=run.run_id, logs=logs)

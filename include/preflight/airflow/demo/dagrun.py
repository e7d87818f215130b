"""Run one DAG of the dags folder through ``dag.test()``
(``python -m preflight.airflow.demo.dagrun DAG_ID [CONF_JSON]``, the run's params as JSON).

Runs in its own process so Airflow reads the environment :mod:`preflight.airflow.env`
prepared. Prints one ``preflight-task {json}`` line per task instance (task id, map index,
label, final state), then ``run_id=<id> state=<state>`` last; exit code 0 whatever the
DAG's state (a failed gate is an expected outcome), 2 when the DAG cannot be run at all.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def load_dag(dag_id: str):  # noqa: ANN201
    """The DAG from ``<dags folder>/<dag_id>.py``, parsed the way the DAG processor does."""
    from airflow.dag_processing.dagbag import DagBag

    path = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / f"{dag_id}.py"
    bag = DagBag(dag_folder=str(path))
    if bag.import_errors:
        raise SystemExit(f"cannot import {path}: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise SystemExit(f"no DAG {dag_id!r} in {path}")
    return dag


def flush_openlineage() -> None:
    """The DAG-level COMPLETE event is sent from a background pool; flush it before exit."""
    try:
        from airflow.providers.openlineage.plugins.listener import get_openlineage_listener

        get_openlineage_listener().before_stopping(component=None)
    except Exception:  # lineage is best-effort here
        pass


def print_task_states(dag_run) -> None:  # noqa: ANN001 - an Airflow DagRun
    """One line per task instance, so the caller can tell a closed gate from a crash."""
    from airflow.utils.session import create_session

    try:
        with create_session() as session:
            for ti in dag_run.get_task_instances(session=session):
                record = {
                    "task_id": ti.task_id,
                    "map_index": ti.map_index,
                    "label": ti.rendered_map_index or "",
                    "state": str(ti.state.value if hasattr(ti.state, "value") else ti.state),
                }
                print("preflight-task " + json.dumps(record), flush=True)
    except Exception as exc:  # the states are a courtesy; the run's own state still counts
        print(f"could not list task states: {type(exc).__name__}: {exc}", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m preflight.airflow.demo.dagrun DAG_ID [CONF_JSON]", file=sys.stderr)
        return 2
    dag = load_dag(argv[0])
    dag_run = dag.test(run_conf=json.loads(argv[1]) if len(argv) == 2 else None)
    flush_openlineage()
    print_task_states(dag_run)
    print(f"run_id={dag_run.run_id} state={dag_run.state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

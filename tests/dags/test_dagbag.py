"""Every DAG file imports cleanly, quickly, and follows the house rules."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((REPO / "dags").glob("*.py"))


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:  # noqa: ANN001
    assert dagbag.import_errors == {}
    assert {"preflight_audit", "preflight_demo_warehouse"} <= set(dagbag.dag_ids)


def test_every_dag_has_tags_retries_and_docs(dagbag) -> None:  # noqa: ANN001
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        assert dag.default_args.get("retries", 0) >= 1, f"{dag_id} has no retries"


def test_every_task_is_bounded_in_time(dagbag) -> None:  # noqa: ANN001
    """A database that never answers must not hold a worker slot forever."""
    for dag_id, dag in dagbag.dags.items():
        for task_id, task in dag.task_dict.items():
            timeout = task.partial_kwargs.get("execution_timeout") if task.is_mapped else task.execution_timeout
            assert timeout is not None, f"{dag_id}.{task_id} has no execution_timeout"
            assert timedelta(0) < timeout <= timedelta(hours=2), f"{dag_id}.{task_id}: {timeout}"
    audit = dagbag.dags["preflight_audit"].task_dict
    assert audit["audit_dataset"].partial_kwargs["execution_timeout"] == timedelta(hours=2)


def test_audit_dag_shape(dagbag) -> None:  # noqa: ANN001
    dag = dagbag.dags["preflight_audit"]
    assert set(dag.task_dict) == {"plan", "audit_dataset", "evaluate", "gate"}
    # One mapped task per dataset and per use case: the DAG does not grow with the catalog.
    assert dag.task_dict["audit_dataset"].is_mapped
    assert dag.task_dict["gate"].is_mapped
    assert dag.task_dict["gate"].partial_kwargs.get("retries") == 0


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_without_reading_config(path: Path, tmp_path: Path) -> None:
    """Parsing must not touch the configuration: point it at a directory that does not exist."""
    code = (
        "import runpy, time, sys; t = time.perf_counter(); runpy.run_path(sys.argv[1]); "
        "print(f'{time.perf_counter() - t:.3f}')"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW_HOME": str(tmp_path),
        "PREFLIGHT_CONFIG": str(tmp_path / "no-such-config"),
        "PREFLIGHT_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (tmp_path / "home").exists(), "parsing the DAG file wrote under PREFLIGHT_HOME"

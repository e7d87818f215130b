"""Every DAG file imports cleanly, quickly, and follows the house rules."""

from __future__ import annotations

import shutil
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
    for task_id in ("source_warehouse.audit_dataset", "other_sources.audit_dataset"):
        assert audit[task_id].partial_kwargs["execution_timeout"] == timedelta(hours=2)


def test_audit_dag_shape(dagbag) -> None:  # noqa: ANN001
    dag = dagbag.dags["preflight_audit"]
    # One task group per source of the configuration (the demo has one, `warehouse`), and
    # one for sources the DAG was not parsed with.
    assert set(dag.task_dict) == {
        "plan",
        "source_warehouse.datasets",
        "source_warehouse.audit_dataset",
        "other_sources.datasets",
        "other_sources.audit_dataset",
        "evaluate",
        "gate",
    }
    # One mapped task instance per dataset and per use case: the DAG does not grow with the catalog.
    audit, other = dag.task_dict["source_warehouse.audit_dataset"], dag.task_dict["other_sources.audit_dataset"]
    assert audit.is_mapped and other.is_mapped and dag.task_dict["gate"].is_mapped
    # The source's audits take slots of its own pool; unknown sources go one at a time.
    assert audit.pool == "preflight_source_warehouse"
    assert other.pool == "default_pool" and other.max_active_tis_per_dagrun == 1
    assert audit.max_active_tis_per_dagrun is None, "no constant caps the audits any more"
    assert dag.max_active_tasks == 16  # settings.max_parallel_audits, default
    assert dag.task_dict["evaluate"].trigger_rule == "none_failed"  # a source with no datasets is skipped
    assert dag.task_dict["gate"].partial_kwargs.get("retries") == 0


def test_default_config_schedules_a_daily_audit(dagbag) -> None:  # noqa: ANN001
    dag = dagbag.dags["preflight_audit"]
    assert dag.schedule == "@daily"
    assert dag.timetable.expression == "0 0 * * *"


def _config(tmp_path: Path, settings: str, *, sources: str = "", extra: dict[str, str] | None = None) -> Path:
    """A copy of the demo configuration with ``settings`` (YAML text) as its settings."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "include" / "config", config, dirs_exist_ok=True)
    (config / "preflight.yaml").write_text(
        f"settings:\n{settings}\nsources:\n  warehouse:\n    url: sqlite:///none.db\n{sources}", encoding="utf-8"
    )
    for name, text in (extra or {}).items():
        (config / name).write_text(text, encoding="utf-8")
    return config


def _parse(config: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202
    """Parse the audit DAG file again, as the DAG processor does, with PREFLIGHT_CONFIG=config."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("PREFLIGHT_CONFIG", str(config))
    bag = DagBag(dag_folder=str(REPO / "dags" / "preflight_audit.py"))
    assert bag.import_errors == {}
    return bag.dags["preflight_audit"]


def test_changing_the_schedule_setting_changes_the_dag_after_a_reparse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path, '  schedule: "0 3 * * *"')
    assert _parse(config, monkeypatch).timetable.expression == "0 3 * * *"
    _config(tmp_path, "  schedule: '@hourly'")
    assert _parse(config, monkeypatch).schedule == "@hourly"
    _config(tmp_path, "  schedule: null")  # only when triggered
    assert type(_parse(config, monkeypatch).timetable).__name__ == "NullTimetable"
    _config(tmp_path, "  sample_size: 100")  # no schedule given: the default, daily
    assert _parse(config, monkeypatch).schedule == "@daily"


def test_parallelism_and_sources_come_from_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(
        tmp_path,
        "  max_parallel_audits: 9",
        sources="    max_concurrent_audits: 2\n  crm replica:\n    conn_id: crm\n    max_concurrent_audits: 5\n",
    )
    dag = _parse(config, monkeypatch)
    assert dag.max_active_tasks == 9
    assert dag.task_dict["source_warehouse.audit_dataset"].pool == "preflight_source_warehouse"
    assert dag.task_dict["source_crm_replica.audit_dataset"].pool == "preflight_source_crm_replica"
    # The pools' slots are the sources' limits (`preflight pools` hands them to Airflow).
    from preflight.airflow.pools import pools_for
    from preflight.config import load_config

    slots = {p.name: p.slots for p in pools_for(load_config(config))}
    assert slots == {"preflight_source_warehouse": 2, "preflight_source_crm_replica": 5}


BROKEN = {
    "bad-schedule": ({}, '  schedule: "every day"', "preflight.yaml", "settings.schedule"),
    "bad-parallelism": ({}, "  max_parallel_audits: 0", "preflight.yaml", "settings.max_parallel_audits"),
    "unknown-setting": ({}, "  shedule: '@hourly'", "preflight.yaml", "settings.shedule"),
    "yaml-error": ({"zz.yaml": "settings: [unclosed\n"}, "  sample_size: 100", "zz.yaml", "line"),
    "settings-twice": ({"zz.yaml": "settings:\n  schedule: '@hourly'\n"}, "  sample_size: 100", "zz.yaml", "settings"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_configuration_parses_with_defaults_and_fails_the_run(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DAG still loads (schedule and scale at their defaults); the audit's first task
    fails with the configuration error, naming the file and the field."""
    from preflight.airflow.tasks import plan_task
    from preflight.errors import ConfigError

    extra, settings, file, field = BROKEN[name]
    config = _config(tmp_path, settings, extra=extra)
    dag = _parse(config, monkeypatch)
    assert dag.schedule == "@daily" and dag.max_active_tasks == 16
    assert "source_warehouse.audit_dataset" in dag.task_dict
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    with pytest.raises(ConfigError) as raised:
        plan_task("manual__broken", str(config), {"warehouse": "source_warehouse"})
    assert raised.value.file and raised.value.file.endswith(file)
    assert field in str(raised.value)


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_without_a_configuration(path: Path, tmp_path: Path) -> None:
    """Parsing never depends on the configuration being there: point it at a directory that
    does not exist; the file parses (with the defaults) and writes nothing."""
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

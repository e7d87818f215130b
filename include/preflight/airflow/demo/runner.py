"""``preflight demo``: build the demo warehouse and audit it, both through Airflow.

Each DAG runs via ``dag.test()`` in a child process with the embedded-default
environment (SQLite metadata DB under ``$PREFLIGHT_HOME/airflow``); Airflow's own
output goes to ``$PREFLIGHT_HOME/logs/<dag id>.log`` and only progress is printed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from preflight.airflow.env import airflow_env, lineage_events_file
from preflight.config import load_config
from preflight.errors import DemoError
from preflight.model.results import RunResult
from preflight.run.pipeline import store_for
from preflight.settings import preflight_home

__all__ = ["DemoError", "migrate_airflow_db", "run_dag", "run_demo"]




def _logs_dir() -> Path:
    path = Path(preflight_home()) / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def airflow_bin() -> str:
    beside = Path(sys.executable).with_name("airflow")
    return str(beside) if beside.exists() else (shutil.which("airflow") or "airflow")


def migrate_airflow_db(env: dict[str, str]) -> None:
    log = _logs_dir() / "airflow-db-migrate.log"
    with log.open("w") as handle:
        done = subprocess.run([airflow_bin(), "db", "migrate"], env=env, stdout=handle, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise DemoError(f"`airflow db migrate` failed; see {log}")


DAG_TIMEOUT_S = 1800


def run_dag(dag_id: str, env: dict[str, str], *, timeout: float = DAG_TIMEOUT_S) -> tuple[str, str]:
    """Run ``dag_id`` through ``dag.test()``; returns (run_id, state)."""
    log = _logs_dir() / f"{dag_id}.log"
    with log.open("w") as handle:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "preflight.airflow.demo.dagrun", dag_id],
                env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise DemoError(f"DAG {dag_id} did not finish within {timeout:.0f}s; see {log}") from None
    text = log.read_text(errors="replace")
    match = re.search(r"^run_id=(\S+) state=(\S+)$", text, re.MULTILINE)
    if done.returncode != 0 or not match:
        raise DemoError(f"running DAG {dag_id} failed (exit {done.returncode}); see {log}")
    return match.group(1), match.group(2)


def run_demo(*, rebuild: bool = True, console: Console | None = None) -> RunResult:
    console = console or Console()
    env = airflow_env()
    config = load_config()  # fail fast on a broken configuration, before Airflow starts
    started = time.monotonic()
    console.print(f"[bold]Preflight demo[/] · home {preflight_home()}")
    console.print("  migrating the Airflow metadata DB (SQLite) …")
    migrate_airflow_db(env)
    if rebuild:
        events = lineage_events_file()
        if events.exists():
            events.unlink()  # a fresh warehouse gets fresh lineage
        console.print("  building the demo warehouse through Airflow (preflight_demo_warehouse) …")
        _, state = run_dag("preflight_demo_warehouse", env)
        if state != "success":
            raise DemoError(f"preflight_demo_warehouse ended {state}; see {_logs_dir() / 'preflight_demo_warehouse.log'}")
    console.print("  auditing through Airflow (preflight_audit) …")
    run_id, state = run_dag("preflight_audit", env)
    console.print(
        f"  preflight_audit run {run_id} ended [bold]{state}[/]"
        + (" (blocked use cases fail their gates, as designed)" if state == "failed" else "")
        + f" · {time.monotonic() - started:.0f}s"
    )
    return store_for(config).load_run(run_id)

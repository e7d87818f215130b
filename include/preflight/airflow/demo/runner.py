"""``preflight demo``: build the demo warehouse and audit it, both through Airflow.

Each DAG runs via ``dag.test()`` in a child process with the embedded-default
environment (SQLite metadata DB under ``$PREFLIGHT_HOME/airflow``); Airflow's own
output goes to ``$PREFLIGHT_HOME/logs/<dag id>.log``, which is followed as it grows so
the terminal shows each step's progress (tasks done, the task running, time taken).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from preflight.airflow.env import airflow_env, lineage_events_file
from preflight.config import load_config
from preflight.errors import DemoError
from preflight.model.results import RunResult
from preflight.run.pipeline import audit_order, store_for
from preflight.settings import preflight_home

__all__ = [
    "DagOutcome",
    "DemoError",
    "DemoResult",
    "TaskEvent",
    "migrate_airflow_db",
    "run_dag",
    "run_dag_outcome",
    "run_demo",
]


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
_POLL_S = 0.25
# dag.test() logs these around every task it runs; they drive the progress display only
# (if a later Airflow words them differently, progress shows the step and its time alone).
_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
_TASK_STATE = re.compile(r"^preflight-task (\{.*\})$", re.MULTILINE)


@dataclass(frozen=True)
class TaskEvent:
    """A task of a running DAG started or ended (read from the run's log as it grows)."""

    task_id: str
    map_index: int
    ended: bool


@dataclass(frozen=True)
class TaskOutcome:
    task_id: str
    map_index: int
    label: str  # the mapped task's label (dataset or use case), else ""
    state: str  # success | failed | upstream_failed | skipped | ...

    @property
    def name(self) -> str:
        return f"{self.task_id}[{self.label or self.map_index}]" if self.map_index >= 0 else self.task_id


@dataclass(frozen=True)
class DagOutcome:
    dag_id: str
    run_id: str
    state: str
    tasks: tuple[TaskOutcome, ...]
    log: Path
    seconds: float

    def failed(self, task_id: str | None = None) -> list[TaskOutcome]:
        return [
            t for t in self.tasks
            if t.state in ("failed", "upstream_failed") and (task_id is None or t.task_id == task_id)
        ]


def _follow(log: Path, offset: int, on_task: Callable[[TaskEvent], None]) -> int:
    """Report the task starts and ends written to ``log`` since ``offset``; the new offset."""
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except OSError:
        return offset
    complete = chunk.rfind(b"\n") + 1  # only whole lines; the rest is read next time
    for line in chunk[:complete].decode("utf-8", "replace").splitlines():
        for pattern, ended in ((_TASK_START, False), (_TASK_END, True)):
            if match := pattern.search(line):
                on_task(TaskEvent(match.group(1), int(match.group(2)), ended))
    return offset + complete


def run_dag_outcome(
    dag_id: str,
    env: dict[str, str],
    *,
    timeout: float = DAG_TIMEOUT_S,
    on_task: Callable[[TaskEvent], None] | None = None,
    conf: dict[str, Any] | None = None,
) -> DagOutcome:
    """Run ``dag_id`` through ``dag.test()`` in a child process; its log goes to
    ``$PREFLIGHT_HOME/logs/<dag id>.log``, its task starts and ends to ``on_task``."""
    log = _logs_dir() / f"{dag_id}.log"
    started = time.monotonic()
    offset = 0
    with log.open("w") as handle:
        child = subprocess.Popen(
            [sys.executable, "-m", "preflight.airflow.demo.dagrun", dag_id, *([json.dumps(conf)] if conf else [])],
            # Unbuffered, so the log (and the progress drawn from it) keeps up with the run.
            env={**env, "PYTHONUNBUFFERED": "1"}, stdout=handle, stderr=subprocess.STDOUT,
        )
        try:
            while True:
                try:
                    child.wait(timeout=_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() - started > timeout:
                        child.kill()
                        child.wait()
                        raise DemoError(f"DAG {dag_id} did not finish within {timeout:.0f}s; see {log}") from None
                    if on_task:
                        offset = _follow(log, offset, on_task)
        except BaseException:
            if child.poll() is None:  # Ctrl-C or an error here: leave no Airflow behind
                child.kill()
                child.wait()
            raise
    if on_task:
        _follow(log, offset, on_task)
    text = log.read_text(errors="replace")
    match = re.search(r"^run_id=(\S+) state=(\S+)$", text, re.MULTILINE)
    if child.returncode != 0 or not match:
        raise DemoError(f"running DAG {dag_id} failed (exit {child.returncode}); see {log}")
    tasks = []
    for line in _TASK_STATE.findall(text):
        record = json.loads(line)
        tasks.append(TaskOutcome(record["task_id"], int(record["map_index"]), record["label"], record["state"]))
    return DagOutcome(dag_id, match.group(1), match.group(2), tuple(tasks), log, time.monotonic() - started)


def run_dag(
    dag_id: str, env: dict[str, str], *, timeout: float = DAG_TIMEOUT_S, conf: dict[str, Any] | None = None
) -> tuple[str, str]:
    """Run ``dag_id`` through ``dag.test()`` (with the run params ``conf``); returns (run_id, state)."""
    outcome = run_dag_outcome(dag_id, env, timeout=timeout, conf=conf)
    return outcome.run_id, outcome.state


@dataclass(frozen=True)
class DemoResult:
    run: RunResult
    audit: DagOutcome
    seconds: float

    @property
    def closed_gates(self) -> list[str]:
        """Use cases whose gate task failed (a blocked use case's gate fails by design)."""
        return sorted(t.label for t in self.audit.failed("gate") if t.label)

    @property
    def unexpected_failures(self) -> list[TaskOutcome]:
        """Failed tasks other than the gates of blocked use cases: real problems."""
        blocked = {v.use_case for v in self.run.use_cases if v.verdict.value == "blocked"}
        return [
            t for t in self.audit.failed()
            if not (t.task_id == "gate" and t.label in blocked)
        ]


def _step_progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("[dim]{task.fields[detail]}[/]"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _run_step(
    progress: Progress, description: str, dag_id: str, env: dict[str, str], *, total: int | None, labels: dict[int, str]
) -> DagOutcome:
    """One DAG with a progress line: tasks ended of ``total`` and the task running now."""
    step = progress.add_task(description, total=total, detail="starting Airflow")

    def on_task(event: TaskEvent) -> None:
        label = labels.get(event.map_index, str(event.map_index)) if event.map_index >= 0 else ""
        name = f"{event.task_id} {label}".strip()
        if event.ended:
            progress.advance(step)
        else:
            progress.update(step, detail=name)

    outcome = run_dag_outcome(dag_id, env, on_task=on_task)
    done = next(task.completed for task in progress.tasks if task.id == step)
    progress.update(step, total=done, completed=done, detail="done")
    return outcome


def run_demo(*, rebuild: bool = True, console: Console | None = None) -> DemoResult:
    """Build the demo warehouse and audit it, both through Airflow, with a progress display."""
    console = console or Console()
    env = airflow_env()
    config = load_config()  # fail fast on a broken configuration, before Airflow starts
    started = time.monotonic()
    datasets = audit_order(config)
    console.print(f"[bold]Preflight demo[/] · everything goes under {preflight_home()}")
    with _step_progress(console) as progress:
        step = progress.add_task("Airflow metadata DB (SQLite)", total=1, detail="airflow db migrate")
        migrate_airflow_db(env)
        progress.update(step, completed=1, detail="ready")
        if rebuild:
            events = lineage_events_file()
            if events.exists():
                events.unlink()  # a fresh warehouse gets fresh lineage
            outcome = _run_step(
                progress, "Demo warehouse (DAG preflight_demo_warehouse)", "preflight_demo_warehouse", env,
                total=None, labels={},
            )
            if outcome.state != "success":
                raise DemoError(f"preflight_demo_warehouse ended {outcome.state}; see {outcome.log}")
        # plan + one audit per dataset + evaluate + one gate per use case
        labels = dict(enumerate(datasets))
        audit = _run_step(
            progress, "Audit (DAG preflight_audit)", "preflight_audit", env,
            total=2 + len(datasets) + len(config.use_cases), labels=labels,
        )
    return DemoResult(store_for(config).load_run(audit.run_id), audit, time.monotonic() - started)

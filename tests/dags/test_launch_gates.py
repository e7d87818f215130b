"""Launch DAGs through real Airflow: the audit's gates decide which use cases launch.

After the demo's audit DAG ran through ``dag.test()`` (the ``demo_run`` fixture), the
readiness Asset events are in the metadata DB but no launch run exists yet: that takes
the scheduler, whose task workers talk to the execution API. So this starts
``airflow api-server --apps execution`` in the background, runs a bounded
``airflow scheduler -n 5 -i`` until both passing gates' launches finished (stopping it
then if its shutdown hangs), stops the api-server and reads the launch runs back.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight.airflow.demo.runner import airflow_bin

pytestmark = pytest.mark.integration

HEALTH_TIMEOUT_S = 120
SCHEDULER_TIMEOUT_S = 240

# Runs with the demo's Airflow environment: the launch DAGs' runs, the asset events each
# run consumed and the state of its `deploy` task, as JSON.
DUMP_LAUNCH_RUNS = """
import json
from sqlalchemy import select
from airflow.models.dagrun import DagRun
from airflow.utils.session import create_session

out = {}
with create_session() as session:
    runs = session.scalars(select(DagRun).where(DagRun.dag_id.like("launch_%"))).all()
    for run in runs:
        deploy = next((ti for ti in run.task_instances if ti.task_id == "deploy"), None)
        out.setdefault(run.dag_id, []).append({
            "run_id": run.run_id,
            "run_type": str(run.run_type),
            "state": str(run.state),
            "conf": run.conf or {},
            "events": [
                {"extra": e.extra, "source_dag_id": e.source_dag_id, "source_run_id": e.source_run_id}
                for e in run.consumed_asset_events
            ],
            "deploy_state": str(deploy.state) if deploy is not None else None,
        })
print("LAUNCH_RUNS=" + json.dumps(out))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 4000) -> str:
    return f"--- {path.name} (tail) ---\n" + (path.read_text(errors="replace")[-chars:] if path.exists() else "(missing)")


def _wait_for_health(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the api-server exited with {server.returncode} before it was healthy\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} not healthy after {HEALTH_TIMEOUT_S}s\n{_tail(log)}")


def _stop(server: subprocess.Popen) -> None:
    """Stop the api-server we started (its own process group: uvicorn workers included)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def launch_runs(demo_run) -> Iterator[dict[str, list[dict]]]:  # noqa: ANN001
    logs = demo_run.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    api_log, scheduler_log = logs / "launch-api-server.log", logs / "launch-scheduler.log"
    port = _free_port()
    env = {**demo_run.env, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"}

    started = time.monotonic()
    with api_log.open("w") as handle:
        server = subprocess.Popen(
            [airflow_bin(), "api-server", "--apps", "execution", "-H", "127.0.0.1", "-p", str(port)],
            env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        _wait_for_health(f"http://127.0.0.1:{port}/execution/health", server, api_log)
        healthy = time.monotonic()
        with scheduler_log.open("w") as handle:
            scheduler = subprocess.Popen(
                [airflow_bin(), "scheduler", "-n", "5", "-i", "-s"],
                env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            # Done when both passing gates' launches finished. The scheduler usually exits by
            # itself after -n 5 loops, but LocalExecutor's shutdown can hang on a loaded
            # machine (see the Airflow notes): the launches, not its exit, decide.
            deadline = time.monotonic() + SCHEDULER_TIMEOUT_S
            while time.monotonic() < deadline and scheduler.poll() is None:
                if _launches_finished(_dump_launch_runs(env)):
                    break
                time.sleep(3)
            else:
                if scheduler.poll() is None:
                    pytest.fail(f"no launch finished within {SCHEDULER_TIMEOUT_S}s\n{_tail(scheduler_log)}")
            assert scheduler.returncode in (None, 0), _tail(scheduler_log)
        finally:
            _stop(scheduler)
    finally:
        _stop(server)
    print(f"api-server healthy after {healthy - started:.1f}s; scheduler ran {time.monotonic() - healthy:.1f}s")
    yield _dump_launch_runs(env)


def _dump_launch_runs(env: dict[str, str]) -> dict[str, list[dict]]:
    dumped = subprocess.run([sys.executable, "-c", DUMP_LAUNCH_RUNS], env=env, capture_output=True, text=True)
    line = next((ln for ln in dumped.stdout.splitlines() if ln.startswith("LAUNCH_RUNS=")), None)
    assert dumped.returncode == 0 and line, dumped.stderr[-3000:]
    return json.loads(line.removeprefix("LAUNCH_RUNS="))


def _launches_finished(runs: dict[str, list[dict]]) -> bool:
    """Both passing gates' launch runs exist and their deploy task reached a final state."""
    final = ("success", "failed", "skipped", "upstream_failed")
    return all(
        runs.get(dag_id) and all((r["deploy_state"] or "").endswith(final) for r in runs[dag_id])
        for dag_id in ("launch_seat_suggestions", "launch_article_recommendations")
    )


@pytest.fixture
def logs_on_failure(demo_run, request) -> Iterator[None]:  # noqa: ANN001
    """Print the tails of the api-server and scheduler logs when a test here fails."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        for name in ("launch-api-server.log", "launch-scheduler.log"):
            print(_tail(demo_run.home / "logs" / name))


@pytest.mark.usefixtures("logs_on_failure")
@pytest.mark.parametrize(("use_case", "verdict"), [("seat_suggestions", "ready"), ("article_recommendations", "at_risk")])
def test_passing_gates_launch_with_the_readiness_event(launch_runs, demo_run, use_case: str, verdict: str) -> None:  # noqa: ANN001
    runs = launch_runs.get(f"launch_{use_case}", [])
    assert len(runs) == 1, f"expected one launch run of {use_case}, got {runs} (all: {sorted(launch_runs)})"
    run = runs[0]
    assert run["run_type"].endswith("asset_triggered"), run
    score = next(uc["score"] for uc in demo_run.report["use_cases"] if uc["name"] == use_case)
    assert run["events"], run
    extra = run["events"][-1]["extra"]
    assert extra == {"use_case": use_case, "verdict": verdict, "score": score, "run_id": demo_run.run_id}
    assert run["events"][-1]["source_dag_id"] == "preflight_audit"
    assert run["events"][-1]["source_run_id"] == demo_run.run_id
    # The run's own `deploy` task ran (it logs the event and stands in for the deployment).
    assert run["deploy_state"].endswith("success"), run


@pytest.mark.usefixtures("logs_on_failure")
@pytest.mark.parametrize("use_case", ["support_assistant", "article_localisation"])
def test_blocked_gates_launch_nothing(launch_runs, use_case: str) -> None:  # noqa: ANN001
    assert launch_runs.get(f"launch_{use_case}", []) == []


@pytest.mark.usefixtures("logs_on_failure")
def test_launch_task_log_states_the_stand_in(launch_runs, demo_run) -> None:  # noqa: ANN001
    task_logs = sorted((demo_run.home / "airflow" / "logs").glob("dag_id=launch_seat_suggestions/**/task_id=deploy/**/*.log"))
    assert task_logs, "no task log for launch_seat_suggestions.deploy"
    text = task_logs[-1].read_text(errors="replace")
    assert "DEMO STAND-IN" in text
    assert demo_run.run_id in text

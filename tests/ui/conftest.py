"""A real Airflow for the UI tests: audit DAG runs, then ``airflow api-server`` with the plugin.

Started once per test session (both UI test modules share it) on 127.0.0.1 and a free
port, with the embedded defaults of :func:`preflight.airflow.env.airflow_env` under a
temporary ``PREFLIGHT_HOME``: SQLite metadata DB, SimpleAuthManager with the user
``admin``/``admin``. The results store is seeded by running the demo DAGs through
``dag.test()`` (``preflight_demo_warehouse``, then ``preflight_audit``), so runs come
from Airflow and the datasets carry the lineage the warehouse DAG emitted.

Every log lands under that ``PREFLIGHT_HOME/logs``; a failing test prints their tails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from preflight.airflow.env import airflow_env, project_root

ADMIN = ("admin", "admin")
STARTUP_TIMEOUT = 120.0  # seconds for the api-server to answer /api/v2/monitor/health
LOG_TAIL_LINES = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not path.exists():
        return f"(no {path.name})"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


@dataclass
class AirflowStack:
    """The running api-server and what was seeded before it started."""

    home: Path
    env: dict[str, str]
    base_url: str
    server_log: Path
    process: subprocess.Popen[bytes] | None = None
    audit_run_id: str = ""
    audit_state: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def logs(self) -> list[Path]:
        return [self.server_log, *sorted((self.home / "logs").glob("*.log"))]

    def log_tails(self) -> str:
        return "\n\n".join(f"----- tail of {p} -----\n{_tail(p)}" for p in self.logs if p.exists())

    def token(self, username: str = ADMIN[0], password: str = ADMIN[1]) -> str:
        response = httpx.post(
            f"{self.base_url}/auth/token",
            json={"username": username, "password": password},
            timeout=30,
        )
        assert response.status_code == 201, (
            f"POST /auth/token: {response.status_code} {response.text}"
        )
        return str(response.json()["access_token"])


def _wait_healthy(stack: AirflowStack, timeout: float) -> None:
    assert stack.process is not None
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            pytest.fail(
                f"airflow api-server exited with {stack.process.returncode} before it was healthy\n"
                + stack.log_tails()
            )
        try:
            response = httpx.get(f"{stack.base_url}/api/v2/monitor/health", timeout=2)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}"
        time.sleep(0.5)
    pytest.fail(
        f"airflow api-server not healthy after {timeout:.0f}s ({last})\n" + stack.log_tails()
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the api-server's own process group (it forks uvicorn workers), then SIGKILL."""
    if process.poll() is not None:
        return
    pgid = os.getpgid(process.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def airflow_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowStack]:
    from preflight.airflow.demo.runner import DemoError, migrate_airflow_db, run_dag

    home = tmp_path_factory.mktemp("ui") / "preflight-home"
    home.mkdir()
    passwords = home / "simple-auth-passwords.json"
    passwords.write_text(json.dumps({ADMIN[0]: ADMIN[1]}))
    port = _free_port()
    root = project_root()

    with pytest.MonkeyPatch.context() as mp:
        # The test process reads the same store and logs as Airflow (preflight.engines.connect
        # and airflow_env() take PREFLIGHT_HOME from the environment).
        mp.setenv("PREFLIGHT_HOME", str(home))
        for leaked in ("PREFLIGHT_RESULTS_URL", "PREFLIGHT_CONFIG"):
            mp.delenv(leaked, raising=False)
        # Explicit overrides: `make` exports AIRFLOW_HOME, and a developer's shell may point
        # Airflow at another database or auth manager; none of that may leak in here.
        env = airflow_env(
            AIRFLOW_HOME=str(home / "airflow"),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow' / 'airflow.db'}",
            AIRFLOW__CORE__DAGS_FOLDER=str(root / "dags"),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(root / "plugins"),
            AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="False",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN[0]}:admin",  # username:role
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__WORKERS="1",
        )
        (home / "logs").mkdir(exist_ok=True)
        stack = AirflowStack(
            home=home,
            env=env,
            base_url=f"http://127.0.0.1:{port}",
            server_log=home / "logs" / "airflow-api-server.log",
        )
        try:
            started = time.monotonic()
            migrate_airflow_db(env)
            stack.timings["airflow db migrate"] = time.monotonic() - started

            # The api-server starts while the DAGs run: it only reads the store per request.
            with stack.server_log.open("wb") as log:
                stack.process = subprocess.Popen(
                    [airflow_bin(), "api-server", "-H", "127.0.0.1", "-p", str(port)],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, so teardown stops its workers too
                )
            started = time.monotonic()
            try:
                _, state = run_dag("preflight_demo_warehouse", env)
                assert state == "success", (
                    f"preflight_demo_warehouse ended {state}\n{stack.log_tails()}"
                )
                stack.timings["preflight_demo_warehouse (dag.test)"] = time.monotonic() - started
                started = time.monotonic()
                stack.audit_run_id, stack.audit_state = run_dag("preflight_audit", env)
                stack.timings["preflight_audit (dag.test)"] = time.monotonic() - started
            except DemoError as exc:
                pytest.fail(f"{exc}\n{stack.log_tails()}")

            started = time.monotonic()
            _wait_healthy(stack, STARTUP_TIMEOUT)
            stack.timings["api-server healthy (after the DAGs)"] = time.monotonic() - started
            yield stack
        finally:
            if stack.process is not None:
                _stop(stack.process)
            print(
                "\nUI test stack timings: "
                + ", ".join(f"{k} {v:.1f}s" for k, v in stack.timings.items())
            )


def airflow_bin() -> str:
    """The ``airflow`` beside this interpreter (the project's virtualenv), else on PATH."""
    beside = Path(sys.executable).with_name("airflow")
    return str(beside) if beside.exists() else (shutil.which("airflow") or "airflow")


@pytest.fixture(scope="session")
def admin_token(airflow_stack: AirflowStack) -> str:
    return airflow_stack.token()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _print_logs_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a failed UI test, show the ends of the api-server's and the DAG runs' logs."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "airflow_stack" in request.fixturenames:
        print(request.getfixturevalue("airflow_stack").log_tails())

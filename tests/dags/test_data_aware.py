"""Targeted and data-aware audits through real Airflow.

A small world of its own (a SQLite warehouse, a configuration whose `orders` dataset names
the Airflow Asset its producer updates, a dags folder with the project's audit DAGs and a
producer DAG): a targeted run of `preflight_audit` through `dag.test()` re-audits one
dataset and re-judges only its use case; an update of the Asset, written by the producer
DAG, makes the scheduler run `preflight_reaudit`, which re-audits `orders` alone.
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
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.airflow.demo.runner import airflow_bin, migrate_airflow_db, run_dag
from preflight.airflow.env import airflow_env

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ASSET = "file:///preflight-test/lake/orders"
SCHEDULER_TIMEOUT_S = 240

PRODUCER = f'''
"""Loads orders (a stand-in): updates the Asset the catalog names for them."""
from datetime import timedelta
from airflow.sdk import Asset, dag, task

@dag(dag_id="load_orders", schedule=None, catchup=False, tags=["test"],
     default_args={{"retries": 1, "retry_delay": timedelta(seconds=5), "execution_timeout": timedelta(minutes=5)}})
def load_orders():
    @task(outlets=[Asset("{ASSET}")])
    def load() -> None:
        pass
    load()

load_orders()
'''

STORE_DUMP = """
import json
from preflight.config import load_config
from preflight.run.pipeline import store_for
store = store_for(load_config())
out = []
for run_id in store.finished_run_ids():
    run = store.load_run(run_id)
    out.append({"run_id": run_id, "scope": run.scope.model_dump() if run.scope else None,
                "audited": sorted(a.name for a in run.datasets if a.carried_from is None),
                "carried": sorted(a.name for a in run.datasets if a.carried_from),
                "judged": sorted(v.use_case for v in run.use_cases)})
print("RUNS=" + json.dumps(out))
"""


@dataclass
class World:
    home: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("data-aware")
    home, config, dags = root / "home", root / "config", root / "dags"
    for folder in (home, config, dags):
        folder.mkdir()
    db = root / "warehouse.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    now = datetime.now(UTC).replace(tzinfo=None)
    meta = sa.MetaData()
    for name in ("orders", "items"):
        table = sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("code", sa.String(10)), sa.Column("created_at", sa.DateTime))
        table.create(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": i, "code": f"C{i}", "created_at": now} for i in range(1, 6)])
    engine.dispose()
    entry = {"source": "db", "primary_key": "id", "description": "d", "owner": "o@corp", "classification": "internal",
             "freshness": {"column": "created_at", "slo": "7d"}}
    (config / "c.yaml").write_text(yaml.safe_dump({
        "settings": {"schedule": None},
        "sources": {"db": {"url": f"sqlite:///{db}"}},
        "datasets": {"orders": {**entry, "table": "orders", "asset": ASSET}, "items": {**entry, "table": "items"}},
        "use_cases": {
            "billing": {"kind": "analytics", "business_sponsor": "VP", "owner": "o", "datasets": ["orders"]},
            "stock": {"kind": "analytics", "business_sponsor": "VP", "owner": "o", "datasets": ["items"]},
        },
    }))
    for name in ("preflight_audit.py", "preflight_reaudit.py"):
        shutil.copy(REPO / "dags" / name, dags / name)
    (dags / "load_orders.py").write_text(PRODUCER)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFLIGHT_HOME", str(home))
        mp.setenv("PREFLIGHT_CONFIG", str(config))
        mp.setenv("PREFLIGHT_EXPECTATIONS", str(root / "no-suites"))
        mp.delenv("PREFLIGHT_RESULTS_URL", raising=False)
        env = airflow_env(AIRFLOW__CORE__DAGS_FOLDER=str(dags))
        migrate_airflow_db(env)  # its log, like the DAG runs', goes under this world's home
        yield World(home, env)


def _runs(world: World) -> list[dict]:
    done = subprocess.run([sys.executable, "-c", STORE_DUMP], env=world.env, capture_output=True, text=True, timeout=120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RUNS=")), None)
    assert done.returncode == 0 and line, done.stderr[-3000:]
    return json.loads(line.removeprefix("RUNS="))


def test_a_full_then_a_targeted_run_through_dag_test(world: World) -> None:
    _, state = run_dag("preflight_audit", world.env)
    assert state == "success"
    _, state = run_dag("preflight_audit", world.env, conf={"datasets": ["items"]})
    assert state == "success"
    newest = _runs(world)[0]
    assert newest["scope"] == {"datasets": ["items"], "use_case": None}
    assert newest["audited"] == ["items"] and newest["judged"] == ["stock"]


def test_the_reaudit_dag_is_scheduled_on_the_declared_assets(world: World) -> None:
    code = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        "import os\n"
        "bag = DagBag(dag_folder=os.environ['AIRFLOW__CORE__DAGS_FOLDER'])\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "dag = bag.get_dag('preflight_reaudit')\n"
        "uris = sorted(asset.uri for asset in dag.timetable.asset_condition.objects)\n"
        "print('ASSETS=' + ','.join(uris))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=world.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"ASSETS={ASSET}" in done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_an_updated_asset_reaudits_its_dataset(world: World) -> None:
    before = {r["run_id"] for r in _runs(world)}
    # Under the scheduler an audit takes a slot of its source's pool: the pools must exist.
    pools = subprocess.run([sys.executable, "-m", "preflight.cli", "pools", "--apply"], env=world.env,
                           capture_output=True, text=True, timeout=300)
    assert pools.returncode == 0 and "preflight_source_db" in pools.stdout, pools.stdout + pools.stderr
    _, state = run_dag("load_orders", world.env)  # writes the Asset event
    assert state == "success"
    logs = world.home / "logs"
    port = _free_port()
    env = {**world.env, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"}
    with (logs / "reaudit-api-server.log").open("w") as handle:
        server = subprocess.Popen(
            [airflow_bin(), "api-server", "--apps", "execution", "-H", "127.0.0.1", "-p", str(port)],
            env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
    scheduler = None
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/execution/health", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                assert server.poll() is None and time.monotonic() < deadline, (logs / "reaudit-api-server.log").read_text()[-3000:]
                time.sleep(0.5)
        with (logs / "reaudit-scheduler.log").open("w") as handle:
            scheduler = subprocess.Popen(
                [airflow_bin(), "scheduler", "-n", "60", "-i", "-s"],
                env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + SCHEDULER_TIMEOUT_S
        new: list[dict] = []
        while time.monotonic() < deadline:
            new = [r for r in _runs(world) if r["run_id"] not in before]
            if new or scheduler.poll() is not None:
                break
            time.sleep(3)
    finally:
        if scheduler is not None:
            _stop(scheduler)
        _stop(server)
    assert new, "no re-audit run finished\n" + (logs / "reaudit-scheduler.log").read_text()[-4000:]
    (reaudit,) = new
    assert reaudit["run_id"].startswith("asset_triggered__"), reaudit
    assert reaudit["scope"] == {"datasets": ["orders"], "use_case": None}
    assert reaudit["audited"] == ["orders"] and reaudit["judged"] == ["billing"]

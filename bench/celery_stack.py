"""docker-compose.yaml's Airflow stack as native processes, for the Celery test and benchmark.

No containers: the machine's PostgreSQL and Redis stand in for the `postgres` and `redis`
services, and each Airflow component the compose file runs is started from `make
install`'s environment with the compose file's own settings (executor, the drivers of
the metadata-DB and Celery result-backend URLs) pointed at this machine:

    airflow db migrate → api-server (execution API) → scheduler, dag-processor,
    celery worker

Every run gets its own PostgreSQL databases (``preflight_celery_<id>_meta``,
``..._results``, ``..._source``), its own Redis database (emptied before and after), its
own ports and its own ``PREFLIGHT_HOME``; :meth:`CeleryStack.close` stops every process it
started (each in its own process group) and drops what it created.

:func:`write_catalog` writes the audited warehouse: ``n`` small tables spread over two
sources (one PostgreSQL, one SQLite), and a configuration naming them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from preflight.airflow.demo.runner import airflow_bin
from preflight.airflow.env import airflow_env

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yaml"

HEALTH_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30
# Compose settings that name the stack's services; rewritten to this machine.
METADATA_KEY = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
RESULT_BACKEND_KEY = "AIRFLOW__CELERY__RESULT_BACKEND"
CELERY_OPTIONS_KEY = "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"


class StackError(RuntimeError):
    """A component did not start, or a run did not finish, in time (the message holds log tails)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compose_common_env(path: Path = COMPOSE_FILE) -> dict[str, str]:
    """The ``x-airflow-common`` environment of docker-compose.yaml, as written."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {key: str(value) for key, value in doc["x-airflow-common"]["environment"].items()}


def _on_this_machine(compose_url: str, server: sa.URL, database: str) -> str:
    """The compose URL's scheme and driver, with this machine's server and ``database``."""
    prefix = "db+" if compose_url.startswith("db+") else ""
    # ${POSTGRES_PASSWORD:-airflow} is not a URL part SQLAlchemy can parse: drop it first.
    scheme = compose_url.removeprefix(prefix).split("://", 1)[0]
    url = server.set(drivername=scheme, database=database)
    return prefix + url.render_as_string(hide_password=False)


def tail(path: Path, chars: int = 4000) -> str:
    text = path.read_text(errors="replace")[-chars:] if path.exists() else "(missing)"
    return f"--- {path.name} (tail) ---\n{text}"


@dataclass
class CeleryStack:
    """One native Celery stack; use as a context manager (or call :meth:`close`)."""

    postgres_url: str  # a PostgreSQL server to create this stack's databases on
    redis_url: str  # a Redis database of this stack's own (it is emptied)
    home: Path  # PREFLIGHT_HOME of the run: Airflow home, logs, reports
    config_dir: Path
    worker_concurrency: int = 4
    preload: bool = True  # the compose file's celery_config_options (warm workers)
    stack_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    created_databases: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ set-up

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def database(self, role: str) -> str:
        return f"preflight_celery_{self.stack_id}_{role}"

    def server(self) -> sa.URL:
        return sa.make_url(self.postgres_url)

    def url_of(self, role: str, drivername: str | None = None) -> str:
        url = self.server().set(database=self.database(role))
        if drivername:
            url = url.set(drivername=drivername)
        return url.render_as_string(hide_password=False)

    def create_database(self, role: str) -> str:
        name = self.database(role)
        engine = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        self.created_databases.append(name)
        return self.url_of(role)

    def _flush_redis(self) -> None:
        if not self.redis_url:
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()

    def prepare(self) -> None:
        """Databases, Redis, the environment every component shares, `airflow db migrate`."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self._flush_redis()  # a message left by an aborted run must not reach this worker
        self.create_database("meta")
        self.create_database("results")
        compose = compose_common_env()
        port = free_port()
        server = self.server()
        overrides = {
            "PREFLIGHT_CONFIG": str(self.config_dir),
            "PREFLIGHT_RESULTS_URL": self.url_of("results"),
            "AIRFLOW__CORE__EXECUTOR": compose["AIRFLOW__CORE__EXECUTOR"],
            METADATA_KEY: _on_this_machine(compose[METADATA_KEY], server, self.database("meta")),
            RESULT_BACKEND_KEY: _on_this_machine(compose[RESULT_BACKEND_KEY], server, self.database("meta")),
            "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__PORT": str(port),
            # One secret for every component, as in the compose file (a fresh one per stack).
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            # Other stacks on this machine may hold the default log-server port.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
        if self.preload and CELERY_OPTIONS_KEY in compose:
            overrides[CELERY_OPTIONS_KEY] = compose[CELERY_OPTIONS_KEY]
        with _preflight_home(self.home):
            self.env = airflow_env(**overrides)
        self.run_airflow("db-migrate", "db", "migrate")
        self.set_pools()

    def set_pools(self) -> None:
        """One pool per source, as `airflow-init` does in the compose stack."""
        log = self.logs / "preflight-pools.log"
        with log.open("w") as handle:
            done = subprocess.run(
                [sys.executable, "-m", "preflight.cli", "pools", "--apply", "--config", str(self.config_dir)],
                env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            )
        if done.returncode != 0:
            raise StackError(f"preflight pools --apply exited {done.returncode}\n{tail(log)}")

    # -------------------------------------------------------------- processes

    def run_airflow(self, log_name: str, *args: str, timeout: float = 600) -> str:
        """Run one ``airflow`` command to its end; its output goes to a log, returned too."""
        log = self.logs / f"{log_name}.log"
        with log.open("w") as handle:
            try:
                done = subprocess.run(
                    [airflow_bin(), *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                raise StackError(f"`airflow {' '.join(args)}` did not end within {timeout:.0f}s\n{tail(log)}") from None
        if done.returncode != 0:
            raise StackError(f"`airflow {' '.join(args)}` exited {done.returncode}\n{tail(log)}")
        return log.read_text(errors="replace")

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start ``airflow <args>`` in the background, in its own process group."""
        log = self.logs / f"{name}.log"
        with log.open("w") as handle:
            process = subprocess.Popen(
                [airflow_bin(), *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def start_components(self) -> None:
        port = self.env["AIRFLOW__API__PORT"]
        self.start("api-server", "api-server", "--apps", "execution", "-H", "127.0.0.1", "-p", port)
        self.wait_until(lambda: _healthy(f"http://127.0.0.1:{port}/execution/health"), "the execution API is healthy")
        self.start("scheduler", "scheduler")
        self.start("dag-processor", "dag-processor")
        self.start(
            "celery-worker", "celery", "worker", "--concurrency", str(self.worker_concurrency),
            "--celery-hostname", f"preflight-{self.stack_id}@%h", "--skip-serve-logs",
            "--without-gossip", "--without-mingle",
        )

    def check_running(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise StackError(f"{name} exited with {process.returncode}\n{self.tails()}")

    def wait_until(self, done: Any, what: str, timeout: float = HEALTH_TIMEOUT_S, every: float = 1.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            if done():
                return
            time.sleep(every)
        raise StackError(f"timed out after {timeout:.0f}s waiting until {what}\n{self.tails()}")

    def stop(self) -> None:
        """Stop every component we started: SIGTERM to its group, SIGKILL if it lingers."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # The group may hold children (uvicorn, Celery's pool) even after its leader exits.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            with contextlib.suppress(Exception):
                self._flush_redis()
            self.drop_databases()

    def drop_databases(self) -> None:
        engine = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for name in self.created_databases:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()

    def __enter__(self) -> CeleryStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tails(self, chars: int = 3000) -> str:
        return "\n".join(tail(path, chars) for path in sorted(self.logs.glob("*.log")))

    # -------------------------------------------------------------- the DAG

    def metadata(self) -> sa.Engine:
        return sa.create_engine(self.url_of("meta", "postgresql+psycopg2"))

    def dag_is_loaded(self, dag_id: str) -> bool:
        engine = self.metadata()
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text("SELECT 1 FROM dag WHERE dag_id = :d"), {"d": dag_id}).first() is not None
        except sa.exc.ProgrammingError:
            return False
        finally:
            engine.dispose()

    def trigger(self, dag_id: str, run_id: str) -> None:
        self.run_airflow(f"trigger-{dag_id}", "dags", "trigger", dag_id, "--run-id", run_id)

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        engine = self.metadata()
        try:
            with engine.connect() as conn:
                return conn.execute(
                    sa.text("SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r"), {"d": dag_id, "r": run_id}
                ).scalar()
        finally:
            engine.dispose()

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        finished: list[str] = []

        def ended() -> bool:
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                finished.append(state)
            return bool(finished)

        self.wait_until(ended, f"{dag_id} run {run_id} ends", timeout=timeout, every=2.0)
        return finished[0]

    def task_instances(self, dag_id: str, run_id: str) -> list[TaskRun]:
        engine = self.metadata()
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT task_id, map_index, state, pool, start_date, end_date, try_number, rendered_map_index "
                        "FROM task_instance WHERE dag_id = :d AND run_id = :r"
                    ),
                    {"d": dag_id, "r": run_id},
                ).all()
        finally:
            engine.dispose()
        return [TaskRun(*row) for row in rows]

    def pools(self) -> dict[str, int]:
        engine = self.metadata()
        try:
            with engine.connect() as conn:
                return {name: slots for name, slots in conn.execute(sa.text("SELECT pool, slots FROM slot_pool"))}
        finally:
            engine.dispose()


@dataclass(frozen=True)
class TaskRun:
    task_id: str
    map_index: int
    state: str | None
    pool: str
    start_date: datetime | None
    end_date: datetime | None
    try_number: int
    label: str | None


def max_overlap(runs: list[TaskRun]) -> int:
    """The most task instances of ``runs`` that were running at the same moment."""
    edges = sorted(
        [(r.start_date, 1) for r in runs if r.start_date and r.end_date]
        + [(r.end_date, -1) for r in runs if r.start_date and r.end_date],
        key=lambda edge: (edge[0], edge[1]),  # an end before a start at the same instant
    )
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def _healthy(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def _preflight_home(home: Path) -> Iterator[None]:
    saved = os.environ.get("PREFLIGHT_HOME")
    os.environ["PREFLIGHT_HOME"] = str(home)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PREFLIGHT_HOME", None)
        else:
            os.environ["PREFLIGHT_HOME"] = saved


# ---------------------------------------------------------------- the audited warehouse

ROWS_PER_TABLE = 20


@dataclass(frozen=True)
class Catalog:
    directory: Path
    datasets: dict[str, str]  # dataset -> source
    limits: dict[str, int]  # source -> max_concurrent_audits


def _items(name: str, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("item_id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def _rows(seed: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        {
            "item_id": i,
            "name": f"item {seed}-{i}",
            "category": ("a", "b", "c")[i % 3],
            "updated_at": now - timedelta(hours=i),
        }
        for i in range(ROWS_PER_TABLE)
    ]


def write_catalog(
    directory: Path,
    *,
    n_datasets: int,
    postgres_url: str,
    sqlite_path: Path,
    limits: Mapping[str, int] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Catalog:
    """``n_datasets`` small tables, alternating between the sources ``pg`` (PostgreSQL at
    ``postgres_url``) and ``lite`` (SQLite at ``sqlite_path``), with their catalog, one
    use case over the first few, and ``settings``. ``limits`` sets each source's
    ``max_concurrent_audits`` (omitted when None)."""
    directory.mkdir(parents=True, exist_ok=True)
    sources_urls = {"pg": postgres_url, "lite": f"sqlite:///{sqlite_path}"}
    datasets: dict[str, str] = {}
    tables: dict[str, list[str]] = {"pg": [], "lite": []}
    for i in range(n_datasets):
        source = ("pg", "lite")[i % 2]
        name = f"items_{i:04d}"
        datasets[name] = source
        tables[source].append(name)
    for source, names in tables.items():
        engine = sa.create_engine(sources_urls[source])
        metadata = sa.MetaData()
        for name in names:
            _items(name, metadata)
        metadata.create_all(engine)
        with engine.begin() as conn:
            for seed, name in enumerate(names):
                conn.execute(metadata.tables[name].insert(), _rows(seed))
        engine.dispose()

    sources: dict[str, Any] = {}
    for source, url in sources_urls.items():
        entry: dict[str, Any] = {"url": url, "description": f"synthetic warehouse ({source})"}
        if limits and source in limits:
            entry["max_concurrent_audits"] = limits[source]
        sources[source] = entry
    catalog = {
        name: {
            "source": source,
            "table": name,
            "description": f"Synthetic items table {name}.",
            "owner": "data-platform@example.com",
            "classification": "internal",
            "primary_key": "item_id",
            "freshness": {"column": "updated_at", "slo": "7d"},
            "required_columns": ["item_id", "name"],
        }
        for name, source in datasets.items()
    }
    first = list(datasets)[:3]
    use_cases = {
        "item_suggestions": {
            "kind": "recommendation",
            "description": "Suggest similar items.",
            "owner": "ml@example.com",
            "business_sponsor": "Head of Product",
            "datasets": {first[0]: {"role": "items"}, **{name: {} for name in first[1:]}},
        }
    }
    files = {
        "preflight.yaml": {"settings": dict(settings or {}), "sources": sources},
        "catalog.yaml": {"datasets": catalog},
        "use_cases.yaml": {"use_cases": use_cases},
    }
    for file_name, content in files.items():
        (directory / file_name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return Catalog(directory=directory, datasets=datasets, limits=dict(limits or {}))


def cli_audit_seconds(config_dir: Path, env: Mapping[str, str], results_url: str) -> float:
    """Wall time of ``preflight audit`` over the same configuration, in a fresh process."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "audit", "--config", str(config_dir)],
        env={**env, "PREFLIGHT_RESULTS_URL": results_url}, capture_output=True, text=True,
    )
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):  # 1: a use case is blocked, still a complete audit
        raise StackError(f"preflight audit exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return seconds

"""The audit DAG on the CeleryExecutor: docker-compose.yaml's Airflow components run
natively from `make install`'s environment, with the machine's Redis and PostgreSQL.

One run of ``preflight_audit`` over 60 small datasets in two sources (PostgreSQL and
SQLite), each with its own pool (`max_concurrent_audits` 3 and 2), on one Celery worker
with 6 processes (:mod:`bench.celery_stack` starts and stops everything). The run must
succeed with every result stored exactly once, audits running concurrently, and no
source ever seeing more audits at once than its pool allows.

Needs ``PREFLIGHT_TEST_POSTGRES_URL`` (a server to create ``preflight_celery_*``
databases on) and ``PREFLIGHT_TEST_REDIS_URL`` (a Redis database of its own: it is
emptied); `.ci/run` sets both. The tails of every component's log are printed when it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.celery_stack import (
    CeleryStack,
    StackError,
    TaskRun,
    compose_common_env,
    max_overlap,
    write_catalog,
)

pytestmark = pytest.mark.integration

N_DATASETS = 60
LIMITS = {"pg": 3, "lite": 2}
MAX_PARALLEL = 6
RUN_TIMEOUT_S = 900
DAG_ID = "preflight_audit"
RUN_ID = "manual__celery_stack_test"


@dataclass(frozen=True)
class CeleryRun:
    state: str
    datasets: dict[str, str]  # dataset -> source
    task_runs: list[TaskRun]
    pools: dict[str, int]
    stored_audits: list[str]  # dataset of each audit row of the run
    duplicate_checks: list[tuple[str, str, int]]  # (subject, check id, rows) with rows > 1
    verdicts: list[str]
    env: dict[str, str]
    logs: Path

    def audit_task_logs(self) -> list[Path]:
        root = Path(self.env["AIRFLOW_HOME"]) / "logs" / f"dag_id={DAG_ID}" / f"run_id={RUN_ID}"
        return sorted(root.glob("task_id=source_*.audit_dataset/map_index=*/attempt=*.log"))

    def audits(self, source: str | None = None) -> list[TaskRun]:
        """The audit task instances of one source's task group, or of every source's."""
        wanted = {f"source_{s}.audit_dataset" for s in ([source] if source else LIMITS)}
        return [r for r in self.task_runs if r.task_id in wanted]


def _service_urls() -> tuple[str, str]:
    postgres = os.environ.get("PREFLIGHT_TEST_POSTGRES_URL", "")
    redis = os.environ.get("PREFLIGHT_TEST_REDIS_URL", "")
    if not (postgres and redis):
        missing = " and ".join(n for n, v in (("PREFLIGHT_TEST_POSTGRES_URL", postgres), ("PREFLIGHT_TEST_REDIS_URL", redis)) if not v)
        if os.environ.get("PREFLIGHT_REQUIRE_ENGINES"):
            pytest.fail(f"{missing} not set but PREFLIGHT_REQUIRE_ENGINES is (CI)")
        pytest.skip(f"{missing} not set: no PostgreSQL/Redis for the Celery stack")
    return postgres, redis


def _stored(results_url: str) -> tuple[list[str], list[tuple[str, str, int]], list[str]]:
    engine = sa.create_engine(results_url)
    try:
        with engine.connect() as conn:
            audits = list(conn.scalars(sa.text("SELECT dataset FROM preflight_dataset_audits WHERE run_id = :r"), {"r": RUN_ID}))
            duplicates = [
                (subject, check_id, rows)
                for subject, check_id, rows in conn.execute(
                    sa.text(
                        "SELECT subject, check_id, count(*) FROM preflight_checks WHERE run_id = :r "
                        "GROUP BY subject_type, subject, check_id HAVING count(*) > 1"
                    ),
                    {"r": RUN_ID},
                )
            ]
            verdicts = list(conn.scalars(sa.text("SELECT use_case FROM preflight_verdicts WHERE run_id = :r"), {"r": RUN_ID}))
    finally:
        engine.dispose()
    return audits, duplicates, verdicts


@pytest.fixture(scope="module")
def celery_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryRun]:
    postgres, redis = _service_urls()
    home = tmp_path_factory.mktemp("celery-home")
    stack = CeleryStack(
        postgres_url=postgres, redis_url=redis, home=home, config_dir=home / "config",
        worker_concurrency=MAX_PARALLEL,
    )
    try:
        catalog = write_catalog(
            stack.config_dir,
            n_datasets=N_DATASETS,
            postgres_url=stack.create_database("source"),
            sqlite_path=home / "lite.db",
            limits=LIMITS,
            settings={"schedule": None, "max_parallel_audits": MAX_PARALLEL},
        )
        stack.prepare()
        stack.start_components()
        stack.wait_until(lambda: stack.dag_is_loaded(DAG_ID), f"the DAG processor has loaded {DAG_ID}")
        stack.trigger(DAG_ID, RUN_ID)
        state = stack.wait_for_run(DAG_ID, RUN_ID, timeout=RUN_TIMEOUT_S)
        audits, duplicates, verdicts = _stored(stack.url_of("results"))
        yield CeleryRun(
            state=state,
            datasets=catalog.datasets,
            task_runs=stack.task_instances(DAG_ID, RUN_ID),
            pools=stack.pools(),
            stored_audits=audits,
            duplicate_checks=duplicates,
            verdicts=verdicts,
            env=dict(stack.env),
            logs=stack.logs,
        )
    except StackError as exc:
        pytest.fail(str(exc))  # the message carries the components' log tails
    finally:
        stack.close()


@pytest.fixture(autouse=True)
def _log_tails_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before and "celery_run" in request.fixturenames:
        try:
            logs: Path = request.getfixturevalue("celery_run").logs
        except BaseException:  # the stack never came up: its failure message holds the tails
            return
        for path in sorted(logs.glob("*.log")):
            print(f"--- {path.name} (tail) ---\n{path.read_text(errors='replace')[-3000:]}")


def test_the_compose_stack_settings_run_natively(celery_run: CeleryRun) -> None:
    """CeleryExecutor, the compose file's database drivers (psycopg 3 for the Celery result
    backend), Redis as the broker, warm workers: all from `make install`'s environment."""
    compose = compose_common_env()
    env = celery_run.env
    assert env["AIRFLOW__CORE__EXECUTOR"] == compose["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
        assert env[key].split("://")[0] == compose[key].split("://")[0]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")  # psycopg 3
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == compose["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"]
    worker_log = (celery_run.logs / "celery-worker.log").read_text(errors="replace")
    assert "audit modules preloaded" in worker_log


def test_audit_tasks_start_warm(celery_run: CeleryRun) -> None:
    """Tasks are forked from a worker that preloaded the audit modules: none of them builds
    Presidio's recognizers (which redacting the profiles' text values needs) again."""
    logs = celery_run.audit_task_logs()
    assert len(logs) >= N_DATASETS
    assert "items_0000: ok" in "".join(path.read_text(errors="replace") for path in logs[:N_DATASETS])
    cold = [path.parent.parent.name for path in logs if "Loaded recognizer" in path.read_text(errors="replace")]
    assert cold == [], f"these audit tasks built Presidio's recognizers themselves: {cold[:5]}"


def test_the_run_succeeds_with_one_audit_task_per_dataset(celery_run: CeleryRun) -> None:
    assert celery_run.state == "success"
    audits = celery_run.audits()
    assert sorted(r.label for r in audits) == sorted(celery_run.datasets)
    assert {r.state for r in audits} == {"success"}
    by_source = {source: sorted(r.label for r in celery_run.audits(source)) for source in LIMITS}
    assert by_source == {s: sorted(d for d, src in celery_run.datasets.items() if src == s) for s in LIMITS}
    other = [r for r in celery_run.task_runs if r.task_id == "other_sources.audit_dataset"]
    assert [r.state for r in other] == ["skipped"]  # every source was known when the DAG was parsed


def test_every_result_is_stored_exactly_once(celery_run: CeleryRun) -> None:
    assert sorted(celery_run.stored_audits) == sorted(celery_run.datasets)
    assert celery_run.duplicate_checks == []
    assert celery_run.verdicts == ["item_suggestions"]


def test_audits_ran_concurrently_within_each_sources_pool(celery_run: CeleryRun) -> None:
    for source, limit in LIMITS.items():
        assert celery_run.pools[f"preflight_source_{source}"] == limit
        assert {r.pool for r in celery_run.audits(source)} == {f"preflight_source_{source}"}
        assert max_overlap(celery_run.audits(source)) <= limit, f"source {source} saw more than {limit} audits at once"
    overlap = max_overlap(celery_run.audits())
    print(f"at most {overlap} audits ran at once (pools allow {sum(LIMITS.values())})")
    assert overlap >= 2, "the audits never overlapped"

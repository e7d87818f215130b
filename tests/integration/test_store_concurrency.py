"""Several first audits started at once against a fresh results store all succeed: the
migrations run once, under the engine's lock (a file lock beside a SQLite store, an
advisory lock on PostgreSQL), and the others find the schema in place."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PROCESSES = 4
# Each process waits for the same moment, then migrates: the first runs race for real.
_MIGRATE = """
import sys, time
from preflight.run.store import ResultsStore
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
store = ResultsStore(sys.argv[1]).migrate()
store.start_run(sys.argv[3], started_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
                trigger="test", config_dir=None)
print("migrated")
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'results.db'}"
        return
    base = os.environ.get("PREFLIGHT_TEST_POSTGRES_URL", "")
    if not base:
        if os.environ.get("PREFLIGHT_REQUIRE_ENGINES"):
            pytest.fail("PREFLIGHT_TEST_POSTGRES_URL is not set but PREFLIGHT_REQUIRE_ENGINES is (CI)")
        pytest.skip("PREFLIGHT_TEST_POSTGRES_URL is not set: no postgresql to test against")
    name = f"pf_store_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_concurrent_first_runs_against_a_fresh_store_all_succeed(fresh_store_url: str) -> None:
    start = time.time() + 6  # after every interpreter has imported Preflight
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE, fresh_store_url, str(start), f"run-{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    failures = [err[-1500:] for code, _, err in results if code != 0]
    assert failures == []
    engine = sa.create_engine(fresh_store_url)
    with engine.connect() as conn:
        runs = conn.exec_driver_sql("SELECT count(*) FROM preflight_runs").scalar()
        versions = conn.exec_driver_sql("SELECT count(*) FROM preflight_alembic_version").scalar()
    engine.dispose()
    assert (runs, versions) == (PROCESSES, 1)

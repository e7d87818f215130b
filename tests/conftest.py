"""Shared fixtures. Database-backed tests run against every engine whose URL is set:

    PREFLIGHT_TEST_POSTGRES_URL   e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/test
    PREFLIGHT_TEST_MARIADB_URL    e.g. mysql+pymysql://root@127.0.0.1:3306/test

SQLite and DuckDB (a database file, plus Parquet/CSV through ``path:`` datasets) always
run. When a variable is absent, a local server answering on its default port with those
default URLs (the development machines' setup) is found by itself, so a plain `make
test` runs the engine tests too; set the variable to an empty value to skip that engine
instead. An engine with no URL skips its variant with the reason; `.ci/run` sets both,
and PREFLIGHT_REQUIRE_ENGINES=1, so that in CI they must run.

``scratch`` runs a test on SQLite, PostgreSQL and MariaDB; ``any_scratch`` on DuckDB too,
for the cases that apply to it. A scratch engine is writable (it builds the fixtures);
the audit reads through its own guarded engine (``preflight.engines.engine_for``).
The Celery-stack test (tests/dags/test_celery_stack.py) also needs

    PREFLIGHT_TEST_REDIS_URL      e.g. redis://127.0.0.1:6379/7 (a database of its own: emptied)
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
# Airflow imported inside the test process must never read or create the developer's
# ~/airflow (or whatever AIRFLOW_HOME their shell points at): a throwaway home.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="preflight-tests-airflow-")
os.environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)

REPO = Path(__file__).resolve().parent.parent
ENGINE_ENV = {
    "postgresql": "PREFLIGHT_TEST_POSTGRES_URL",
    "mariadb": "PREFLIGHT_TEST_MARIADB_URL",
}
# What a developer machine runs (see the README): tried only when the variable is absent.
LOCAL_ENGINES = {
    "postgresql": ("127.0.0.1", 5432, "postgresql+psycopg2://postgres@127.0.0.1:5432/test"),
    "mariadb": ("127.0.0.1", 3306, "mysql+pymysql://root@127.0.0.1:3306/test"),
}
PROBE_TIMEOUT_S = 0.3
ENGINE_NOTES: list[str] = []  # what detection found, for the test session's header


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _detect_local_engines() -> None:
    """Point each absent engine variable at the local server when it answers and accepts
    the default URL; say what was found (or why not) in the session header."""
    for dialect, (host, port, url) in LOCAL_ENGINES.items():
        variable = ENGINE_ENV[dialect]
        if variable in os.environ:
            ENGINE_NOTES.append(f"{dialect}: {'from ' + variable if os.environ[variable] else variable + ' is empty: skipped'}")
            continue
        if not _answers(host, port):
            ENGINE_NOTES.append(f"{dialect}: nothing answers on {host}:{port}")
            continue
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                pass
        except sa.exc.SQLAlchemyError as exc:
            reason = type(getattr(exc, "orig", None) or exc).__name__
            ENGINE_NOTES.append(f"{dialect}: {host}:{port} answers but {url} does not connect ({reason}); set {variable}")
            continue
        finally:
            engine.dispose()
        os.environ[variable] = url
        ENGINE_NOTES.append(f"{dialect}: found at {host}:{port}")


_detect_local_engines()


def pytest_report_header() -> list[str]:
    return [f"database engines: {'; '.join(ENGINE_NOTES)}"]


@dataclass
class Scratch:
    """A real database for one test: unique table names, dropped afterwards."""

    dialect: str
    url: str
    engine: sa.Engine
    created: list[sa.Table] = field(default_factory=list)

    def name(self, prefix: str = "t") -> str:
        return f"{prefix}_{uuid.uuid4().hex[:8]}"

    def create(self, table: sa.Table, rows: list[dict] | None = None) -> sa.Table:
        table.create(self.engine)
        self.created.append(table)
        if rows:
            with self.engine.begin() as conn:
                conn.execute(table.insert(), rows)
        return table

    def drop_all(self) -> None:
        if self.dialect == "duckdb":
            # The file lives in tmp_path; DuckDB allows one writer, so just let go of it.
            self.engine.dispose()
            return
        for table in reversed(self.created):
            table.drop(self.engine, checkfirst=True)
        self.engine.dispose()

    def release(self) -> None:
        """Close the writable connections before a read-only engine opens the database
        (DuckDB refuses one process two configurations of the same file)."""
        self.engine.dispose()


def _scratch_for(dialect: str, tmp_path: Path) -> Scratch:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'scratch.db'}"
    elif dialect == "duckdb":
        url = f"duckdb:///{tmp_path / 'scratch.duckdb'}"
    else:
        url = os.environ.get(ENGINE_ENV[dialect], "")
        if not url:
            if os.environ.get("PREFLIGHT_REQUIRE_ENGINES"):
                pytest.fail(f"{ENGINE_ENV[dialect]} is not set but PREFLIGHT_REQUIRE_ENGINES is (CI)")
            pytest.skip(
                f"{ENGINE_ENV[dialect]} is empty or unset and no local {dialect} was found: "
                f"no {dialect} to test against"
            )
    return Scratch(dialect, url, sa.create_engine(url))


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scratch]:
    """The same test once per engine: SQLite, PostgreSQL, MariaDB."""
    db = _scratch_for(request.param, tmp_path)
    try:
        yield db
    finally:
        db.drop_all()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb", "duckdb"])
def any_scratch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scratch]:
    """The same test once per engine, DuckDB included."""
    db = _scratch_for(request.param, tmp_path)
    try:
        yield db
    finally:
        db.drop_all()


@pytest.fixture
def preflight_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated PREFLIGHT_HOME for one test."""
    home = tmp_path / "preflight-home"
    home.mkdir()
    monkeypatch.setenv("PREFLIGHT_HOME", str(home))
    return home

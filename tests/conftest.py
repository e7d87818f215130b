"""Shared fixtures. Database-backed tests run against every engine whose URL is set:

    PREFLIGHT_TEST_POSTGRES_URL   e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/test
    PREFLIGHT_TEST_MARIADB_URL    e.g. mysql+pymysql://root@127.0.0.1:3306/test

SQLite always runs. An unset URL skips that engine's variant with the reason; `.ci/run`
sets both, and PREFLIGHT_REQUIRE_ENGINES=1, so that in CI they must run. The Celery-stack
test (tests/dags/test_celery_stack.py) also needs

    PREFLIGHT_TEST_REDIS_URL      e.g. redis://127.0.0.1:6379/7 (a database of its own: emptied)
"""

from __future__ import annotations

import os
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
        for table in reversed(self.created):
            table.drop(self.engine, checkfirst=True)
        self.engine.dispose()


def _scratch_for(dialect: str, tmp_path: Path) -> Scratch:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'scratch.db'}"
    else:
        url = os.environ.get(ENGINE_ENV[dialect], "")
        if not url:
            if os.environ.get("PREFLIGHT_REQUIRE_ENGINES"):
                pytest.fail(f"{ENGINE_ENV[dialect]} is not set but PREFLIGHT_REQUIRE_ENGINES is (CI)")
            pytest.skip(f"{ENGINE_ENV[dialect]} is not set: no {dialect} to test against")
    return Scratch(dialect, url, sa.create_engine(url))


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scratch]:
    """The same test once per engine: SQLite, PostgreSQL, MariaDB."""
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

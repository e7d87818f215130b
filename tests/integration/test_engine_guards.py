"""The audit is a guest in the warehouse: read-only, bounded in time, on every engine.

Each test uses the engine Preflight audits through (``engine_for``), never the writable
scratch engine that built the fixtures. Timeouts are configured small, and every test
that waits on a lock or a silent server asserts how long it took.
"""

# ruff: noqa: S608 - these tests write fixtures and attempt writes on purpose, with quoted names

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.engines import db_reason, engine_for
from preflight.measure.audit import audit_dataset
from preflight.measure.checks.gx_suite import _batch_definition, _datasources, _gx_context
from preflight.model.config import SourceConfig
from preflight.model.results import DatasetStatus

FAST = {"connect": "2s", "statement": "1s", "lock": "1s"}


def _guarded(scratch, **timeouts: str) -> sa.Engine:  # noqa: ANN001
    scratch.release()
    return engine_for(SourceConfig(url=scratch.url, timeouts={**FAST, **timeouts}))


def _victim(scratch) -> sa.Table:  # noqa: ANN001
    table = sa.Table(
        scratch.name("victim"), sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("note", sa.String(20))
    )
    return scratch.create(table, [{"id": 1, "note": "keep me"}])


def _victim_rows(engine: sa.Engine, victim: sa.Table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(victim.c.id, victim.c.note))]


def _writes(victim: str, quote) -> list[str]:  # noqa: ANN001
    name = quote(victim)
    return [
        "CREATE TABLE preflight_intruder (x INTEGER)",
        f"DROP TABLE {name}",
        f"INSERT INTO {name} (id, note) VALUES (2, 'intruder')",
        f"UPDATE {name} SET note = 'changed'",
        f"DELETE FROM {name}",
        f"ALTER TABLE {name} ADD COLUMN extra INTEGER",
    ]


def _attempt(engine: sa.Engine, sql: str) -> str | None:
    """None when the engine refused ``sql``; the SQL itself when it was carried out."""
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    except sa.exc.DBAPIError:
        return None
    return sql


def test_writes_fail_on_the_audit_connection(any_scratch) -> None:  # noqa: ANN001
    victim = _victim(any_scratch)
    engine = _guarded(any_scratch)
    quote = engine.dialect.identifier_preparer.quote_identifier
    carried_out = [sql for sql in _writes(victim.name, quote) if _attempt(engine, sql)]
    assert carried_out == []
    assert _victim_rows(engine, victim) == [(1, "keep me")]
    assert "preflight_intruder" not in sa.inspect(engine).get_table_names()


def test_writes_fail_through_great_expectations(any_scratch) -> None:  # noqa: ANN001
    """GX builds its own engines from the URL: they are guarded the same way."""
    victim = _victim(any_scratch)
    engine = _guarded(any_scratch)
    _batch_definition(engine, victim.name, None)  # creates GX's data source for this engine
    datasource = _gx_context().data_sources.get(_datasources[engine])
    quote = engine.dialect.identifier_preparer.quote_identifier
    for gx_engine in (datasource.get_engine(), datasource.get_execution_engine().engine):
        assert gx_engine is not engine
        carried_out = [sql for sql in _writes(victim.name, quote) if _attempt(gx_engine, sql)]
        assert carried_out == []
    assert _victim_rows(engine, victim) == [(1, "keep me")]


_SLOW = {
    "sqlite": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r",
    "postgresql": "SELECT pg_sleep(30)",
    "mariadb": "SELECT SLEEP(30)",
    "duckdb": "SELECT count(*) FROM range(1000000000) a, range(1000000000) b",
}


def test_a_long_statement_is_stopped(any_scratch) -> None:  # noqa: ANN001
    _victim(any_scratch)  # the database (file) exists
    engine = _guarded(any_scratch, statement="1s")
    started = time.monotonic()
    with pytest.raises(sa.exc.DBAPIError) as raised:
        with engine.connect() as conn:
            conn.exec_driver_sql(_SLOW[any_scratch.dialect]).fetchall()
    assert time.monotonic() - started < 10
    assert db_reason(raised.value, engine).startswith("timed out (statement timeout 1s)")


# ---------------------------------------------------------------------- locks


def _audit_config(tmp_path: Path, url: str, tables: dict[str, str], **source: object):  # noqa: ANN202
    (tmp_path / "config").mkdir(exist_ok=True)
    body = {
        "sources": {"db": {"url": url, "timeouts": FAST, **source}},
        "datasets": {name: {"source": "db", "table": str(table)} for name, table in tables.items()},
    }
    (tmp_path / "config" / "catalog.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_config(tmp_path / "config")


@pytest.fixture
def two_tables(scratch):  # noqa: ANN001, ANN201
    meta = sa.MetaData()
    tables = []
    for prefix in ("locked", "free"):
        table = sa.Table(scratch.name(prefix), meta, sa.Column("id", sa.Integer), sa.Column("v", sa.String(10)))
        tables.append(scratch.create(table, [{"id": i, "v": f"v{i}"} for i in range(5)]))
    return tables


@pytest.fixture
def lock_holder(scratch, two_tables) -> Iterator[None]:  # noqa: ANN001
    """Another session holding a lock on the first table for the whole test."""
    locked = two_tables[0].name
    if scratch.dialect == "sqlite":
        raw = sqlite3.connect(scratch.url.removeprefix("sqlite:///"), isolation_level=None)
        raw.execute("BEGIN EXCLUSIVE")  # SQLite locks the whole file
        yield
        raw.execute("ROLLBACK")
        raw.close()
        return
    holder = sa.create_engine(scratch.url)
    conn = holder.connect()
    quoted = holder.dialect.identifier_preparer.quote_identifier(locked)
    if scratch.dialect == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")
    else:
        conn.exec_driver_sql(f"LOCK TABLES {quoted} WRITE")
    yield
    if scratch.dialect == "mariadb":
        conn.exec_driver_sql("UNLOCK TABLES")
    conn.rollback()
    conn.close()
    holder.dispose()


def test_a_held_lock_costs_one_dataset_and_says_so(scratch, two_tables, lock_holder, tmp_path) -> None:  # noqa: ANN001
    locked, free = two_tables
    # A statement timeout well above the lock timeout: the lock timeout must be what fires.
    timeouts = {**FAST, "statement": "20s"}
    config = _audit_config(tmp_path, scratch.url, {"locked": locked.name, "free": free.name}, timeouts=timeouts)
    started = time.monotonic()
    audit = audit_dataset(config, "locked")
    assert time.monotonic() - started < 20
    assert audit.status is not DatasetStatus.OK
    assert audit.reason.startswith("timed out (lock timeout 1s)"), audit.reason
    assert not any(c.passed for c in audit.checks if c.id == "access.reachable")
    if scratch.dialect != "sqlite":  # SQLite's lock is on the whole file
        assert audit_dataset(config, "free").status is DatasetStatus.OK  # the audit goes on


# ---------------------------------------------------------------------- silent servers


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never says a word."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                continue
            held.append(client)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for client in held:
            client.close()
        server.close()


@pytest.mark.parametrize(
    "scheme", ["postgresql+psycopg2", "postgresql", "mysql+pymysql", "mariadb+pymysql"]
)
def test_a_server_that_never_answers_costs_one_dataset(scheme: str, silent_server: int, tmp_path: Path) -> None:
    url = f"{scheme}://audit@127.0.0.1:{silent_server}/warehouse"
    config = _audit_config(tmp_path, url, {"orders": "orders"})
    started = time.monotonic()
    audit = audit_dataset(config, "orders")
    elapsed = time.monotonic() - started
    assert audit.status is DatasetStatus.UNREACHABLE
    assert "timed out (connect timeout 2s)" in audit.reason, audit.reason
    # libpq waits its connect timeout per address; pool_pre_ping may try twice.
    assert elapsed < 15, elapsed


def test_a_plain_postgresql_url_is_audited_through_psycopg3(scratch, tmp_path) -> None:  # noqa: ANN001
    """SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which Preflight installs."""
    if scratch.dialect != "postgresql":
        pytest.skip("a PostgreSQL URL")
    table = scratch.create(
        sa.Table(scratch.name("plain"), sa.MetaData(), sa.Column("id", sa.Integer)), [{"id": 1}, {"id": 2}]
    )
    plain = sa.make_url(scratch.url).set(drivername="postgresql").render_as_string(hide_password=False)
    config = _audit_config(tmp_path, plain, {"plain": table.name})
    audit = audit_dataset(config, "plain")
    assert audit.status is DatasetStatus.OK and audit.row_count == 2, audit.reason
    assert engine_for(config.sources["db"]).dialect.driver == "psycopg"


def test_a_postgresql_backend_ends_itself_when_its_client_is_gone(scratch) -> None:  # noqa: ANN001
    """Server-side limits, so a backend whose client died (a killed worker) stops holding
    locks: idle in a transaction, or idle on a dead TCP peer."""
    if scratch.dialect != "postgresql":
        pytest.skip("PostgreSQL session settings")
    engine = _guarded(scratch, statement="90s")
    with engine.connect() as conn:
        shown = {
            name: conn.exec_driver_sql(f"SHOW {name}").scalar()
            for name in (
                "default_transaction_read_only",
                "statement_timeout",
                "lock_timeout",
                "idle_in_transaction_session_timeout",
                "tcp_keepalives_idle",
            )
        }
    assert shown == {
        "default_transaction_read_only": "on",
        "statement_timeout": "90s",
        "lock_timeout": "1s",
        "idle_in_transaction_session_timeout": "90s",
        "tcp_keepalives_idle": "60",
    }

"""SQLite: the embedded default.

- Read-only: the file is opened as a ``mode=ro`` URI (no write, and no file created for
  a missing database), ``PRAGMA query_only`` is on, and ATTACH is disabled (its limit
  is 0), so no other file can be opened read-write either.
- Bounded: SQLite has no statement timeout. Each statement's start is noted by a trace
  callback, and a progress handler (every few thousand VM steps) interrupts the
  statement once it has run longer than the statement timeout. The lock timeout is
  SQLite's busy timeout. There is nothing to connect to, so no connect timeout.
- Text compares with ``COLLATE binary`` (code points); the variance comes from sums
  shifted by a pilot value (no ``stddev_samp``); samples probe random rowids.
- Results store: a file lock beside the database serialises first-run migrations.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from preflight.engines.base import (
    EngineSpec,
    LakeView,
    RawSample,
    order_by_random,
    register,
    seconds,
)

if TYPE_CHECKING:
    from preflight.model.config import Timeouts

__all__ = ["SQLiteSpec"]

# Bound parameters per `rowid IN (...)`: far below SQLite's variable limit (999 on old builds).
_IN_CHUNK = 500
# Rowid probes give up (and fall back to ORDER BY random()) after this many candidates
# per wanted row: a column that is 95% NULL, or a rowid space that is 95% gaps.
_PROBE_BUDGET = 20
# VM instructions between two looks at the clock: a few milliseconds at most, and cheap.
_PROGRESS_STEPS = 100_000


def _file_of(url: URL) -> str | None:
    """The database file a SQLite URL names (``file:`` URIs decoded), None for memory."""
    database = url.database or ""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    if database.startswith("file:"):
        return unquote(database.removeprefix("file:").split("?")[0]) or None
    return database


@register
class SQLiteSpec(EngineSpec):
    dialects = ("sqlite",)
    quote_all_identifiers = True
    max_result_columns = 2000
    gx_datasource = "sqlite"
    # SQLite cannot hash-join: an IN-subquery gets one automatic index over the parent's
    # keys, 1.3-1.7x faster than the LEFT JOIN; a correlated EXISTS is never decorrelated
    # (minutes). Measured in docs/decisions.md.
    join_coverage_shape = "in_subquery"

    def prepare_url(self, url: URL, views: Sequence[LakeView] = ()) -> URL:
        path = _file_of(url)
        if path is None or url.query.get("mode") == "ro":
            return url
        location = quote(os.path.abspath(path), safe="/")
        return url.set(database=f"file:{location}").update_query_dict({"mode": "ro", "uri": "true"})

    def missing_database(self, url: URL) -> str | None:
        path = _file_of(url)
        if path is not None and not os.path.exists(path):
            return f"SQLite database file does not exist: {os.path.basename(path)}"
        return None

    def connect_args(self, url: URL, timeouts: Timeouts) -> dict[str, Any]:
        # The busy timeout: how long to wait for a lock a writer holds.
        return {"timeout": seconds(timeouts.lock)}

    def setup_connection(
        self, dbapi_connection: Any, timeouts: Timeouts, views: Sequence[LakeView] = ()
    ) -> None:
        raw: sqlite3.Connection = dbapi_connection
        raw.execute("PRAGMA query_only = ON")
        raw.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        limit = seconds(timeouts.statement)
        started = [time.monotonic()]

        def statement_started(_sql: str) -> None:
            started[0] = time.monotonic()

        def overdue() -> int:
            return 1 if time.monotonic() - started[0] > limit else 0

        raw.set_trace_callback(statement_started)
        raw.set_progress_handler(overdue, _PROGRESS_STEPS)

    def timeout_kind(self, exc: BaseException) -> str | None:
        text = str(getattr(exc, "orig", None) or exc).lower()
        if "interrupted" in text:
            return "statement"
        if "database is locked" in text or "database table is locked" in text:
            return "lock"
        return None

    def codepoint_text(self, column: ColumnElement[Any], dialect: Dialect) -> ColumnElement[Any]:
        return sa.collate(column, "binary")

    def pilot_shift(self) -> bool:
        return True

    def result_column_limit(self, conn: Connection) -> int:
        raw = conn.connection.dbapi_connection
        if isinstance(raw, sqlite3.Connection):
            return raw.getlimit(sqlite3.SQLITE_LIMIT_COLUMN)
        return self.max_result_columns

    def draw_sample(
        self, conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
    ) -> RawSample:
        found = _rowid_sample(conn, target, col, n, seed)
        if found is not None:
            return found
        return order_by_random(conn, target, col, n, sa.func.random(), deterministic=False)

    def lineage_identity(self, url: URL, table: str, schema: str | None) -> tuple[str, str]:
        path = _file_of(url)
        location = ":memory:" if path is None else os.path.abspath(path)
        return f"sqlite://{location}", table if not schema or schema == "main" else f"{schema}.{table}"

    def odcs_server(self, url: URL, schema: str | None) -> dict[str, Any]:
        # ODCS has no SQLite server type: a custom one with the file's path.
        server: dict[str, Any] = {"type": "custom", "format": "sqlite"}
        if url.database:
            server["path"] = url.database
        if schema:
            server["schema"] = schema
        return server

    def table_comment_hint(self, table: str) -> str:
        return ""  # SQLite has no comments: the catalog is the only place

    def column_comment_hint(self, table: str, column: str) -> str:
        return ""

    def store_engine(self, url: URL) -> Engine:
        path = _file_of(url)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _store_pragmas)
        return engine

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        path = _file_of(conn.engine.url)
        if path is None:
            yield
            return
        from filelock import FileLock

        # SQLite's own locks do not cover "read the version, then create the tables":
        # a lock file beside the database makes concurrent first runs take turns.
        with FileLock(f"{path}.migrate.lock", timeout=120):
            yield


def _store_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    """Write-ahead log, synced at checkpoints: a commit no longer creates, syncs and
    deletes a rollback journal (1.4 ms of CPU each, a third of storing an audit), and
    readers (the UI, a gate) never wait for a writer. A power cut can lose the last
    commits, never the database's consistency; a lost audit is re-run. An in-memory
    store keeps its memory journal."""
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _rowid_sample(
    conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
) -> RawSample | None:
    """Probe random rowids; ``None`` when the table has no usable rowid or too few hit.

    Cost grows with ``n``, not with the table: rowid lookups are B-tree seeks.
    """
    rowid: sa.ColumnClause[int] = sa.literal_column("rowid")
    try:
        # Two statements: SQLite answers a lone min() or max() of the rowid from the
        # B-tree's edge, but both in one SELECT scan the whole table.
        low = conn.execute(sa.select(sa.func.min(rowid)).select_from(target)).scalar()
        high = conn.execute(sa.select(sa.func.max(rowid)).select_from(target)).scalar()
    except SQLAlchemyError:  # WITHOUT ROWID table, or a view
        return None
    if not isinstance(low, int) or not isinstance(high, int):
        return None
    span = range(low, high + 1)
    rng = random.Random(seed)
    candidates = rng.sample(span, min(len(span), _PROBE_BUDGET * n))
    chosen: list[int] = []
    for start in range(0, len(candidates), _IN_CHUNK):
        batch = candidates[start : start + _IN_CHUNK]
        # Integers only: which candidates exist and are non-null. Kept in draw order so
        # that the first n hits are a uniform sample of the non-null rows.
        query = sa.select(rowid).select_from(target).where(rowid.in_(batch), col.is_not(None))
        hits = set(conn.execute(query).scalars())
        chosen.extend(r for r in batch if r in hits)
        if len(chosen) >= n:
            break
    if len(chosen) < n:
        return None
    chosen = chosen[:n]
    values: list[Any] = []
    for start in range(0, n, _IN_CHUNK):
        batch = chosen[start : start + _IN_CHUNK]
        values.extend(conn.execute(sa.select(col).where(rowid.in_(batch))).scalars())
    return RawSample(values, "rowid", True)

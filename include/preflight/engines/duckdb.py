"""DuckDB: DuckDB database files, and Parquet/CSV files in a lake (``path:`` datasets).

- Read-only: a database file is opened ``read_only``. An in-memory source opens a
  private catalog file read-only instead (DuckDB cannot open memory read-only), so DDL
  and DML fail the same way. Each ``path:`` dataset is a view over the files its path
  matches (``read_parquet`` / ``read_csv``): stored in that catalog file, or a temporary
  view per session on a user's database file. Then external access is switched off except for exactly those files, and the
  configuration is locked: no other file, no ATTACH, no extension, no way back. DuckDB
  cannot make an allowed file read-only, so a ``COPY ... TO`` one of the audited files
  would still be allowed: Preflight issues no such statement (identifiers are quoted,
  no SQL is built from strings) — see docs/security.md.
- Bounded: a timer interrupts a statement that runs longer than the statement timeout.
  Nothing to connect to and no lock to wait on (read-only).
- DuckDB compares text by code point; ``stddev_samp`` and ``approx_count_distinct`` are
  native; samples are ``ORDER BY random()`` after ``setseed``.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Dialect, Engine

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

__all__ = ["DuckDBSpec", "lake_identity"]

_catalog_dir: str | None = None
_catalog_lock = threading.Lock()


def _is_memory(url: URL) -> bool:
    return (url.database or ":memory:") == ":memory:"


def _lake_catalog(views: Sequence[LakeView]) -> str:
    """A private DuckDB file holding the views, opened read-only in place of memory (so
    not even a view can be dropped).

    One file per set of views: DuckDB shares one instance (and its locked settings) among
    the connections to a file, and each set of views allows its own files.
    """
    from preflight.engines.connect import matched_files

    global _catalog_dir
    import duckdb

    with _catalog_lock:
        if _catalog_dir is None:
            _catalog_dir = tempfile.mkdtemp(prefix="preflight-duckdb-")
            atexit.register(shutil.rmtree, _catalog_dir, True)
        key = hashlib.sha256(repr(sorted((v.name, v.pattern) for v in views)).encode()).hexdigest()[:16]
        path = os.path.join(_catalog_dir, f"catalog-{key}.duckdb")
        if not os.path.exists(path):
            building = duckdb.connect(path)
            try:
                for view in views:
                    files = matched_files(view)
                    if files:  # else the dataset is reported unreachable: no file matches
                        building.execute(_view_sql(view, files, temporary=False))
            finally:
                building.close()
    return path


def _raw(dbapi_connection: Any) -> Any:
    # The DBAPI connection is duckdb-sqlalchemy's wrapper around the duckdb connection;
    # interrupt() and the settings below need the duckdb connection itself.
    return getattr(dbapi_connection, "_ConnectionWrapper__c", dbapi_connection)


def _literal(value: Any) -> str:
    """A SQL literal rendered by SQLAlchemy (quotes escaped by the dialect)."""
    from duckdb_sqlalchemy import Dialect as DuckDBDialect

    return str(sa.literal(value).compile(dialect=DuckDBDialect(), compile_kwargs={"literal_binds": True}))


def _view_sql(view: LakeView, files: list[str], *, temporary: bool) -> str:
    from duckdb_sqlalchemy import Dialect as DuckDBDialect

    name = DuckDBDialect().identifier_preparer.quote_identifier(view.name)
    listed = "[" + ", ".join(_literal(f) for f in files) + "]"
    kind = "TEMP VIEW" if temporary else "VIEW"
    return f"CREATE OR REPLACE {kind} {name} AS SELECT * FROM {view.reader}({listed})"  # noqa: S608 - quoted by the dialect


@register
class DuckDBSpec(EngineSpec):
    dialects = ("duckdb",)
    quote_all_identifiers = True
    native_stddev = True
    reads_files = True
    max_result_columns = 4096

    def prepare_url(self, url: URL, views: Sequence[LakeView] = ()) -> URL:
        # Memory cannot be opened read-only: a private empty catalog file stands in.
        return url.set(database=_lake_catalog(views)) if _is_memory(url) else url

    def missing_database(self, url: URL) -> str | None:
        if not _is_memory(url) and not os.path.exists(url.database or ""):
            return f"DuckDB database file does not exist: {os.path.basename(url.database or '')}"
        return None

    def connect_args(self, url: URL, timeouts: Timeouts) -> dict[str, Any]:
        return {"read_only": True}

    def setup_connection(
        self, dbapi_connection: Any, timeouts: Timeouts, views: Sequence[LakeView] = ()
    ) -> None:
        from preflight.engines.connect import matched_files

        raw = _raw(dbapi_connection)
        locked = raw.execute("SELECT current_setting('lock_configuration')").fetchone()[0]
        stored = {row[0] for row in raw.execute("SELECT view_name FROM duckdb_views() WHERE NOT temporary").fetchall()}
        allowed: list[str] = []
        for view in views:
            files = matched_files(view)
            if not files:
                continue  # the dataset will be reported unreachable: no file matches
            allowed.extend(files)
            if view.name not in stored:  # a user's database file: a view for this session
                raw.execute(_view_sql(view, files, temporary=True))
        if locked:
            return  # another connection to this instance already locked it down
        raw.execute("SET enable_progress_bar = false")  # no progress bars in logs
        if allowed:
            raw.execute(f"SET allowed_paths = [{', '.join(_literal(f) for f in allowed)}]")
        raw.execute("SET enable_external_access = false")
        raw.execute("SET autoinstall_known_extensions = false")
        raw.execute("SET autoload_known_extensions = false")
        raw.execute("SET lock_configuration = true")

    def instrument(self, engine: Engine, timeouts: Timeouts) -> None:
        super().instrument(engine, timeouts)
        limit = seconds(timeouts.statement)

        def started(conn: Connection, *_: Any) -> None:
            raw = _raw(conn.connection.dbapi_connection)
            timer = threading.Timer(limit, raw.interrupt)
            timer.daemon = True
            conn.info["preflight_timer"] = timer
            timer.start()

        def finished(conn: Connection, *_: Any) -> None:
            timer = conn.info.pop("preflight_timer", None)
            if timer is not None:
                timer.cancel()

        def failed(context: Any) -> None:
            if context.connection is not None:
                finished(context.connection)

        event.listen(engine, "before_cursor_execute", started)
        event.listen(engine, "after_cursor_execute", finished)
        event.listen(engine, "handle_error", failed)

        # GX reads a query's rows after handing its connection back, and the rollback on
        # check-in makes duckdb-sqlalchemy discard unread rows: buffer them first. Only
        # unread rows are kept, and a read-only session has nothing else to roll back.
        rollback = engine.dialect.do_rollback

        def keep_unread_rows(dbapi_connection: Any) -> None:
            keep = getattr(dbapi_connection, "_buffer_pending_result", None)
            if keep is not None:
                keep()
            rollback(dbapi_connection)

        engine.dialect.do_rollback = keep_unread_rows  # type: ignore[method-assign]

    def odcs_server(self, url: URL, schema: str | None) -> dict[str, Any]:
        if not url.database:
            return super().odcs_server(url, schema)
        return {"type": "duckdb", "database": url.database, **({"schema": schema} if schema else {})}

    def timeout_kind(self, exc: BaseException) -> str | None:
        orig = getattr(exc, "orig", None) or exc
        if "interrupt" in type(orig).__name__.lower() or "interrupted" in str(orig).lower():
            return "statement"
        return None

    def approx_distinct(self, dialect: Dialect) -> str | None:
        return "approx_count_distinct"

    def draw_sample(
        self, conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
    ) -> RawSample:
        conn.execute(sa.select(sa.func.setseed((seed % 2**31) / 2**31)))
        return order_by_random(conn, target, col, n, sa.func.random(), deterministic=False)

    def lineage_identity(self, url: URL, table: str, schema: str | None) -> tuple[str, str]:
        location = ":memory:" if _is_memory(url) else os.path.abspath(url.database or "")
        return f"duckdb://{location}", ".".join(p for p in (schema, table) if p)


def lake_identity(pattern: str) -> tuple[str, str]:
    """OpenLineage identity of files in a lake: namespace ``file``, name the absolute path."""
    return "file", pattern

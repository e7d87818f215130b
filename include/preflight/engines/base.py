"""The engine seam: everything that differs between SQL dialects, one class per dialect.

:class:`EngineSpec` holds the generic behaviour, right for any SQLAlchemy dialect; each
module beside this one (``sqlite``, ``postgresql``, ``mysql``, ``duckdb``, ``generic``)
subclasses it for its dialect and registers the subclass under SQLAlchemy's dialect
names. Nothing outside :mod:`preflight.engines` branches on a dialect's name: it asks
the dialect's spec (:func:`spec_for`).

A spec decides, for its dialect:

- how a connection is opened read-only and bounded in time (connect, statement and
  lock timeouts): :meth:`EngineSpec.connect_args` and :meth:`EngineSpec.setup_connection`
  run for every new DBAPI connection, :meth:`EngineSpec.instrument` once per engine
  (Preflight's own and the one Great Expectations builds);
- which errors are timeouts (:meth:`EngineSpec.timeout_kind`), and what to tell a user
  whose URL names a driver that is not installed;
- what the profile needs: text compared by code point, approximate distinct counts,
  a native sample standard deviation, the widest result row;
- which query shape measures join coverage fastest (:mod:`preflight.engines.coverage`);
- how a column is sampled, how a dataset is named in OpenLineage, how a comment is
  added, which Great Expectations data source fits;
- how the results store is created and its migrations serialised.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.sql.elements import ColumnElement

if TYPE_CHECKING:
    from preflight.model.config import Timeouts

__all__ = [
    "SPECS",
    "EngineSpec",
    "LakeView",
    "RawSample",
    "register",
    "spec_for",
]


@dataclass(frozen=True)
class LakeView:
    """A ``path:`` dataset as DuckDB sees it: a view over the files the path matches."""

    name: str  # the view's name: the path as configured
    pattern: str  # the absolute path or glob
    reader: str  # read_parquet | read_csv


@dataclass(frozen=True)
class RawSample:
    """Values drawn by a spec's sampler, before :mod:`preflight.measure.sample` orders them."""

    values: Sequence[Any]
    method: str  # rowid | tablesample | order_by_random
    deterministic: bool


class _EveryName(set[str]):
    """A reserved-word set containing every name: the dialect then quotes every identifier."""

    def __contains__(self, name: object) -> bool:
        return True


class EngineSpec:
    """Generic behaviour, right for any SQLAlchemy dialect; subclasses refine it."""

    #: SQLAlchemy dialect names (``engine.dialect.name``) this spec serves.
    dialects: ClassVar[tuple[str, ...]] = ()
    #: Quote every identifier. Safe where an unquoted name means the quoted lower-case
    #: one (or case does not matter); not on Oracle or Snowflake, which fold to upper case.
    quote_all_identifiers: ClassVar[bool] = False
    #: ``stddev_samp`` is built in and numerically stable.
    native_stddev: ClassVar[bool] = False
    #: The widest result row the engine returns.
    max_result_columns: ClassVar[int] = 1000
    #: Great Expectations data source kind: ``sql``, ``sqlite`` or ``postgres``.
    gx_datasource: ClassVar[str] = "sql"
    #: Can read files of a lake (``path:`` datasets) through views.
    reads_files: ClassVar[bool] = False
    #: How join coverage is queried: the fastest correct shape of
    #: :data:`preflight.engines.coverage.JOIN_COVERAGE_SHAPES` on this engine.
    join_coverage_shape: ClassVar[str] = "left_join"

    # ------------------------------------------------------------------ connecting

    def prepare_url(self, url: URL, views: Sequence[LakeView] = ()) -> URL:
        """The URL Preflight connects with (e.g. SQLite's read-only URI form)."""
        return url

    def connect_args(self, url: URL, timeouts: Timeouts) -> dict[str, Any]:
        """Keyword arguments for the DBAPI's ``connect()``: connect timeouts, session options."""
        return {}

    def engine_kwargs(self, url: URL) -> dict[str, Any]:
        return {"pool_pre_ping": True}

    def setup_connection(
        self, dbapi_connection: Any, timeouts: Timeouts, views: Sequence[LakeView] = ()
    ) -> None:
        """Make a new DBAPI connection read-only and bounded (runs once per connection)."""

    def instrument(self, engine: Engine, timeouts: Timeouts) -> None:
        """Engine-level guards, installed on Preflight's engine and on the one GX builds."""
        if self.quote_all_identifiers:
            # SQLAlchemy quotes only names it knows need it, and its reserved-word lists
            # lag the engines (SQLite's NOTHING): quote every identifier instead.
            engine.dialect.identifier_preparer.reserved_words = _EveryName()

    def missing_driver_fix(self, url: URL) -> str:
        """What to tell a user whose URL names a driver that is not installed."""
        return "install the Python driver the URL names, or name an installed one (dialect+driver://)"

    def check_driver(self, url: URL) -> str | None:
        """None when the URL's driver can be imported; else the problem and its fix."""
        try:
            dialect_cls = url.get_dialect()
        except Exception as exc:  # no such dialect at all
            return f"unknown SQLAlchemy dialect {url.drivername!r} ({type(exc).__name__})"
        try:
            dialect_cls.import_dbapi()
        except ImportError as exc:
            missing = getattr(exc, "name", None) or str(exc)
            return (
                f"the URL uses {url.drivername!r}, whose Python driver ({missing}) is not "
                f"installed: {self.missing_driver_fix(url)}"
            )
        return None

    def missing_database(self, url: URL) -> str | None:
        """Why the URL's database cannot exist (a missing file), checked before connecting."""
        return None

    def timeout_kind(self, exc: BaseException) -> str | None:
        """``statement``, ``lock`` or ``connect`` when ``exc`` is a timeout Preflight set."""
        return None

    # ------------------------------------------------------------------ profiling

    def codepoint_text(self, column: ColumnElement[Any], dialect: Dialect) -> ColumnElement[Any]:
        """The column as text that compares by code point (so distinct/min/max agree everywhere)."""
        return column

    def approx_distinct(self, dialect: Dialect) -> str | None:
        """The engine's approximate distinct-count function, if it has one."""
        return None

    def uses_native_stddev(self, dialect: Dialect) -> bool:
        return self.native_stddev

    def pilot_shift(self) -> bool:
        """Shift values by a pilot value before summing squares (variance from sums)."""
        return False

    def result_column_limit(self, conn: Connection) -> int:
        return self.max_result_columns

    def is_boolean_type(self, sa_type: Any) -> bool:
        """A reflected type that is really a boolean (beyond ``sa.Boolean``)."""
        return False

    def join_coverage(
        self, child: sa.FromClause, child_keys: Sequence[ColumnElement[Any]], parent_cols: Sequence[ColumnElement[Any]]
    ) -> sa.Select[Any, Any]:
        """``SELECT rows, matched``: the child's rows with a complete key, and how many of
        them find it among the parent's (``parent_cols`` of an alias of the parent)."""
        from preflight.engines.coverage import join_coverage_query

        return join_coverage_query(self.join_coverage_shape, child, child_keys, parent_cols)

    # ------------------------------------------------------------------ sampling

    def draw_sample(
        self, conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
    ) -> RawSample:
        """At most ``n`` non-null values of ``col``, drawn at random (the table has more)."""
        return order_by_random(conn, target, col, n, sa.func.random(), deterministic=False)

    # ------------------------------------------------------------------ naming

    def lineage_identity(self, url: URL, table: str, schema: str | None) -> tuple[str, str]:
        """``(namespace, name)`` of a table in OpenLineage's dataset naming."""
        host = url.host or "localhost"
        authority = f"{host}:{url.port}" if url.port else host
        return f"{url.get_backend_name()}://{authority}", ".".join(
            p for p in (url.database, schema, table) if p
        )

    def odcs_server(self, url: URL, schema: str | None) -> dict[str, Any]:
        """The database as an ODCS v3 server (no credentials): ``custom`` unless the
        engine has an ODCS server type."""
        server: dict[str, Any] = {"type": "custom", "format": url.get_backend_name()}
        if url.database:
            server["database"] = url.database
        if schema:
            server["schema"] = schema
        return server

    def table_comment_hint(self, table: str) -> str:
        """How to add a table comment in this engine's SQL (appended to a remediation)."""
        return f", or COMMENT ON TABLE {table} IS '…'"

    def column_comment_hint(self, table: str, column: str) -> str:
        return f", or COMMENT ON COLUMN {table}.{column} IS '…' for each"

    # ------------------------------------------------------------------ results store

    def store_engine(self, url: URL) -> Engine:
        """A writable engine for the results store (never read-only, never bounded)."""
        return sa.create_engine(url, pool_pre_ping=True)

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        """Held while the results store migrates, so concurrent first runs take turns."""
        yield


SPECS: dict[str, EngineSpec] = {}


def register(spec_cls: type[EngineSpec]) -> type[EngineSpec]:
    """Register a spec under each of its dialect names; a name registered twice is a bug."""
    spec = spec_cls()
    for name in spec_cls.dialects:
        if name in SPECS:
            raise RuntimeError(f"dialect {name!r} already has an engine spec")
        SPECS[name] = spec
    return spec_cls


_GENERIC: EngineSpec | None = None


def spec_for(dialect: str | Dialect | Engine | Connection | URL) -> EngineSpec:
    """The spec for a dialect name, a dialect, an engine, a connection or a URL."""
    _load_specs()
    if isinstance(dialect, URL):
        name = dialect.get_backend_name()
    elif isinstance(dialect, str):
        name = dialect
    elif isinstance(dialect, Engine | Connection):
        name = dialect.dialect.name
    else:
        name = dialect.name
    found = SPECS.get(name)
    if found is not None:
        return found
    global _GENERIC
    if _GENERIC is None:
        from preflight.engines.generic import GenericSpec

        _GENERIC = GenericSpec()
    return _GENERIC


_MODULES = ("sqlite", "postgresql", "mysql", "duckdb")
_loaded = False


def _load_specs() -> None:
    # One explicit list of engine modules: adding an engine is one module and one name here.
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"preflight.engines.{module}")
        _loaded = True


# ---------------------------------------------------------------------- shared helpers


def order_by_random(
    conn: Connection,
    target: sa.FromClause,
    col: sa.ColumnElement[Any],
    n: int,
    order: sa.ColumnElement[Any],
    *,
    deterministic: bool,
) -> RawSample:
    """``ORDER BY <order> LIMIT n`` over the non-null values (a full scan, top-n sort)."""
    rows = conn.execute(
        sa.select(col).select_from(target).where(col.is_not(None)).order_by(order).limit(n)
    )
    return RawSample(rows.scalars().all(), "order_by_random", deterministic)


def milliseconds(value: timedelta) -> int:
    return max(int(value.total_seconds() * 1000), 1)


def whole_seconds(value: timedelta) -> int:
    """Seconds, rounded up: a driver that takes whole seconds never waits less than asked."""
    return max(int(-(-value.total_seconds() // 1)), 1)


def seconds(value: timedelta) -> float:
    return max(value.total_seconds(), 0.001)

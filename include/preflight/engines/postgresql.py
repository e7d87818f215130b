"""PostgreSQL.

- Read-only and bounded from the first statement: the session's startup options (libpq
  ``options``, for psycopg 3 and psycopg2) set ``default_transaction_read_only``,
  ``statement_timeout``, ``lock_timeout`` and ``idle_in_transaction_session_timeout``,
  plus server-side TCP keepalives, so a backend whose client died is ended by the server
  instead of holding its locks; ``connect_timeout`` bounds the connection itself. Other
  drivers get the same settings as ``SET`` statements on connect.
- Text compares as ``TEXT COLLATE "C"`` (code points); ``stddev_samp`` is native.
- Samples use ``TABLESAMPLE BERNOULLI ... REPEATABLE(seed)`` sized from the planner's
  row estimate, then a seeded ``ORDER BY random()``.
- Results store: a transaction-scoped advisory lock serialises first-run migrations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.sql.elements import ColumnElement

from preflight.engines.base import (
    EngineSpec,
    LakeView,
    RawSample,
    milliseconds,
    order_by_random,
    register,
    whole_seconds,
)

if TYPE_CHECKING:
    from preflight.model.config import Timeouts

__all__ = ["PostgreSQLSpec"]

# TABLESAMPLE aims at this many times n rows, to absorb NULLs and a stale estimate.
_OVERSAMPLE = 3
# Above this share of the table a TABLESAMPLE saves nothing over a plain scan.
_MAX_TABLESAMPLE_PERCENT = 50.0
# Drivers that pass connect keywords to libpq (so `options` and `connect_timeout` apply).
_LIBPQ_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi")
# pg_advisory_xact_lock key for results-store migrations ("prefligh" in ASCII, as a bigint).
_MIGRATION_LOCK = 0x7072_6566_6C69_6768
# SQLSTATEs: query_canceled (statement_timeout), lock_not_available (lock_timeout).
_STATEMENT_TIMEOUT, _LOCK_TIMEOUT = "57014", "55P03"


def _session_settings(timeouts: Timeouts) -> dict[str, str]:
    return {
        "default_transaction_read_only": "on",
        "statement_timeout": str(milliseconds(timeouts.statement)),
        "lock_timeout": str(milliseconds(timeouts.lock)),
        # A client that died mid-transaction must not leave its backend holding locks.
        "idle_in_transaction_session_timeout": str(milliseconds(timeouts.statement)),
        # ... nor an idle backend waiting on a peer that is gone.
        "tcp_keepalives_idle": "60",
        "tcp_keepalives_interval": "10",
        "tcp_keepalives_count": "3",
    }


@register
class PostgreSQLSpec(EngineSpec):
    dialects = ("postgresql",)
    quote_all_identifiers = True
    native_stddev = True
    max_result_columns = 1664  # the target-list limit
    gx_datasource = "postgres"
    # A hash join over the distinct parent keys, which spills to disk when they outgrow
    # work_mem; an IN-subquery is hashed only while it fits, else rescanned per row.
    join_coverage_shape = "left_join"

    def connect_args(self, url: URL, timeouts: Timeouts) -> dict[str, Any]:
        if url.get_driver_name() not in _LIBPQ_DRIVERS:
            return {}
        options = " ".join(f"-c {k}={v}" for k, v in _session_settings(timeouts).items())
        given = url.query.get("options")
        if given:  # the URL's own options stay, ours follow (and so win)
            options = f"{given if isinstance(given, str) else ' '.join(given)} {options}"
        # libpq's smallest connect_timeout is 2 s; it counts whole seconds.
        return {
            "connect_timeout": max(whole_seconds(timeouts.connect), 2),
            "options": options,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }

    def setup_connection(
        self, dbapi_connection: Any, timeouts: Timeouts, views: Sequence[LakeView] = ()
    ) -> None:
        module = type(dbapi_connection).__module__.split(".")[0]
        if module in _LIBPQ_DRIVERS:
            return  # already set at startup through libpq's options
        cursor = dbapi_connection.cursor()
        try:
            for name, value in _session_settings(timeouts).items():
                cursor.execute(f"SET SESSION {name} = '{value}'")  # noqa: S608 - constants only
        finally:
            cursor.close()
        dbapi_connection.commit()

    def missing_driver_fix(self, url: URL) -> str:
        if url.get_driver_name() == "psycopg":
            return "install psycopg 3 (pip install 'psycopg[binary]'), or write postgresql+psycopg2:// to use psycopg2"
        return "install that driver, or write postgresql+psycopg:// (psycopg 3, installed with Preflight)"

    def timeout_kind(self, exc: BaseException) -> str | None:
        orig = getattr(exc, "orig", None) or exc
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if code == _STATEMENT_TIMEOUT:
            return "statement"
        if code == _LOCK_TIMEOUT:
            return "lock"
        text = str(orig).lower()
        if "timeout expired" in text or "connection timeout" in text:
            return "connect"
        return None

    def codepoint_text(self, column: ColumnElement[Any], dialect: Dialect) -> ColumnElement[Any]:
        # TEXT first: enums and citext have their own ordering and no char_length.
        return sa.collate(sa.cast(column, sa.Text), "C")

    def draw_sample(
        self, conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
    ) -> RawSample:
        # Seeded random() is only repeatable if every run sees the rows in the same order:
        # no parallel workers, no synchronised scans joining another scan half-way.
        conn.execute(sa.select(sa.func.set_config("max_parallel_workers_per_gather", "0", True)))
        conn.execute(sa.select(sa.func.set_config("synchronize_seqscans", "off", True)))
        conn.execute(sa.select(sa.func.setseed((seed % 2**31) / 2**31)))

        qualified = conn.dialect.identifier_preparer.format_table(target)
        estimate = conn.execute(
            sa.select(sa.column("reltuples"))
            .select_from(sa.table("pg_class"))
            .where(sa.column("oid") == sa.func.to_regclass(qualified))
        ).scalar()
        if estimate and estimate > 0:
            percent = 100.0 * _OVERSAMPLE * n / float(estimate)
            if percent < _MAX_TABLESAMPLE_PERCENT:
                sampled = sa.tablesample(target, sa.func.bernoulli(percent), seed=sa.literal(seed))
                sampled_col = sampled.c[col.name]
                rows = (
                    conn.execute(
                        sa.select(sampled_col)
                        .where(sampled_col.is_not(None))
                        .order_by(sa.func.random())
                        .limit(n)
                    )
                    .scalars()
                    .all()
                )
                if len(rows) >= n:  # short when the estimate was stale or NULLs were many
                    return RawSample(rows, "tablesample", True)
        return order_by_random(conn, target, col, n, sa.func.random(), deterministic=True)

    def lineage_identity(self, url: URL, table: str, schema: str | None) -> tuple[str, str]:
        database = url.database or url.username or "postgres"
        host = url.host or "localhost"
        return f"postgres://{host}:{url.port or 5432}", f"{database}.{schema or 'public'}.{table}"

    def odcs_server(self, url: URL, schema: str | None) -> dict[str, Any]:
        if not (url.host and url.database):
            return super().odcs_server(url, schema)
        return {
            "type": "postgres",
            "host": url.host,
            "port": url.port or 5432,
            "database": url.database,
            "schema": schema or "public",
        }

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        # Released with the transaction the migration runs in.
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        yield

"""MySQL and MariaDB (one spec: SQLAlchemy names them ``mysql`` and ``mariadb``).

- Read-only: ``SET SESSION TRANSACTION READ ONLY`` on every connection.
- Bounded: the driver's ``connect_timeout`` covers the TCP connect and the server's
  greeting (a server that accepts and never answers); after that the read timeout is the
  statement timeout plus a margin, so the client gives up even when the server does
  not. On the server: ``max_statement_time`` (MariaDB, seconds) or
  ``max_execution_time`` (MySQL, milliseconds, SELECT only), and ``lock_wait_timeout`` /
  ``innodb_lock_wait_timeout`` for locks.
- Text compares as ``utf8mb4`` with a binary no-pad collation (the default collations
  are case- and accent-insensitive and ignore trailing spaces).
- Booleans are ``TINYINT(1)``; samples are ``ORDER BY RAND(seed)``.
- A plain ``mysql://`` URL means mysqlclient to SQLAlchemy, which needs a C toolchain
  and client headers to install; Preflight ships PyMySQL, and ``validate`` says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.sql.elements import ColumnElement

from preflight.engines.base import (
    EngineSpec,
    LakeView,
    RawSample,
    order_by_random,
    register,
    seconds,
    whole_seconds,
)

if TYPE_CHECKING:
    from preflight.model.config import Timeouts

__all__ = ["MySQLSpec"]

# The client waits this much longer than the server-side statement limit before giving up.
_READ_MARGIN_SECONDS = 5
# Error codes: MariaDB max_statement_time (1969), MySQL max_execution_time (3024),
# lock wait (1205), metadata lock wait (lock_wait_timeout also raises 1205);
# client: lost connection during query (2013), cannot connect (2003), server gone (2006).
_STATEMENT_CODES = {1969, 3024}
_LOCK_CODES = {1205}
_CLIENT_TIMEOUT_CODES = {2013, 2003, 2006}
# GET_LOCK name serialising results-store migrations.
_MIGRATION_LOCK = "preflight.migrations"


@register
class MySQLSpec(EngineSpec):
    dialects = ("mysql", "mariadb")
    quote_all_identifiers = True
    native_stddev = True
    max_result_columns = 4096
    # The derived table of distinct parent keys gets an automatic key (derived_with_keys):
    # fastest of the shapes measured, the IN-subquery and EXISTS 1.1-1.4x slower.
    join_coverage_shape = "left_join"

    def connect_args(self, url: URL, timeouts: Timeouts) -> dict[str, Any]:
        # PyMySQL reads the server's greeting under the read timeout, so it starts at the
        # connect timeout; setup_connection widens it once the session is open.
        connect = whole_seconds(timeouts.connect)
        return {"connect_timeout": connect, "read_timeout": connect, "write_timeout": connect}

    def setup_connection(
        self, dbapi_connection: Any, timeouts: Timeouts, views: Sequence[LakeView] = ()
    ) -> None:
        statement = seconds(timeouts.statement)
        lock = whole_seconds(timeouts.lock)
        server = str(dbapi_connection.get_server_info())
        if "mariadb" in server.lower():
            limit = f"max_statement_time = {statement:.3f}"
        else:
            limit = f"max_execution_time = {int(statement * 1000)}"
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute(
                f"SET SESSION {limit}, lock_wait_timeout = {lock}, innodb_lock_wait_timeout = {lock}"  # noqa: S608 - numbers only
            )
        finally:
            cursor.close()
        # PyMySQL keeps its socket timeouts in these attributes; mysqlclient fixes them at connect.
        bounded = int(statement) + _READ_MARGIN_SECONDS
        for attribute in ("_read_timeout", "_write_timeout"):
            if hasattr(dbapi_connection, attribute):
                setattr(dbapi_connection, attribute, bounded)

    def instrument(self, engine: Engine, timeouts: Timeouts) -> None:
        super().instrument(engine, timeouts)
        # SQLAlchemy reads columns from SHOW CREATE TABLE and leaves a back-tick in a name
        # escaped (`a``b` reflects as "a``b"), so such a column, and with it the whole
        # table, could never be queried: unescape what the parser returns.
        dialect: Any = engine.dialect
        parse = dialect._setup_parser

        def parsed(connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> Any:
            state = parse(connection, table_name, schema, **kw)
            if not getattr(state, "_preflight_unescaped", False):  # parsed states are cached
                for column in state.columns:
                    column["name"] = column["name"].replace("``", "`")
                for key in state.keys:
                    key["columns"] = [(n.replace("``", "`"), *rest) for n, *rest in key["columns"]]
                state._preflight_unescaped = True
            return state

        dialect._setup_parser = parsed

    def missing_driver_fix(self, url: URL) -> str:
        scheme = url.get_backend_name()
        return (
            f"write {scheme}+pymysql://… (PyMySQL is installed with Preflight); mysqlclient, "
            f"which a plain {scheme}:// URL means, needs a C compiler and the MySQL client headers"
        )

    def timeout_kind(self, exc: BaseException) -> str | None:
        orig = getattr(exc, "orig", None) or exc
        args = getattr(orig, "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        if code in _STATEMENT_CODES:
            return "statement"
        if code in _LOCK_CODES:
            return "lock"
        text = str(orig).lower()
        if code in _CLIENT_TIMEOUT_CODES and "timed out" in text:
            # PyMySQL reports a greeting that never came as "lost connection during
            # query": SQLAlchemy's error carries no statement when connecting failed.
            connecting = code == 2003 or getattr(exc, "statement", "") is None
            return "connect" if connecting else "statement"
        return None

    def codepoint_text(self, column: ColumnElement[Any], dialect: Dialect) -> ColumnElement[Any]:
        as_utf8 = sa.cast(column, mysql.CHAR(charset="utf8mb4"))
        return sa.collate(as_utf8, _binary_collation(dialect))

    def is_boolean_type(self, sa_type: Any) -> bool:
        # MySQL/MariaDB keep BOOLEAN as TINYINT(1) and reflect it that way.
        return isinstance(sa_type, mysql.TINYINT) and getattr(sa_type, "display_width", None) == 1

    def draw_sample(
        self, conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
    ) -> RawSample:
        return order_by_random(conn, target, col, n, sa.func.rand(seed), deterministic=True)

    def lineage_identity(self, url: URL, table: str, schema: str | None) -> tuple[str, str]:
        host = url.host or "localhost"
        return f"mysql://{host}:{url.port or 3306}", ".".join(
            p for p in (schema or url.database, table) if p
        )

    def odcs_server(self, url: URL, schema: str | None) -> dict[str, Any]:
        if not (url.host and url.database):
            return super().odcs_server(url, schema)
        return {"type": "mysql", "host": url.host, "port": url.port or 3306, "database": url.database}

    def table_comment_hint(self, table: str) -> str:
        return f", or ALTER TABLE {table} COMMENT = '…'"

    def column_comment_hint(self, table: str, column: str) -> str:
        return f", or ALTER TABLE {table} MODIFY {column} <type> COMMENT '…' for each"

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        conn.execute(sa.select(sa.func.get_lock(_MIGRATION_LOCK, 120)))
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.release_lock(_MIGRATION_LOCK)))


def _binary_collation(dialect: Dialect) -> str:
    if getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"
    if (dialect.server_version_info or (0,)) >= (8,):
        return "utf8mb4_0900_bin"
    return "utf8mb4_bin"  # MySQL 5.7: pads trailing spaces, the closest it has

"""Any other SQLAlchemy dialect: what can be said without knowing the engine.

Identifiers are quoted only where SQLAlchemy knows they need it (engines such as Oracle
and Snowflake fold unquoted names to upper case, so quoting a lower-case name would
name another object). Known engines' built-in approximate distinct counts, native
standard deviations and OpenLineage namespaces are listed here; none of them is
exercised by the test suite. No read-only session or timeouts can be set generically:
give such a source read-only credentials and rely on the database's own limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL, Dialect

from preflight.engines.base import EngineSpec

__all__ = ["GenericSpec"]

# Built-in approximate distinct counts (HyperLogLog), by dialect name.
_APPROX_DISTINCT: dict[str, Callable[[Dialect], str | None]] = {
    "mssql": lambda d: "APPROX_COUNT_DISTINCT" if (d.server_version_info or (0,)) >= (15,) else None,
    "oracle": lambda d: "approx_count_distinct",
    "snowflake": lambda d: "approx_count_distinct",
    "bigquery": lambda d: "approx_count_distinct",
    "databricks": lambda d: "approx_count_distinct",
    "trino": lambda d: "approx_distinct",
    "clickhouse": lambda d: "uniq",
}
# Engines whose stddev_samp is built in; elsewhere the variance comes from sums.
_NATIVE_STDDEV = frozenset({"oracle", "snowflake", "bigquery", "trino", "databricks", "redshift"})
# OpenLineage namespace scheme (also ODCS's server type), default port and default schema.
_LINEAGE = {"mssql": ("sqlserver", 1433, "dbo")}


class GenericSpec(EngineSpec):
    dialects = ()

    def approx_distinct(self, dialect: Dialect) -> str | None:
        choose = _APPROX_DISTINCT.get(dialect.name)
        return choose(dialect) if choose else None

    def uses_native_stddev(self, dialect: Dialect) -> bool:
        return dialect.name in _NATIVE_STDDEV

    def odcs_server(self, url: URL, schema: str | None) -> dict[str, Any]:
        known = _LINEAGE.get(url.get_backend_name())
        if known is None or not (url.host and url.database):
            return super().odcs_server(url, schema)
        kind, port, default_schema = known
        return {
            "type": kind,
            "host": url.host,
            "port": url.port or port,
            "database": url.database,
            "schema": schema or default_schema,
        }

    def lineage_identity(self, url: URL, table: str, schema: str | None) -> tuple[str, str]:
        known = _LINEAGE.get(url.get_backend_name())
        if known is None:
            return super().lineage_identity(url, table, schema)
        scheme, port, default_schema = known
        host = url.host or "localhost"
        return f"{scheme}://{host}:{url.port or port}", ".".join(
            p for p in (url.database, schema or default_schema, table) if p
        )

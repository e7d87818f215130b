"""The aggregate query a person would write by hand for the profile's figures.

Row count, and per column: non-NULL count, distinct count, min, max; for numbers the
mean and what the spread needs (``stddev_samp`` where the engine has it, Σx² on SQLite);
for text the min/mean/max length and the empty count; booleans as 0/1. One statement,
plain column names, no codepoint collation: the floor the profiler is measured against.
"""

from __future__ import annotations

from collections.abc import Sequence

# The profile table: 20 mixed columns (5 integer, 4 float, 6 text, 3 temporal, 2 boolean).
# (name, kind, SQLite type, PostgreSQL type)
WIDE_COLUMNS: list[tuple[str, str, str, str]] = [
    ("id", "numeric", "INTEGER", "INTEGER"),
    ("customer_id", "numeric", "INTEGER", "INTEGER"),
    ("store_id", "numeric", "INTEGER", "INTEGER"),
    ("quantity", "numeric", "INTEGER", "INTEGER"),
    ("year", "numeric", "INTEGER", "INTEGER"),
    ("amount", "numeric", "FLOAT", "DOUBLE PRECISION"),
    ("discount", "numeric", "FLOAT", "DOUBLE PRECISION"),
    ("weight", "numeric", "FLOAT", "DOUBLE PRECISION"),
    ("latitude", "numeric", "FLOAT", "DOUBLE PRECISION"),
    ("category", "text", "VARCHAR(20)", "VARCHAR(20)"),
    ("country", "text", "VARCHAR(2)", "VARCHAR(2)"),
    ("status", "text", "VARCHAR(12)", "VARCHAR(12)"),
    ("sku", "text", "VARCHAR(16)", "VARCHAR(16)"),
    ("email_domain", "text", "VARCHAR(30)", "VARCHAR(30)"),
    ("comment", "text", "TEXT", "TEXT"),
    ("created_at", "temporal", "DATETIME", "TIMESTAMP"),
    ("updated_at", "temporal", "DATETIME", "TIMESTAMP"),
    ("shipped_on", "temporal", "DATE", "DATE"),
    ("is_active", "boolean", "BOOLEAN", "BOOLEAN"),
    ("is_gift", "boolean", "BOOLEAN", "BOOLEAN"),
]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def handwritten_sql(table: str, columns: Sequence[tuple[str, str]], dialect: str) -> str:
    """``columns``: (name, kind) with kind numeric | text | temporal | boolean."""
    parts = ["count(*)"]
    for name, kind in columns:
        c = _q(name)
        parts += [f"count({c})", f"count(DISTINCT {c})"]
        if kind == "boolean":
            parts += [f"min(CAST({c} AS INTEGER))", f"max(CAST({c} AS INTEGER))"]
            continue
        parts += [f"min({c})", f"max({c})"]
        if kind == "numeric":
            if dialect == "sqlite":
                parts += [f"avg({c})", f"sum(CAST({c} AS REAL) * {c})"]
            else:
                parts += [f"avg({c})", f"stddev_samp({c})"]
        elif kind == "text":
            length = "length" if dialect == "sqlite" else "char_length"
            parts += [f"min({length}({c}))", f"avg({length}({c}))", f"max({length}({c}))",
                      f"sum(CASE WHEN {length}({c}) = 0 THEN 1 ELSE 0 END)"]
    return "SELECT " + ",\n  ".join(parts) + f"\nFROM {_q(table)}"

"""Bounded random samples of one column, for the probes that read text.

The privacy and content probes look at the *values* of free-text columns, which is
too expensive to do for every row of a large table. They read a uniform random sample
of at most ``n`` non-null values instead, through SQLAlchemy Core only (the table is
reflected, so every identifier is quoted by the dialect). Python never holds more than
``n`` values of the column, whatever the size of the table.

How each engine draws the sample (its spec's ``draw_sample`` in :mod:`preflight.engines`; first, a bounded count that reads at most ``n + 1``
rows tells whether the column has more than ``n`` non-null values at all; if not,
all of them are the sample):

============  ===================================================  ================
engine        method                                               deterministic?
============  ===================================================  ================
SQLite        random ``rowid`` probes drawn from a seeded Python   yes, for an
              RNG between ``min(rowid)`` and ``max(rowid)``, in    unchanged table
              batches: first the matching rowids (integers only),
              then exactly the chosen values. Cost grows with
              ``n``, not with the table (rowid lookups are
              B-tree seeks).
SQLite (no    ``ORDER BY random() LIMIT n`` (a full scan with a    no: SQLite's
rowid, or     top-n sort inside SQLite), used for views,           ``random()``
sparse)       ``WITHOUT ROWID`` tables, and when the probes find   cannot be seeded
              too few rows (rowid space mostly gaps or nulls)
PostgreSQL    ``TABLESAMPLE BERNOULLI(p) REPEATABLE(seed)`` with   yes, for an
              ``p`` sized from ``pg_class.reltuples`` to about     unchanged table
              3n rows, then ``ORDER BY random() LIMIT n`` after
              ``setseed``; falls back to a plain seeded ``ORDER
              BY random()`` when the table is small, never
              analysed, or the tablesample came back short
MariaDB/      ``ORDER BY RAND(seed) LIMIT n`` (full scan, top-n    yes, for an
MySQL         sort in the server)                                  unchanged table
DuckDB        ``ORDER BY random() LIMIT n`` after ``setseed``      no (parallel
                                                                   scans)
other         ``ORDER BY random() LIMIT n``                        no
============  ===================================================  ================

Whatever the method, the values are returned in an order that depends only on the
sampled values and the seed (sorted, then shuffled with ``seed``), so two draws of the
same rows compare equal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from preflight.engines import db_reason, spec_for
from preflight.errors import SamplingError

if TYPE_CHECKING:
    from preflight.measure.registry import ProbeContext

__all__ = ["ColumnSample", "SamplingError", "cached_sample", "draw_sample", "sample_column"]

@dataclass(frozen=True)
class ColumnSample:
    """A sample of one column and how it was drawn."""

    values: tuple[str, ...]
    method: str  # all | rowid | tablesample | order_by_random
    deterministic: bool  # the same seed on an unchanged table gives the same values
    rows_fetched: int  # column values transferred from the database (never above n)


def sample_column(
    engine: Engine,
    table: str,
    column: str,
    *,
    schema: str | None = None,
    n: int = 2000,
    seed: int = 0,
) -> list[str]:
    """At most ``n`` non-null values of ``table.column``, drawn uniformly at random.

    Values that are not strings are converted with ``str`` (bytes are decoded as
    UTF-8, undecodable bytes becoming U+FFFD). Raises :class:`SamplingError` when the
    table or column does not exist or the database refuses the query.
    """
    return list(draw_sample(engine, table, column, schema=schema, n=n, seed=seed).values)


def draw_sample(
    engine: Engine,
    table: str,
    column: str,
    *,
    schema: str | None = None,
    n: int = 2000,
    seed: int = 0,
) -> ColumnSample:
    """Like :func:`sample_column`, with the method used and what it cost."""
    if n <= 0:
        raise ValueError("n must be positive")
    where = f"{schema}.{table}" if schema else table
    try:
        with engine.connect() as conn:
            target = _reflect(conn, table, column, schema)
            col = target.c[column]
            bounded = _count_up_to(conn, target, col, n + 1)
            if bounded <= n:
                rows = conn.execute(sa.select(col).where(col.is_not(None)).limit(n)).scalars().all()
                sample = _finish(rows, "all", True, seed)
            else:
                drawn = spec_for(conn).draw_sample(conn, target, col, n, seed)
                sample = _finish(drawn.values, drawn.method, drawn.deterministic, seed)
    except NoSuchTableError:
        raise SamplingError(f"table {where!r} not found") from None
    except SQLAlchemyError as exc:
        reason = db_reason(exc, engine, names=(table, column, schema or ""))
        # No chained cause: a logged traceback would show the driver's message, data and all.
        raise SamplingError(f"sampling {where}.{column} failed: {reason}") from None
    return sample


def cached_sample(ctx: ProbeContext, column: str) -> list[str]:
    """The audit's sample of ``column``, drawn once and shared by every probe.

    Samples live in ``ctx.cache`` (never reported); how each was drawn is recorded,
    without any value, in ``ctx.facts["sampling"]``. A sample that failed is not drawn
    again: every probe that asks gets the same :class:`SamplingError`.
    """
    samples: dict[str, list[str] | SamplingError] = ctx.cache.setdefault("samples", {})
    if column not in samples:
        try:
            sample = draw_sample(
                ctx.engine,
                ctx.dataset.table,
                column,
                schema=ctx.dataset.schema_name,
                n=ctx.config.settings.sample_size,
            )
        except SamplingError as exc:
            samples[column] = exc
            ctx.facts.setdefault("sampling", {})[column] = {"error": str(exc)}
        else:
            samples[column] = list(sample.values)
            ctx.facts.setdefault("sampling", {})[column] = {
                "method": sample.method,
                "deterministic": sample.deterministic,
                "size": len(sample.values),
                "requested": ctx.config.settings.sample_size,
            }
    found = samples[column]
    if isinstance(found, SamplingError):
        raise found
    return found


def _reflect(conn: Connection, table: str, column: str, schema: str | None) -> sa.Table:
    # Reflect only the one column: cheaper on wide tables, and it proves the column exists.
    target = sa.Table(
        table, sa.MetaData(), schema=schema, autoload_with=conn, include_columns=[column]
    )
    if column not in target.c:
        raise SamplingError(f"column {column!r} not found in table {table!r}")
    return target


def _count_up_to(conn: Connection, target: sa.Table, col: sa.Column[Any], limit: int) -> int:
    """``min(limit, non-null values)``, reading at most ``limit`` rows."""
    capped = (
        sa.select(sa.literal(1).label("one"))
        .select_from(target)
        .where(col.is_not(None))
        .limit(limit)
    )
    return int(conn.execute(sa.select(sa.func.count()).select_from(capped.subquery())).scalar_one())


def _finish(raw: Any, method: str, deterministic: bool, seed: int) -> ColumnSample:
    values = [_as_text(v) for v in raw]
    fetched = len(values)
    # An order that depends on the values and the seed only, not on how the engine
    # happened to return them.
    values.sort()
    random.Random(seed).shuffle(values)
    return ColumnSample(tuple(values), method, deterministic, fetched)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)

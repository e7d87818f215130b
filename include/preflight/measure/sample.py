"""Bounded random samples of one column, for the probes that read text.

The privacy and content probes look at the *values* of free-text columns, which is
too expensive to do for every row of a large table. They read a uniform random sample
of at most ``n`` non-null values instead, through SQLAlchemy Core only (the table is
reflected, so every identifier is quoted by the dialect). Python never holds more than
``n`` values of the column, whatever the size of the table.

How each engine draws the sample (first, a bounded count that reads at most ``n + 1``
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

from preflight.engines.reasons import safe_reason
from preflight.errors import SamplingError

if TYPE_CHECKING:
    from preflight.measure.registry import ProbeContext

__all__ = ["ColumnSample", "SamplingError", "cached_sample", "draw_sample", "sample_column"]

# Bound parameters per `rowid IN (...)`: far below SQLite's variable limit (999 on old builds).
_IN_CHUNK = 500
# SQLite rowid probes give up (and fall back to ORDER BY random()) after this many
# candidates per wanted row: a column that is 95% NULL, or a rowid space that is 95% gaps.
_PROBE_BUDGET = 20
# PostgreSQL TABLESAMPLE aims at this many times n rows, to absorb NULLs and a stale estimate.
_OVERSAMPLE = 3
# Above this share of the table a TABLESAMPLE saves nothing over a plain scan.
_MAX_TABLESAMPLE_PERCENT = 50.0




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
                sample = _draw_large(conn, target, col, n, seed)
    except NoSuchTableError:
        raise SamplingError(f"table {where!r} not found") from None
    except SQLAlchemyError as exc:
        secrets = [engine.url.password] if engine.url.password else []
        reason = safe_reason(exc, secrets=secrets, names=[table, column, *(schema or "",)])
        raise SamplingError(f"sampling {where}.{column} failed: {reason}") from exc
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


def _draw_large(
    conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
) -> ColumnSample:
    dialect = conn.dialect.name
    if dialect == "sqlite":
        sample = _sqlite_rowid_sample(conn, target, col, n, seed)
        if sample is not None:
            return sample
        return _order_by_random(conn, target, col, n, seed, sa.func.random(), deterministic=False)
    if dialect == "postgresql":
        return _postgres_sample(conn, target, col, n, seed)
    if dialect in ("mysql", "mariadb"):
        return _order_by_random(conn, target, col, n, seed, sa.func.rand(seed), deterministic=True)
    return _order_by_random(conn, target, col, n, seed, sa.func.random(), deterministic=False)


def _order_by_random(
    conn: Connection,
    source: sa.FromClause,
    col: sa.ColumnElement[Any],
    n: int,
    seed: int,
    order: sa.ColumnElement[Any],
    *,
    deterministic: bool,
) -> ColumnSample:
    rows = conn.execute(
        sa.select(col).select_from(source).where(col.is_not(None)).order_by(order).limit(n)
    )
    return _finish(rows.scalars().all(), "order_by_random", deterministic, seed)


def _sqlite_rowid_sample(
    conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
) -> ColumnSample | None:
    """Probe random rowids; ``None`` when the table has no usable rowid or too few hit."""
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
    return _finish(values, "rowid", True, seed)


def _postgres_sample(
    conn: Connection, target: sa.Table, col: sa.Column[Any], n: int, seed: int
) -> ColumnSample:
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
                return _finish(rows, "tablesample", True, seed)
    return _order_by_random(conn, target, col, n, seed, sa.func.random(), deterministic=True)


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

"""One-pass SQL profile of a table: row count plus per-column figures in one statement.

:func:`profile_table` reflects the table, builds one SQLAlchemy Core ``SELECT`` of
aggregates over every column and reads a single row back. Nothing is fetched but that
row, so memory stays flat however many rows the table has, and the number of
statements does not grow with the number of columns or metrics. The only exception is
a dialect's cap on the width of a result row (SQLite 2,000 columns, PostgreSQL 1,664):
a table wide enough to exceed it is profiled in as many statements as the cap demands,
all inside one transaction.

Per column (``kind`` from :func:`column_kind`):

======== =====================================================================
kind     figures
======== =====================================================================
numeric  nulls, distinct, min, max, mean, *sample* standard deviation (n - 1,
         like pandas' ``Series.std()`` and SQL's ``STDDEV``; None below 2 values)
text     nulls, distinct, min, max, min/mean/max length in characters, empty count
temporal nulls, distinct, min (oldest), max (newest)
boolean  nulls, distinct, min, max (as ``bool``)
other    nulls only (JSON, BLOB, arrays, UUID, intervals: nothing to aggregate
         the same way on every engine)
======== =====================================================================

Text is compared by code point on every engine, so distinct counts, min and max mean
the same thing everywhere (and agree with Python): PostgreSQL through ``COLLATE "C"``,
MySQL/MariaDB through ``utf8mb4`` with a binary no-pad collation (their default
collations are case- and accent-insensitive and ignore trailing spaces, so ``'a'``,
``'A'`` and ``'a '`` would otherwise be one value), SQLite through ``COLLATE binary``; DuckDB compares by code point already.
Lengths are characters (``CHAR_LENGTH``; SQLite's ``length`` counts characters of text),
and a value is empty when its length is 0.

Engines differ in these ways, all hidden from the caller (each engine's
:class:`~preflight.engines.EngineSpec` in :mod:`preflight.engines` says how):

- Standard deviation: PostgreSQL and MySQL/MariaDB (and other engines known to have
  it) use their own ``stddev_samp``, which is numerically stable. SQLite has none, so
  the same statement sums ``d = x - k`` and ``d*d`` as floats, with ``k`` the first
  non-NULL value among the column's first 1,000 rows, and the variance is
  ``(Σd² - (Σd)²/n) / (n - 1)``. The ``k`` of every numeric column is read first, in
  one statement over at most 1,000 rows per column, and bound as a parameter (as a
  scalar subquery inside the aggregate, SQLite re-read it on every row: 11% more
  instructions for the whole profile). Without the shift the
  formula loses every digit when the mean dwarfs the spread (timestamps, large ids);
  with it, only a column whose first 1,000 rows are all NULL and whose mean is ~10⁶
  times its standard deviation loses precision. Engines whose spec knows no native
  ``stddev_samp`` get the unshifted sums (a subquery inside an aggregate is not portable).
- Means and standard deviations are taken over ``CAST(x AS DOUBLE)``: MySQL/MariaDB
  otherwise return ``AVG``/``STDDEV_SAMP`` of integers and decimals rounded to the
  argument's scale + 4 places (1.6667).
- Approximate distinct counts: SQLite, PostgreSQL (without extensions) and
  MySQL/MariaDB have no built-in one, so ``approximate_distinct=True`` counts exactly
  there and says so (``distinct_approximate=False``). DuckDB and the engines the
  generic spec lists (Snowflake, BigQuery, Trino, SQL Server 2019+, ...) use their
  HyperLogLog function; only DuckDB's is exercised by the test suite.
- Booleans: PostgreSQL has no ``MIN(boolean)``, so min/max run over ``CAST(x AS
  INTEGER)``. MySQL/MariaDB store booleans as ``TINYINT(1)``, which reflects as
  TINYINT; :func:`column_kind` calls that width boolean.
- MariaDB's ``JSON`` is ``LONGTEXT`` underneath and reflects as text, so it is
  profiled as text there and as ``other`` on SQLite and PostgreSQL.
- SQLite keeps dates and timestamps as ISO text; temporal figures are parsed back into
  ``date``/``datetime`` objects (text that does not parse is returned as it is).
- Comments (table and column) come from reflection; SQLite has none (None).
- Identifiers are always quoted (except on engines that fold case, such as Oracle):
  SQLAlchemy's reserved-word list for SQLite lacks ``NOTHING``, which breaks an
  unquoted column of that name. The guarded engines quote every identifier anyway.

Values are normalised so ``profile.model_dump(mode="json")`` works: ``Decimal`` becomes
``int`` when integral, else ``float``; NaN and infinities become None; bytes become None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement, quoted_name

from preflight.engines import EngineSpec, is_boolean_type, spec_for
from preflight.errors import TableNotFoundError
from preflight.model.results import ColumnProfile, TableProfile

__all__ = ["TableNotFoundError", "codepoint_text", "column_kind", "profile_table", "reflect_table"]

NUMERIC, TEXT, TEMPORAL, BOOLEAN, OTHER = "numeric", "text", "temporal", "boolean", "other"

# Rows SQLite looks at for a value to shift numbers by before summing their squares.
_PILOT_ROWS = 1000


def column_kind(sa_type: Any) -> str:
    """``numeric`` | ``text`` | ``temporal`` | ``boolean`` | ``other`` for a SQLAlchemy type
    (an instance or a class), deciding which figures a column's profile gets."""
    if isinstance(sa_type, type):
        sa_type = sa_type()
    if isinstance(sa_type, sa.Boolean) or is_boolean_type(sa_type):
        return BOOLEAN
    # Float is no Numeric subclass in SQLAlchemy 2.1: name all three.
    if isinstance(sa_type, sa.Integer | sa.Numeric | sa.Float):
        return NUMERIC
    if isinstance(sa_type, sa.Date | sa.DateTime | sa.Time):
        return TEMPORAL
    if isinstance(sa_type, sa.String):  # VARCHAR, TEXT, CHAR, Enum, CLOB, ...
        return TEXT
    return OTHER


def profile_table(
    engine: sa.Engine,
    table: str,
    schema: str | None = None,
    *,
    approximate_distinct: bool = False,
    reflected: sa.Table | None = None,
) -> TableProfile:
    """Profile ``schema.table`` in one aggregate statement (see the module docstring).

    Raises :class:`TableNotFoundError` when the table does not exist. Reflection's own
    queries and SQLite's pilot read (at most 1,000 rows per column, never a scan) are not
    counted in ``TableProfile.statements``: it counts the statements that scan the table.
    ``reflected``: the table as :func:`reflect_table` returned it, when the caller has it
    already (the audit shares it with its probes).
    """
    if reflected is None:
        reflected = reflect_table(engine, table, schema)
    spec = spec_for(engine)
    plans = [
        _plan_column(index, column, engine.dialect, spec, approximate_distinct)
        for index, column in enumerate(reflected.columns)
    ]
    profiled_at = datetime.now(UTC)

    issued = 0

    def count_statement(*_: Any) -> None:
        nonlocal issued
        issued += 1

    row_count = 0
    cells: list[dict[str, Any]] = [{} for _ in plans]
    with engine.connect() as conn:
        limit = spec.result_column_limit(conn)
        shifts = _pilot_shifts(conn, plans, limit)  # before counting: a bounded read, no scan
        for index, value in shifts.items():
            cells[index]["shift"] = value
        # Listening on this connection only: other users of the engine are not counted.
        event.listen(conn, "before_cursor_execute", count_statement)
        try:
            for chunk in _chunks(plans, limit):
                query = sa.select(
                    sa.func.count().label("row_count"),
                    *(
                        expr.label(f"c{index}_{metric}")
                        for index, plan in chunk
                        for metric, expr in plan.metrics.items()
                    ),
                ).select_from(reflected)
                bound = {_shift_key(index): shifts[index] for index, _ in chunk if index in shifts}
                row = iter(conn.execute(query, bound).one())
                row_count = int(next(row))
                for index, plan in chunk:
                    cells[index].update({metric: next(row) for metric in plan.metrics})
        finally:
            event.remove(conn, "before_cursor_execute", count_statement)

    columns = tuple(_column_profile(plan, cells[i], row_count) for i, plan in enumerate(plans))
    return TableProfile(
        table=table,
        schema_name=schema,
        row_count=row_count,
        columns=columns,
        statements=issued,
        approximate=any(c.distinct_approximate for c in columns),
        profiled_at=profiled_at,
        table_comment=reflected.comment or None,
    )


# --- reflection ----------------------------------------------------------------------


def _qualified(table: str, schema: str | None) -> str:
    return f"{schema}.{table}" if schema else table


def reflect_table(engine: sa.Engine, table: str, schema: str | None) -> sa.Table:
    """The table with every identifier quoted (see the module docstring); raises
    :class:`TableNotFoundError` when it does not exist."""
    if engine.dialect.requires_name_normalize:
        # Oracle, Snowflake, ...: a lower-case name means "case-insensitive"; quoting it
        # would make it a different, case-sensitive name.
        listeners = []
    else:
        # Quote every identifier: SQLAlchemy's reserved-word lists lag the engines (SQLite's
        # NOTHING, from its upsert syntax, is not quoted and breaks the statement).
        table, schema = _quoted(table), _quoted(schema)
        listeners = [("column_reflect", _quote_column)]
    try:
        return sa.Table(
            table, sa.MetaData(), schema=schema, autoload_with=engine, listeners=listeners
        )
    except sa.exc.NoSuchTableError as exc:
        raise TableNotFoundError(table, schema) from exc
    except sa.exc.DBAPIError:
        # SQLite reports an unattached schema as an error rather than a missing table.
        if schema is not None and schema not in sa.inspect(engine).get_schema_names():
            raise TableNotFoundError(table, schema) from None
        raise


def _quoted(name: Any) -> Any:
    return None if name is None else quoted_name(name, True)


def _quote_column(inspector: Any, table: sa.Table, column_info: dict[str, Any]) -> None:
    column_info["name"] = _quoted(column_info["name"])


# --- the statement -------------------------------------------------------------------


@dataclass(frozen=True)
class _ColumnPlan:
    name: str
    type_name: str
    kind: str
    sa_type: Any
    comment: str | None
    metrics: dict[str, ColumnElement[Any]]
    distinct_approximate: bool
    # SQLite: the value to shift by, read before the aggregate and bound as a parameter.
    pilot: ColumnElement[Any] | None = None


def _plan_column(
    index: int, column: sa.Column[Any], dialect: Dialect, spec: EngineSpec, approximate: bool
) -> _ColumnPlan:
    kind = column_kind(column.type)
    col: ColumnElement[Any] = column
    metrics: dict[str, ColumnElement[Any]] = {"count": sa.func.count(col)}
    distinct_approximate = False
    pilot = None

    if kind == TEXT:
        col = spec.codepoint_text(column, dialect)
    if kind in (NUMERIC, TEXT, TEMPORAL, BOOLEAN):
        approx_func = spec.approx_distinct(dialect) if approximate and kind != BOOLEAN else None
        if approx_func:
            metrics["distinct"] = getattr(sa.func, approx_func)(col)
            distinct_approximate = True
        else:
            metrics["distinct"] = sa.func.count(sa.distinct(col))
    if kind == BOOLEAN:
        # PostgreSQL has no MIN(boolean); 0/1 works on every engine.
        as_int = sa.cast(column, sa.Integer)
        metrics["min"] = sa.func.min(as_int)
        metrics["max"] = sa.func.max(as_int)
    elif kind in (NUMERIC, TEXT, TEMPORAL):
        metrics["min"] = sa.func.min(col)
        metrics["max"] = sa.func.max(col)
    if kind == NUMERIC:
        as_float = sa.cast(column, sa.Double)
        if spec.uses_native_stddev(dialect):
            metrics["mean"] = sa.func.avg(as_float)
            metrics["stddev"] = sa.func.stddev_samp(as_float)
        else:
            deviation: ColumnElement[Any]
            if spec.pilot_shift():
                pilot = _pilot_value(column)
                # x - REAL is REAL in SQLite: a CAST per row would only repeat that.
                deviation = column - sa.bindparam(_shift_key(index), type_=sa.Double)
            else:
                deviation = as_float
            metrics["sum"] = sa.func.sum(deviation)
            metrics["sum_squares"] = sa.func.sum(deviation * deviation)
    if kind == TEXT:
        length = sa.func.char_length(col)
        metrics["min_length"] = sa.func.min(length)
        metrics["mean_length"] = sa.func.avg(sa.cast(length, sa.Double))
        metrics["max_length"] = sa.func.max(length)
        # Length 0 rather than `= ''`: MySQL/MariaDB's PAD SPACE collations call ' ' empty.
        metrics["empty"] = sa.func.count(sa.case((length == 0, 1)))

    # Raw driver values: each figure is normalised below, identically on every engine
    # (and SQLite's text timestamps are not forced through a strict result parser).
    metrics = {name: sa.type_coerce(expr, sa.types.NullType()) for name, expr in metrics.items()}
    return _ColumnPlan(
        name=str(column.name),
        type_name=_type_name(column.type, dialect),
        kind=kind,
        sa_type=column.type,
        comment=column.comment or None,
        metrics=metrics,
        distinct_approximate=distinct_approximate,
        pilot=pilot,
    )


def _shift_key(index: int) -> str:
    return f"shift_{index}"


def _pilot_shifts(conn: sa.Connection, plans: Sequence[_ColumnPlan], limit: int) -> dict[int, float]:
    """The shift of every planned column that needs one (index -> value), ``limit``
    columns per statement."""
    piloted = [(index, plan.pilot) for index, plan in enumerate(plans) if plan.pilot is not None]
    shifts: dict[int, float] = {}
    for start in range(0, len(piloted), limit):
        batch = piloted[start : start + limit]
        row = conn.execute(sa.select(*(pilot.label(f"p{index}") for index, pilot in batch))).one()
        shifts.update({index: float(value) for (index, _), value in zip(batch, row, strict=True)})
    return shifts


def _pilot_value(column: sa.Column[Any]) -> ColumnElement[Any]:
    """A value of the column to shift by before summing squares (0 when none is found).

    Σ(x-k) and Σ(x-k)² lose no precision to a large mean when k is any value near the
    data, and the first non-NULL value among the first rows is one. Looking at no more
    than _PILOT_ROWS rows keeps this O(1): the table is still read once.
    """
    head = sa.select(column.label("v")).select_from(column.table).limit(_PILOT_ROWS).subquery()
    first = sa.select(head.c.v).where(head.c.v.is_not(None)).limit(1).scalar_subquery()
    return sa.func.coalesce(sa.cast(first, sa.Double), sa.literal(0.0, sa.Double))


def codepoint_text(column: sa.Column[Any], dialect: Dialect) -> ColumnElement[Any]:
    """The column as text that compares by code point (see the module docstring); how is
    the engine's business (:meth:`preflight.engines.EngineSpec.codepoint_text`)."""
    return spec_for(dialect).codepoint_text(column, dialect)


def _type_name(sa_type: Any, dialect: Dialect) -> str:
    try:
        return str(sa_type.compile(dialect=dialect))
    except sa.exc.SQLAlchemyError:
        return type(sa_type).__name__


def _chunks(plans: Sequence[_ColumnPlan], limit: int) -> Iterable[list[tuple[int, _ColumnPlan]]]:
    """Whole columns per statement, as many as fit beside the row count."""
    chunk: list[tuple[int, _ColumnPlan]] = []
    width = 1
    for index, plan in enumerate(plans):
        if chunk and width + len(plan.metrics) > limit:
            yield chunk
            chunk, width = [], 1
        chunk.append((index, plan))
        width += len(plan.metrics)
    if chunk or not plans:
        yield chunk


# --- from one result row to a ColumnProfile ------------------------------------------


def _column_profile(plan: _ColumnPlan, cells: dict[str, Any], row_count: int) -> ColumnProfile:
    non_null = int(cells["count"])
    figures: dict[str, Any] = {}
    if "distinct" in cells:
        figures["distinct_count"] = _int(cells["distinct"])
    if plan.kind == BOOLEAN:
        figures["min"] = _bool(cells["min"])
        figures["max"] = _bool(cells["max"])
    elif plan.kind == NUMERIC:
        figures["min"] = _number(cells["min"])
        figures["max"] = _number(cells["max"])
        if "stddev" in cells:
            figures["mean"] = _float(cells["mean"])
            figures["stddev"] = _float(cells["stddev"])
        else:
            figures["mean"], figures["stddev"] = _mean_stddev(
                _float(cells.get("shift")) or 0.0,
                _float(cells["sum"]),
                _float(cells["sum_squares"]),
                non_null,
            )
    elif plan.kind == TEXT:
        figures["min"] = _text(cells["min"])
        figures["max"] = _text(cells["max"])
        figures["min_length"] = _int(cells["min_length"])
        figures["mean_length"] = _float(cells["mean_length"])
        figures["max_length"] = _int(cells["max_length"])
        figures["empty_count"] = _int(cells["empty"])
    elif plan.kind == TEMPORAL:
        figures["min"] = _temporal(cells["min"], plan.sa_type)
        figures["max"] = _temporal(cells["max"], plan.sa_type)
    return ColumnProfile(
        name=plan.name,
        type=plan.type_name,
        kind=plan.kind,
        null_count=row_count - non_null,
        distinct_approximate=plan.distinct_approximate,
        comment=plan.comment,
        **figures,
    )


def _mean_stddev(
    shift: float, total: float | None, squares: float | None, n: int
) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation from Σ(x-k), Σ(x-k)² and n."""
    if n == 0 or total is None or squares is None:
        return None, None
    mean = shift + total / n
    if n < 2:
        return mean, None
    variance = (squares - total * total / n) / (n - 1)
    return mean, math.sqrt(max(variance, 0.0))  # rounding can dip just below zero


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bytes | bytearray | memoryview | str):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def _number(value: Any) -> Any:
    """JSON-friendly number: Decimal to int when integral, else float; NaN/inf to None."""
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(int(value))


def _text(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return value


def _temporal(value: Any, sa_type: Any) -> Any:
    """Dates and timestamps as objects, whichever way the driver hands them over."""
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if isinstance(sa_type, sa.Time):
            return time.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return value  # not ISO text: show what is stored rather than guess
    if (
        isinstance(sa_type, sa.Date)
        and not isinstance(sa_type, sa.DateTime)
        and parsed.time() == time()
    ):
        return date(parsed.year, parsed.month, parsed.day)
    return parsed

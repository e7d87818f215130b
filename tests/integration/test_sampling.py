"""Bounded random sampling of a text column, on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from preflight.measure.sample import SamplingError, draw_sample, sample_column

pytestmark = pytest.mark.integration

COLUMN = "Body Text"  # a space and capitals: identifiers must be quoted


def _table(scratch: Any, rows: int, *, null_every: int = 0, **kwargs: Any) -> sa.Table:
    table = sa.Table(
        scratch.name("sample"),
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(COLUMN, sa.Text),
        **kwargs,
    )
    values = [
        {"id": i, COLUMN: None if null_every and i % null_every == 0 else f"document {i}"}
        for i in range(1, rows + 1)
    ]
    scratch.create(table)
    with scratch.engine.begin() as conn:
        for start in range(0, len(values), 5000):
            conn.execute(table.insert(), values[start : start + 5000])
    return table


@contextmanager
def _rows_returned(engine: sa.Engine) -> Iterator[list[int]]:
    """Rows each statement handed to the client, where the driver reports it."""
    counts: list[int] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            counts.append(cursor.rowcount)

    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "after_cursor_execute", after)


def test_sample_is_bounded_random_and_non_null(scratch: Any) -> None:
    table = _table(scratch, 3000, null_every=10)
    sample = draw_sample(scratch.engine, table.name, COLUMN, n=200, seed=1)

    assert len(sample.values) == 200
    assert len(set(sample.values)) == 200  # rows are drawn without replacement
    ids = [int(v.split()[1]) for v in sample.values]
    assert all(i % 10 != 0 for i in ids)  # NULLs never sampled
    assert 1 <= min(ids) and max(ids) <= 3000
    # Spread over the whole table, not its first pages (mean of U(1, 3000) is 1500).
    assert 1200 < sum(ids) / len(ids) < 1800
    assert min(ids) < 300 and max(ids) > 2700


def test_same_seed_same_sample(scratch: Any) -> None:
    table = _table(scratch, 3000)
    first = draw_sample(scratch.engine, table.name, COLUMN, n=100, seed=3)
    again = draw_sample(scratch.engine, table.name, COLUMN, n=100, seed=3)
    other = draw_sample(scratch.engine, table.name, COLUMN, n=100, seed=4)
    assert first.deterministic
    assert first.values == again.values
    assert set(first.values) != set(other.values)


def test_small_table_is_read_whole(scratch: Any) -> None:
    table = _table(scratch, 50, null_every=5)
    sample = draw_sample(scratch.engine, table.name, COLUMN, n=100)
    assert sample.method == "all"
    assert sorted(sample.values) == sorted(f"document {i}" for i in range(1, 51) if i % 5)
    assert sample_column(scratch.engine, table.name, COLUMN, n=100) == list(sample.values)


def test_cost_is_bounded_by_n_not_by_the_table(scratch: Any) -> None:
    """Not a timing test: the sample, and every row handed to Python, stay within n on a
    table 200 times larger than n."""
    table = _table(scratch, 20_000)
    n = 100
    with _rows_returned(scratch.engine) as counts:
        sample = draw_sample(scratch.engine, table.name, COLUMN, n=n, seed=0)
    assert len(sample.values) == n
    assert sample.rows_fetched <= n
    if scratch.dialect != "sqlite":  # sqlite3 reports no row counts for SELECT
        # Reflection and the bounded count return a few rows of their own.
        value_rows = [c for c in counts if c > 1]
        assert max(value_rows) <= n + 1
    if scratch.dialect == "sqlite":
        assert sample.method == "rowid"


@pytest.mark.parametrize("scratch", ["postgresql"], indirect=True)
def test_postgres_uses_tablesample_on_an_analysed_table(scratch: Any) -> None:
    table = _table(scratch, 20_000)
    with scratch.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'ANALYZE "{table.name}"')
    first = draw_sample(scratch.engine, table.name, COLUMN, n=100, seed=9)
    again = draw_sample(scratch.engine, table.name, COLUMN, n=100, seed=9)
    assert first.method == "tablesample"
    assert first.values == again.values


@pytest.mark.parametrize("scratch", ["sqlite"], indirect=True)
def test_sqlite_without_rowid_falls_back_to_order_by_random(scratch: Any) -> None:
    table = _table(scratch, 500, sqlite_with_rowid=False)
    sample = draw_sample(scratch.engine, table.name, COLUMN, n=50)
    assert sample.method == "order_by_random"
    assert not sample.deterministic
    assert len(sample.values) == 50


@pytest.mark.parametrize("scratch", ["sqlite"], indirect=True)
def test_sqlite_mostly_null_column_still_fills_the_sample(scratch: Any) -> None:
    table = _table(scratch, 5000, null_every=1)  # every row NULL...
    with scratch.engine.begin() as conn:  # ...but 60 of them
        conn.execute(table.update().where(table.c.id <= 60).values({COLUMN: "kept"}))
    sample = draw_sample(scratch.engine, table.name, COLUMN, n=50)
    assert len(sample.values) == 50
    assert set(sample.values) == {"kept"}


def test_missing_table_or_column_is_a_sampling_error(scratch: Any) -> None:
    table = _table(scratch, 10)
    with pytest.raises(SamplingError, match="not found"):
        sample_column(scratch.engine, scratch.name("missing"), COLUMN)
    with pytest.raises(SamplingError, match="column 'nope' not found"):
        sample_column(scratch.engine, table.name, "nope")


def test_non_text_values_come_back_as_strings(scratch: Any) -> None:
    table = sa.Table(scratch.name("nums"), sa.MetaData(), sa.Column("n", sa.Integer))
    scratch.create(table, [{"n": i} for i in range(5)])
    assert sorted(sample_column(scratch.engine, table.name, "n", n=10)) == ["0", "1", "2", "3", "4"]

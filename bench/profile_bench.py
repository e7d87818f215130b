"""What the one-pass profiler costs over the query a person would write by hand.

Builds (once, cached under ``$PREFLIGHT_HOME/bench/``) a SQLite table of mixed-type
columns, then times in the same run :func:`preflight.measure.profile.profile_table` (reflection,
statement building, normalisation included) and one hand-written aggregate query that
computes the same figures. The two run ``repeat`` times, interleaved, and the best time
of each is kept, so neither a cold page cache nor a burst of load decides the ratio.
It also times the profile through the audit's guarded engine (read-only, a progress
handler enforcing the statement timeout) against the plain engine: what the guards cost.

    python -m bench.profile_bench               # 1,000,000 rows
    python -m bench.profile_bench --rows 100000
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.tables import bench_home, write_table
from preflight.engines import engine_for
from preflight.measure.profile import profile_table
from preflight.model.config import SourceConfig

TABLE = "orders"
CATEGORIES = ["books", "garden", "toys", "food", "music", "tools", "sport", "baby"]
WORDS = ["fast", "late", "broken", "gift", "café", "naïve", "重い", "ok", "again", "🚀"]

# The same figures profile_table computes, written the obvious way for SQLite:
# count/distinct/min/max everywhere, mean and Σx, Σx² for numbers, lengths and empties for
# text. Text SQL is fine here; the product builds its statement with SQLAlchemy Core.
HAND_WRITTEN_SQL = """
SELECT
  count(*) AS row_count,
  count(id), count(DISTINCT id), min(id), max(id),
    sum(CAST(id AS REAL)), sum(CAST(id AS REAL) * id),
  count(customer_id), count(DISTINCT customer_id) AS customer_distinct, min(customer_id), max(customer_id),
    sum(CAST(customer_id AS REAL)), sum(CAST(customer_id AS REAL) * customer_id),
  count(amount), count(DISTINCT amount), min(amount), max(amount),
    sum(CAST(amount AS REAL)), sum(CAST(amount AS REAL) * amount),
  count(quantity), count(DISTINCT quantity), min(quantity), max(quantity),
    sum(CAST(quantity AS REAL)), sum(CAST(quantity AS REAL) * quantity),
  count(category), count(DISTINCT category), min(category), max(category),
    min(length(category)), avg(length(category)), max(length(category)),
    sum(length(category) = 0),
  count(comment), count(DISTINCT comment), min(comment), max(comment),
    min(length(comment)), avg(length(comment)), max(length(comment)),
    sum(length(comment) = 0) AS comment_empty,
  count(created_at), count(DISTINCT created_at), min(created_at), max(created_at),
  count(is_active), count(DISTINCT is_active), min(is_active), max(is_active)
FROM orders
"""


def _table() -> sa.Table:
    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer),
        sa.Column("amount", sa.Double),
        sa.Column("quantity", sa.Integer),
        sa.Column("category", sa.String(20)),
        sa.Column("comment", sa.Text),
        sa.Column("created_at", sa.DateTime),
        sa.Column("is_active", sa.Boolean),
    )


def _rows(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2020, 1, 1)
    for i in range(1, count + 1):
        yield {
            "id": i,
            "customer_id": None if rng.random() < 0.05 else rng.randrange(1, 50_000),
            "amount": round(rng.lognormvariate(3, 1), 2),
            "quantity": rng.randrange(1, 20),
            "category": rng.choice(CATEGORIES),
            "comment": (
                None
                if rng.random() < 0.4
                else ""
                if rng.random() < 0.1
                else " ".join(rng.choices(WORDS, k=rng.randrange(1, 6)))
            ),
            "created_at": start + timedelta(seconds=rng.randrange(0, 5 * 365 * 86_400)),
            "is_active": None if rng.random() < 0.02 else rng.random() < 0.7,
        }


def build(rows: int) -> tuple[Path, float | None]:
    """The cached database for ``rows`` rows, and how long building it took (None: cached)."""
    path = bench_home() / f"profile_{rows}.sqlite"
    if path.exists():
        return path, None
    began = time.perf_counter()
    write_table(path, _table(), _rows(rows))
    return path, time.perf_counter() - began


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def run(rows: int = 1_000_000, repeat: int = 3) -> dict[str, Any]:
    """Time profile_table and the hand-written query on the same table, in one run."""
    path, build_seconds = build(rows)
    engine = sa.create_engine(f"sqlite:///{path}")

    def hand_written() -> Any:
        with engine.connect() as conn:
            return conn.exec_driver_sql(HAND_WRITTEN_SQL).one()

    guarded = engine_for(SourceConfig(url=f"sqlite:///{path}"))
    hand_times, profile_times, guarded_times = [], [], []
    try:
        # Interleaved, best of each: a burst of load elsewhere hits all alike.
        for _ in range(repeat):
            seconds, hand_row = _timed(hand_written)
            hand_times.append(seconds)
            seconds, profile = _timed(lambda: profile_table(engine, TABLE))
            profile_times.append(seconds)
            seconds, _ = _timed(lambda: profile_table(guarded, TABLE))
            guarded_times.append(seconds)
    finally:
        engine.dispose()
        guarded.dispose()
    hand_seconds, profile_seconds = min(hand_times), min(profile_times)

    # The two must have measured the same work: spot-check a few figures.
    agree = (
        profile.row_count == hand_row.row_count == rows
        and profile.column("customer_id").distinct_count == hand_row.customer_distinct
        and profile.column("comment").empty_count == hand_row.comment_empty
    )
    if not agree:
        raise RuntimeError(f"profile and hand-written query disagree on {path}")
    return {
        "rows": rows,
        "columns": len(profile.columns),
        "database": str(path),
        "build_seconds": build_seconds,
        "profile_seconds": profile_seconds,
        "hand_written_seconds": hand_seconds,
        "ratio": profile_seconds / hand_seconds,
        "guarded_seconds": min(guarded_times),
        "guard_ratio": min(guarded_times) / profile_seconds,
        "statements": profile.statements,
        "repeat": repeat,
    }


def _print(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"profile_table vs hand-written SQL, SQLite, {result['rows']:,} rows")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("columns", str(result["columns"]))
    table.add_row(
        f"profile_table (best of {result['repeat']})", f"{result['profile_seconds']:.3f} s"
    )
    table.add_row(
        f"hand-written query (best of {result['repeat']})",
        f"{result['hand_written_seconds']:.3f} s",
    )
    table.add_row("ratio profile / hand-written", f"{result['ratio']:.2f}x")
    table.add_row(
        f"profile through the audit's guarded engine (best of {result['repeat']})",
        f"{result['guarded_seconds']:.3f} s",
    )
    table.add_row("ratio guarded / plain engine", f"{result['guard_ratio']:.2f}x")
    table.add_row("profile statements", str(result["statements"]))
    built = result["build_seconds"]
    table.add_row("table build", "cached" if built is None else f"{built:.1f} s")
    Console().print(table)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    _print(run(args.rows, args.repeat))


if __name__ == "__main__":
    main()

"""Join coverage: each query shape against one scan of the child, on every engine.

A 336,000-row child whose key values are ~95% present in a 20,000-row parent (1% NULL
keys, a few duplicated parent keys), no index on either table. For each engine whose
URL is given, every shape of ``preflight.engines.coverage`` and ``SELECT count(key)
FROM child`` run interleaved; the table gives the median wall time of the runs and the
shape's ratio to the scan. Every shape must return the same figures (checked).

    python bench/join_bench.py [--runs 3] [--engines sqlite,postgresql,mariadb] [--composite]

Engines: SQLite in a temporary file; PostgreSQL and MariaDB from
``PREFLIGHT_TEST_POSTGRES_URL`` / ``PREFLIGHT_TEST_MARIADB_URL``. Tables are named
``par_bench_*`` and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from preflight.engines.coverage import JOIN_COVERAGE_SHAPES, join_coverage_query

CHILD_ROWS, PARENT_ROWS, PRESENT = 336_000, 20_000, 0.95
# A shape still running after this long is stopped (PostgreSQL, MariaDB) and reported as
# "> limit"; one that took longer (SQLite cannot be stopped) is not run again.
LIMIT_SECONDS = 60


def _urls(engines: list[str], folder: Path) -> dict[str, str]:
    found = {}
    for name in engines:
        if name == "sqlite":
            found[name] = f"sqlite:///{folder / 'join_bench.db'}"
        else:
            url = os.environ.get("PREFLIGHT_TEST_POSTGRES_URL" if name == "postgresql" else "PREFLIGHT_TEST_MARIADB_URL")
            if url:
                found[name] = url
            else:
                print(f"skipping {name}: no URL", file=sys.stderr)
    return found


def _tables(meta: sa.MetaData, composite: bool) -> tuple[sa.Table, sa.Table]:
    keys = [sa.Column("k1", sa.Integer)] + ([sa.Column("k2", sa.String(8))] if composite else [])
    child = sa.Table("par_bench_child", meta, sa.Column("id", sa.Integer), *keys, sa.Column("v", sa.String(20)))
    parent_keys = [sa.Column("k1", sa.Integer)] + ([sa.Column("k2", sa.String(8))] if composite else [])
    parent = sa.Table("par_bench_parent", meta, sa.Column("id", sa.Integer), *parent_keys, sa.Column("v", sa.String(20)))
    return child, parent


@contextmanager
def _world(engine: sa.Engine, composite: bool) -> Iterator[tuple[sa.Table, sa.Table]]:
    meta = sa.MetaData()
    child, parent = _tables(meta, composite)
    meta.drop_all(engine)
    meta.create_all(engine)  # no primary key, no index
    rng = random.Random(42)
    # Parent keys 0..19999 (the last 50 twice); child keys drawn so ~95% are parent keys.
    span = int(PARENT_ROWS / PRESENT)

    def key(n: int) -> dict[str, Any]:
        return {"k1": n, **({"k2": f"r{n % 3}"} if composite else {})}

    parents = [{"id": i, **key(i), "v": f"p{i}"} for i in range(PARENT_ROWS)]
    parents += [{"id": PARENT_ROWS + i, **key(PARENT_ROWS - 1 - i), "v": "dup"} for i in range(50)]
    children = []
    for i in range(CHILD_ROWS):
        n = rng.randrange(span)
        row = {"id": i, **key(n), "v": f"c{i}"}
        if rng.random() < 0.01:
            row["k1"] = None
        children.append(row)
    with engine.begin() as conn:
        conn.execute(parent.insert(), parents)
        for start in range(0, len(children), 20_000):
            conn.execute(child.insert(), children[start : start + 20_000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE par_bench_child, par_bench_parent"))
    elif engine.dialect.name in ("mysql", "mariadb"):
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE TABLE par_bench_child, par_bench_parent"))
    try:
        yield child, parent
    finally:
        meta.drop_all(engine)


def _queries(child: sa.Table, parent: sa.Table, composite: bool) -> dict[str, sa.Select[Any, Any]]:
    alias = parent.alias("parent")
    names = ["k1", "k2"] if composite else ["k1"]
    child_keys = [child.c[n] for n in names]
    parent_cols = [alias.c[n] for n in names]
    queries: dict[str, sa.Select[Any, Any]] = {"one scan": sa.select(sa.func.count(child.c.v))}
    for shape in JOIN_COVERAGE_SHAPES:
        queries[shape] = join_coverage_query(shape, child, child_keys, parent_cols)
    return queries


def _limit(conn: sa.Connection) -> None:
    if conn.dialect.name in ("mysql", "mariadb"):
        conn.execute(sa.text(f"SET SESSION max_statement_time = {LIMIT_SECONDS}"))
    elif conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SET statement_timeout = '{LIMIT_SECONDS}s'"))


def bench(url: str, runs: int, composite: bool) -> list[tuple[str, float | None, Any]]:
    engine = sa.create_engine(url)
    try:
        with _world(engine, composite) as (child, parent):
            queries = _queries(child, parent, composite)
            times: dict[str, list[float]] = {name: [] for name in queries}
            answers: dict[str, Any] = {}
            timed_out: set[str] = set()
            with engine.connect() as conn:
                _limit(conn)
                conn.execute(queries["one scan"]).all()  # warm the cache once
                for _ in range(runs):
                    for name, query in queries.items():  # interleaved
                        if name in timed_out:
                            continue
                        started = time.perf_counter()
                        try:
                            answers[name] = tuple(conn.execute(query).one())
                        except sa.exc.DBAPIError as exc:
                            print(f"  {name}: {type(exc.orig).__name__}", file=sys.stderr)
                            timed_out.add(name)
                            conn.rollback()
                            continue
                        times[name].append(time.perf_counter() - started)
                        if times[name][-1] > LIMIT_SECONDS:
                            timed_out.add(name)  # measured once: too slow to repeat
            figures = {answers[name] for name in JOIN_COVERAGE_SHAPES if name in answers}
            if len(figures) > 1:
                raise SystemExit(f"shapes disagree on {url}: {answers}")
            return [
                (name, statistics.median(times[name]) if times[name] else None, answers.get(name))
                for name in queries
            ]
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,postgresql,mariadb")
    parser.add_argument("--composite", action="store_true", help="a two-column key")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, url in _urls(args.engines.split(","), Path(folder)).items():
            print(f"\n{name} ({CHILD_ROWS:,} × {PARENT_ROWS:,}, {'composite' if args.composite else 'one-column'} key, "
                  f"median of {args.runs}, wall s)")
            results = bench(url, args.runs, args.composite)
            scan = results[0][1] or float("nan")
            for shape, seconds, answer in results:
                shown = f"> {LIMIT_SECONDS}" if seconds is None else f"{seconds:8.3f}"
                ratio = "" if seconds is None else f"{seconds / scan:6.2f}×"
                print(f"  {shape:12} {shown:>9}  {ratio}  {answer}")


if __name__ == "__main__":
    main()

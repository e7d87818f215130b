"""Benchmark data: generated once, cached, reused by every run.

SQLite files live under ``$PREFLIGHT_HOME/bench/``; on the shared PostgreSQL and MariaDB
servers the tables are named ``bench_*`` and kept between runs (``make bench-clean``
drops them). A cached table is reused only when its row count is the one asked for.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.handwritten import WIDE_COLUMNS
from bench.tables import bench_home

CATEGORIES = ["books", "garden", "toys", "food", "music", "tools", "sport", "baby"]
COUNTRIES = ["FR", "DE", "GB", "US", "ES", "IT", "NL", "PL", "SE", "JP"]
STATUSES = ["new", "paid", "shipped", "returned", "cancelled"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "shop.example"]
WORDS = ["fast", "late", "broken", "gift", "café", "naïve", "重い", "ok", "again", "🚀"]


def wide_rows(count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    start = datetime(2020, 1, 1)
    day0 = date(2020, 1, 1)
    for i in range(1, count + 1):
        created = start + timedelta(seconds=rng.randrange(0, 5 * 365 * 86_400))
        yield (
            i,
            None if rng.random() < 0.05 else rng.randrange(1, 50_000),
            rng.randrange(1, 400),
            rng.randrange(1, 20),
            2020 + rng.randrange(0, 6),
            round(rng.lognormvariate(3, 1), 2),
            None if rng.random() < 0.5 else round(rng.random() * 0.3, 3),
            round(rng.gauss(2.5, 0.8), 3),
            round(rng.uniform(-60, 70), 5),
            rng.choice(CATEGORIES),
            rng.choice(COUNTRIES),
            rng.choice(STATUSES),
            f"SKU-{rng.randrange(10**8):08d}",
            None if rng.random() < 0.1 else rng.choice(DOMAINS),
            None if rng.random() < 0.4 else "" if rng.random() < 0.1
            else " ".join(rng.choices(WORDS, k=rng.randrange(1, 6))),
            created.isoformat(sep=" "),
            None if rng.random() < 0.3 else (created + timedelta(days=rng.randrange(0, 30))).isoformat(sep=" "),
            (day0 + timedelta(days=rng.randrange(0, 2000))).isoformat(),
            None if rng.random() < 0.02 else int(rng.random() < 0.7),
            int(rng.random() < 0.1),
        )


def wide_sqlite(rows: int) -> Path:
    """The SQLite file holding table ``wide`` of ``rows`` rows (built on first use)."""
    path = bench_home() / f"wide_{rows}.sqlite"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = sqlite3.connect(partial)
    columns = ", ".join(f'"{name}" {sqlite}' + (" PRIMARY KEY" if name == "id" else "")
                        for name, _, sqlite, _ in WIDE_COLUMNS)
    con.execute(f"CREATE TABLE wide ({columns})")
    marks = ", ".join("?" * len(WIDE_COLUMNS))
    batch: list[tuple[Any, ...]] = []
    for row in wide_rows(rows):
        batch.append(row)
        if len(batch) == 50_000:
            con.executemany(f"INSERT INTO wide VALUES ({marks})", batch)  # noqa: S608 - the bench's own table names
            batch = []
    if batch:
        con.executemany(f"INSERT INTO wide VALUES ({marks})", batch)  # noqa: S608 - the bench's own table names
    con.commit()
    con.close()
    partial.rename(path)
    return path


def _count(engine: sa.Engine, table: str) -> int | None:
    try:
        with engine.connect() as conn:
            quoted = engine.dialect.identifier_preparer.quote(table)
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {quoted}").scalar_one())  # noqa: S608 - the bench's own table names
    except sa.exc.SQLAlchemyError:
        return None


def wide_postgres(url: str, rows: int) -> str:
    """Table ``bench_wide_<rows>`` on PostgreSQL, copied from the SQLite file (built on first use)."""
    table = f"bench_wide_{rows}"
    engine = sa.create_engine(url)
    try:
        if _count(engine, table) == rows:
            return table
        source = wide_sqlite(rows)
        columns = ", ".join(f'"{name}" {pg}' for name, _, _, pg in WIDE_COLUMNS)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
            cursor.execute(f'CREATE TABLE "{table}" ({columns})')
            with tempfile.TemporaryFile("w+", encoding="utf-8") as handle:
                _dump_text(source, "wide", handle)
                handle.seek(0)
                cursor.copy_expert(f'COPY "{table}" FROM STDIN', handle)
            cursor.execute(f'ANALYZE "{table}"')
            raw.commit()
        finally:
            raw.close()
        return table
    finally:
        engine.dispose()


def _dump_text(path: Path, table: str, handle: Any) -> None:
    """Rows in COPY's text format (tab-separated, NULL as \\N); the generated values hold
    no tab, newline or backslash."""
    con = sqlite3.connect(path)
    for row in con.execute(f"SELECT * FROM {table}"):  # noqa: S608 - the bench's own table names
        handle.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    con.close()


# --- join coverage: 336k child rows × 20k parent rows, no index anywhere -----------------

JOIN_CHILD_ROWS = 336_000
JOIN_PARENT_ROWS = 20_000


def join_rows() -> tuple[list[tuple[int, int | None, float]], list[tuple[int, str]]]:
    rng = random.Random(5)
    parent = [(i, f"item {i}") for i in range(1, JOIN_PARENT_ROWS + 1)]
    # About 1% of child keys are orphans (beyond the parent's range), 1% NULL.
    child = [
        (i, None if rng.random() < 0.01 else rng.randrange(1, int(JOIN_PARENT_ROWS * 1.01) + 1),
         round(rng.random() * 100, 2))
        for i in range(1, JOIN_CHILD_ROWS + 1)
    ]
    rng.shuffle(child)
    return child, parent


def join_tables(url: str) -> tuple[str, str]:
    """``bench_join_child`` and ``bench_join_parent`` at ``url``, without any index or key."""
    child_name, parent_name = "bench_join_child", "bench_join_parent"
    engine = sa.create_engine(url)
    try:
        if _count(engine, child_name) == JOIN_CHILD_ROWS and _count(engine, parent_name) == JOIN_PARENT_ROWS:
            return child_name, parent_name
        metadata = sa.MetaData()
        child = sa.Table(child_name, metadata, sa.Column("event_id", sa.Integer),
                         sa.Column("item_id", sa.Integer), sa.Column("amount", sa.Double))
        parent = sa.Table(parent_name, metadata, sa.Column("item_id", sa.Integer),
                          sa.Column("name", sa.String(40)))
        metadata.drop_all(engine)
        metadata.create_all(engine)
        child_rows, parent_rows = join_rows()
        with engine.begin() as conn:
            conn.execute(parent.insert(), [dict(zip(("item_id", "name"), r, strict=True)) for r in parent_rows])
            for start in range(0, len(child_rows), 20_000):
                conn.execute(child.insert(), [dict(zip(("event_id", "item_id", "amount"), r, strict=True))
                                              for r in child_rows[start : start + 20_000]])
        return child_name, parent_name
    finally:
        engine.dispose()


def drop_server_tables(url: str) -> list[str]:
    """Drop every ``bench_*`` table this module made at ``url``; the names dropped."""
    engine = sa.create_engine(url)
    try:
        names = [n for n in sa.inspect(engine).get_table_names()
                 if n.startswith(("bench_wide_", "bench_join_"))]
        with engine.begin() as conn:
            for name in names:
                conn.execute(sa.text(f"DROP TABLE {engine.dialect.identifier_preparer.quote(name)}"))
        return names
    finally:
        engine.dispose()

"""Benchmark tables: built once into SQLite under ``$PREFLIGHT_HOME/bench/`` and reused."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from preflight.settings import preflight_home

BATCH = 50_000


def bench_home() -> Path:
    return Path(preflight_home()).resolve() / "bench"


def write_table(path: Path, table: sa.Table, rows: Iterable[dict[str, Any]]) -> Path:
    """Write ``rows`` into ``table`` of a new SQLite file at ``path``, in batches.

    Built under a temporary name and renamed at the end, so only a complete database
    is ever found (and reused) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = sa.create_engine(f"sqlite:///{partial}")
    table.metadata.create_all(engine)
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
    engine.dispose()
    partial.rename(path)
    return path

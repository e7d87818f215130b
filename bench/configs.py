"""Preflight configurations the audit cases run `preflight audit` on (written, not shipped).

- ``small_catalog``: ``n`` small SQLite tables (40 rows; with ``text=True`` each also has a
  declared text column of short support messages), one use case over the first two;
- ``join_catalog``: the two join tables of :mod:`bench.data` on one source and a use case
  whose only cross-dataset need is their join coverage.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bench.tables import bench_home

ROWS = 40
MESSAGES = [
    "The delivery arrived two days late and the box was damaged.",
    "I would like to change the email address on my account.",
    "Thank you for the quick reply, the problem is solved now.",
    "My subscription renewed although I cancelled it last month.",
    "Could you please send me an invoice for the annual plan?",
    "La livraison est arrivée avec deux jours de retard.",
]


def _write(directory: Path, files: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return directory


def small_catalog(n: int, *, text: bool) -> Path:
    """The config directory of ``n`` small datasets (built on first use, cached)."""
    tag = f"small_{n}_{'text' if text else 'plain'}"
    root = bench_home() / "configs" / tag
    database = bench_home() / f"{tag}.sqlite"
    if (root / "catalog.yaml").exists() and database.exists():
        return root
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    rng = random.Random(n)
    now = datetime.now(UTC).replace(tzinfo=None)
    con = sqlite3.connect(database)
    names = [f"items_{i:04d}" for i in range(n)]
    for name in names:
        extra = ", message TEXT" if text else ""
        con.execute(f'CREATE TABLE "{name}" (item_id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL, '
                    f"category VARCHAR(20) NOT NULL, updated_at DATETIME NOT NULL{extra})")
        rows = []
        for i in range(ROWS):
            row: tuple[Any, ...] = (i, f"item {i}", "abc"[i % 3], (now - timedelta(hours=i)).isoformat(sep=" "))
            if text:
                row += (" ".join(rng.choices(MESSAGES, k=2)),)
            rows.append(row)
        con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(rows[0]))})', rows)  # noqa: S608 - the bench's own table names
    con.commit()
    con.close()
    catalog = {
        name: {
            "source": "lite",
            "table": name,
            "description": f"Synthetic items table {name}.",
            "owner": "data-platform@example.com",
            "classification": "internal",
            "primary_key": "item_id",
            "freshness": {"column": "updated_at", "slo": "3650d"},
            "required_columns": ["item_id", "name"],
            **({"text_columns": ["message"]} if text else {}),
        }
        for name in names
    }
    use_cases = {
        "item_suggestions": {
            "kind": "recommendation",
            "description": "Suggest similar items.",
            "owner": "ml@example.com",
            "business_sponsor": "Head of Product",
            "datasets": {names[0]: {"role": "items"}, **{name: {} for name in names[1:2]}},
        }
    }
    return _write(root, {
        "preflight.yaml": {"settings": {}, "sources": {"lite": {"url": f"sqlite:///{database}"}}},
        "catalog.yaml": {"datasets": catalog},
        "use_cases.yaml": {"use_cases": use_cases},
    })


def join_catalog(engine_name: str, url: str, child: str, parent: str) -> Path:
    """Two datasets on ``url`` and a use case whose only cross-dataset need is the join."""
    root = bench_home() / "configs" / f"join_{engine_name}"
    datasets = {
        child: {"source": "db", "table": child, "description": "Events (benchmark).", "owner": "bench@example.com"},
        parent: {"source": "db", "table": parent, "description": "Items (benchmark).", "owner": "bench@example.com"},
    }
    use_cases = {
        "joined": {
            "kind": "recommendation",
            "description": "Benchmark: the events' items must exist.",
            "owner": "bench@example.com",
            "business_sponsor": "Benchmarks",
            "datasets": {parent: {"role": "items"}, child: {"role": "events"}},
            "cross_checks": [{"type": "join_coverage", "from": f"{child}.item_id", "to": f"{parent}.item_id"}],
        }
    }
    return _write(root, {
        "preflight.yaml": {"settings": {}, "sources": {"db": {"url": url}}},
        "catalog.yaml": {"datasets": datasets},
        "use_cases.yaml": {"use_cases": use_cases},
    })

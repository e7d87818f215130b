"""The text-checks case's tables: the same generated support-ticket text, 100,000 and
1,000,000 rows, built once and cached under ``$PREFLIGHT_HOME/bench/``.

``make bench`` (``bench.cases``, ``bench.probes``) times drawing the bounded sample,
the PII scan and the text-fitness metrics on each, after :func:`_warm_up` has paid the
imports and the recognizers' first use. The sample is bounded, so the two should cost
about the same.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.tables import bench_home, write_table
from preflight.measure.checks.privacy import scan_texts
from preflight.measure.checks.text_fitness import assess_texts

TABLE = "tickets"
COLUMN = "body"
SIZES = (100_000, 1_000_000)
SAMPLE = 2000

SENTENCES = [
    "The delivery arrived two days late and the box was damaged.",
    "I would like to change the email address on my account.",
    "Thank you for the quick reply, the problem is solved now.",
    "My subscription renewed although I cancelled it last month.",
    "The article about the election results is missing its last paragraph.",
    "Could you please send me an invoice for the annual plan?",
    "The mobile app logs me out every time I open the settings page.",
    "I cannot find the podcast episode that was published yesterday.",
    "Please remove the duplicate charge from my statement.",
    "The newsletter arrives twice every morning since the update.",
    "La livraison est arrivée avec deux jours de retard.",
    "Die Lieferung kam zwei Tage zu spät.",
]
SIGNATURE = "Sent from my phone"


def _table() -> sa.Table:
    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(COLUMN, sa.Text),
    )


def _rows(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """The same sequence for every size: the small table is a prefix of the large one."""
    rng = random.Random(seed)
    for i in range(1, count + 1):
        roll = rng.random()
        if roll < 0.02:
            body: str | None = None
        elif roll < 0.03:
            body = ""
        else:
            body = (
                " ".join(rng.choices(SENTENCES, k=rng.randint(2, 6)))
                + f" Order {rng.randrange(10**6)}."
            )
            if roll < 0.06:
                body += f" You can reach me at customer{i}@example.com."
            elif roll < 0.08:
                body += f" Please call me back on +44 20 7946 {rng.randrange(10**4):04d}."
            if rng.random() < 0.3:
                body += f"\n{SIGNATURE}"
        yield {"id": i, COLUMN: body}


def build(rows: int) -> Path:
    """The cached database of ``rows`` rows, built on first use."""
    path = bench_home() / f"text_{rows}.db"
    if path.exists():
        engine = sa.create_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as conn:
                table = _table()
                if conn.execute(sa.select(sa.func.max(table.c.id))).scalar() == rows:
                    return path
        except sa.exc.SQLAlchemyError:
            pass
        finally:
            engine.dispose()
        path.unlink()
    write_table(path, _table(), _rows(rows))
    return path


def _warm_up() -> None:
    texts = [" ".join(SENTENCES[i : i + 3]) + " mail a.b@example.com" for i in range(8)]
    scan_texts(texts)
    assess_texts(texts)

"""What the privacy and text-fitness probes cost as a table grows ten-fold.

Builds (once, cached under ``$PREFLIGHT_HOME/bench/``) two SQLite tables of the same
generated support-ticket text, 100,000 and 1,000,000 rows, then times in one run, on each
table: drawing the bounded sample (``draw_sample``), the PII scan (``scan_texts``)
and the text-fitness metrics (``assess_texts``), best of three interleaved runs per step. The sample is bounded, so the two
totals should be about equal: the ratio printed at the end is the point of the exercise.
Imports and the recognizers' first use are paid before timing starts, so neither table
is charged for them.

    python -m bench.text_bench
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.tables import bench_home, write_table
from preflight.measure.checks.privacy import scan_texts
from preflight.measure.checks.text_fitness import assess_texts
from preflight.measure.sample import draw_sample

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


def _time_one(path: Path) -> dict[str, float]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        sample = draw_sample(engine, TABLE, COLUMN, n=SAMPLE, seed=0)
        sampled = time.perf_counter()
        scan_texts(sample.values)
        scanned = time.perf_counter()
        assess_texts(sample.values)
        assessed = time.perf_counter()
    finally:
        engine.dispose()
    return {
        "sample": sampled - started,
        "pii": scanned - sampled,
        "text": assessed - scanned,
        "total": assessed - started,
        "values": float(len(sample.values)),
    }


def _warm_up() -> None:
    texts = [" ".join(SENTENCES[i : i + 3]) + " mail a.b@example.com" for i in range(8)]
    scan_texts(texts)
    assess_texts(texts)


def run(repeat: int = 3) -> dict[int, dict[str, float]]:
    """Build (or reuse) both tables, time both, print the times and their ratio."""
    paths = {}
    for rows in SIZES:
        started = time.perf_counter()
        paths[rows] = build(rows)
        print(
            f"table of {rows:>9,} rows ready in {time.perf_counter() - started:6.1f} s  ({paths[rows].name})"
        )
    _warm_up()
    # Interleaved repeats, best kept per step: machine noise hits both tables alike and
    # the first run's cold page cache does not decide the ratio.
    results: dict[int, dict[str, float]] = {}
    for _ in range(repeat):
        for rows, path in paths.items():
            timing = _time_one(path)
            best = results.setdefault(rows, timing)
            for step in ("sample", "pii", "text"):
                best[step] = min(best[step], timing[step])
            best["total"] = best["sample"] + best["pii"] + best["text"]
    print(f"\nsample of {SAMPLE} values: sampling + PII scan + text fitness (best of {repeat})")
    print(f"{'rows':>11}  {'sample':>8}  {'pii':>8}  {'text':>8}  {'total':>8}")
    for rows, r in results.items():
        print(
            f"{rows:>11,}  {r['sample']:>7.2f}s  {r['pii']:>7.2f}s  {r['text']:>7.2f}s  {r['total']:>7.2f}s"
        )
    small, large = (results[rows]["total"] for rows in SIZES)
    print(
        f"\n{SIZES[1]:,} rows / {SIZES[0]:,} rows: {large / small:.2f}x the time for 10x the rows"
    )
    return results


if __name__ == "__main__":
    run()

"""Audit wall time through the Celery stack against `preflight audit`, measured in one run.

    PREFLIGHT_TEST_POSTGRES_URL=... PREFLIGHT_TEST_REDIS_URL=... python -m bench.celery_bench [--datasets 100]

(`make bench-celery`.) The same ``n`` small tables (20 rows each, half on PostgreSQL,
half on SQLite) are audited three times, each in a fresh process tree:

1. ``preflight audit`` (one process, datasets one after another): the baseline;
2. ``preflight_audit`` on the native Celery stack (:mod:`bench.celery_stack`) with the
   compose file's settings, i.e. workers that preload the audit modules;
3. the same with ``celery_config_options`` unset (cold workers: every task imports).

The Celery times run from the trigger to the end of the DAG run, so they include
scheduling, the plan, the evaluation and the gate. Printed as seconds and as ratios to
the CLI; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.celery_stack import CeleryStack, cli_audit_seconds, max_overlap, write_catalog

DAG_ID = "preflight_audit"


def celery_seconds(
    postgres: str, redis: str, home: Path, n: int, *, preload: bool, concurrency: int, limit: int
) -> tuple[float, dict[str, float]]:
    """One native Celery stack: trigger → end of the DAG run, and what the audit tasks did."""
    stack = CeleryStack(
        postgres_url=postgres, redis_url=redis, home=home, config_dir=home / "config",
        worker_concurrency=concurrency, preload=preload,
    )
    try:
        write_catalog(
            stack.config_dir, n_datasets=n, postgres_url=stack.create_database("source"),
            sqlite_path=home / "lite.db", limits={"pg": limit, "lite": limit},
            settings={"schedule": None, "max_parallel_audits": concurrency},
        )
        stack.prepare()
        stack.start_components()
        stack.wait_until(lambda: stack.dag_is_loaded(DAG_ID), "the DAG is loaded", timeout=600)
        if preload:  # let the worker finish preloading: its start-up is not the audit's time
            stack.wait_until(lambda: "audit modules preloaded" in (stack.logs / "celery-worker.log").read_text(errors="replace"),
                             "the worker has preloaded", timeout=600)
        started = time.monotonic()
        stack.trigger(DAG_ID, "manual__bench")
        state = stack.wait_for_run(DAG_ID, "manual__bench", timeout=3600)
        seconds = time.monotonic() - started
        if state != "success":
            raise RuntimeError(f"the Celery run ended {state}\n{stack.tails()}")
        audits = [r for r in stack.task_instances(DAG_ID, "manual__bench") if r.task_id.endswith(".audit_dataset") and r.end_date]
        durations = [(r.end_date - r.start_date).total_seconds() for r in audits if r.start_date and r.end_date]
        return seconds, {
            "task_median_s": statistics.median(durations),
            "max_at_once": float(max_overlap(audits)),
            "audits": float(len(audits)),
        }
    finally:
        stack.close()


def cli_seconds(postgres: str, home: Path, n: int) -> float:
    # Only the stack's databases are used: no Airflow process is started.
    stack = CeleryStack(postgres_url=postgres, redis_url="", home=home, config_dir=home / "config")
    try:
        catalog = write_catalog(
            stack.config_dir, n_datasets=n, postgres_url=stack.create_database("source"), sqlite_path=home / "lite.db"
        )
        env = {**os.environ, "PREFLIGHT_HOME": str(home)}
        return cli_audit_seconds(catalog.directory, env, stack.create_database("results"))
    finally:
        stack.drop_databases()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Celery stack vs preflight audit, same datasets, one run")
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes (and max_parallel_audits)")
    parser.add_argument("--limit", type=int, default=4, help="max_concurrent_audits of each of the two sources")
    args = parser.parse_args(argv)
    postgres, redis = os.environ.get("PREFLIGHT_TEST_POSTGRES_URL"), os.environ.get("PREFLIGHT_TEST_REDIS_URL")
    if not (postgres and redis):
        sys.exit("set PREFLIGHT_TEST_POSTGRES_URL and PREFLIGHT_TEST_REDIS_URL (a Redis database of its own)")
    n = args.datasets
    with tempfile.TemporaryDirectory(prefix="preflight-celery-bench-") as tmp:
        root = Path(tmp)
        cli = cli_seconds(postgres, root / "cli", n)
        print(f"preflight audit, {n} datasets: {cli:.1f}s", flush=True)
        rows = []
        for label, preload in (("Celery, warm workers (compose settings)", True), ("Celery, cold workers", False)):
            seconds, facts = celery_seconds(
                postgres, redis, root / ("warm" if preload else "cold"), n,
                preload=preload, concurrency=args.concurrency, limit=args.limit,
            )
            rows.append((label, seconds, facts))
            print(
                f"{label}: {seconds:.1f}s = {seconds / cli:.1f}x the CLI · audit task median "
                f"{facts['task_median_s']:.2f}s · at most {facts['max_at_once']:.0f} at once",
                flush=True,
            )
    print(f"\n{n} small datasets, {os.cpu_count()} CPUs, worker concurrency {args.concurrency}, "
          f"{args.limit} per source")
    print(f"| path | wall time | vs CLI |\n|---|---|---|\n| `preflight audit` | {cli:.1f} s | 1.0x |")
    for label, seconds, _ in rows:
        print(f"| {label} | {seconds:.1f} s | {seconds / cli:.1f}x |")


if __name__ == "__main__":
    main()

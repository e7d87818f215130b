"""`make bench`: every case of issue 11, measured in one run, written to
``benchmarks/results.md`` (tables and the "Done when" list) and ``results.json``.

    python -m bench.run                      # the default cases, 3 interleaved runs each
    python -m bench.run --large              # also the 10M-row profiles
    python -m bench.run --only profile-sqlite-1m --only text --runs 1

A run that leaves cases out (``--only``) or runs fewer than 3 times writes under
``$PREFLIGHT_HOME/bench/last/`` instead, so ``benchmarks/`` only ever holds a full run.
Method, and what each CPU column includes: :mod:`bench.harness` and results.md's header.
The Celery stack against `preflight audit` is `make bench-celery` (bench.celery_bench).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import cases, venvs
from bench.harness import CaseResult, run_case, skipped_case
from bench.report import done_when, render
from bench.tables import bench_home

REPO = Path(__file__).resolve().parents[1]


def _server_version(url: str | None, sql: str) -> str | None:
    if not url:
        return None
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql(sql).scalar_one())
    except sa.exc.SQLAlchemyError as exc:
        return f"unreachable ({type(exc).__name__})"
    finally:
        engine.dispose()


def _package(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    urls = cases.engine_urls()
    return {
        "CPUs": os.cpu_count(),
        "machine": f"{platform.machine()}, {platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Preflight": f"{_package('preflight')} at git {git('rev-parse', '--short=12', 'HEAD') or 'unknown'}"
        + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _server_version(urls["postgresql"], "SHOW server_version"),
        "MariaDB": _server_version(urls["mariadb"], "SELECT VERSION()"),
        "SQLAlchemy": _package("sqlalchemy"),
        "Great Expectations": _package("great_expectations"),
        "Soda Core": venvs.version("soda", "soda-core"),
        "ydata-profiling": venvs.version("ydata", "ydata-profiling"),
    }


def derive(case: CaseResult) -> None:
    """Figures a case's target needs beyond its table: the audit-CPU slope and intercept,
    the join's CPU over one scan's."""
    if case.skipped:
        return
    if case.name.startswith("join-"):
        scan, join = case.summary("one scan"), case.summary("join coverage")
        if scan["failed"] or join["failed"] or not scan["work_total_cpu_s"]:
            return
        inner = join["inner"]
        if "query_cpu_s" in inner:
            statement = inner["query_cpu_s"] + inner.get("query_server_cpu_s", 0.0)
            case.derived["join_statement_over_scan_cpu"] = statement / scan["work_total_cpu_s"]
        if join["work_total_cpu_s"] is not None:
            case.derived["join_measure_over_scan_cpu"] = join["work_total_cpu_s"] / scan["work_total_cpu_s"]
        return
    if case.name != "audit-cpu":
        return
    n = cases.AUDIT_CPU_N

    def cpu(label: str) -> float | None:
        summary = case.summary(label)
        return None if summary["failed"] else summary["cpu_s"]

    for key, text in (("plain", "no text column"), ("text", "one text column")):
        one, many = cpu(f"1 dataset, {text}"), cpu(f"{n} datasets, {text}")
        if one is None or many is None:
            continue
        per = (many - one) / (n - 1)
        case.derived[f"per_dataset_{key}_cpu_s"] = per
        case.derived[f"fixed_{key}_cpu_s"] = one - per


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run only this case (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per variant (default 3)")
    parser.add_argument("--large", action="store_true", help="also profile 10M-row tables")
    parser.add_argument("--out", type=Path, help="where results.md/json go")
    args = parser.parse_args(argv)

    known = cases.builders(args.large)
    unknown = [name for name in args.only if name not in known]
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = [name for name in known if not args.only or name in args.only]
    partial = bool(args.only) or args.runs < 3
    out = args.out or (bench_home() / "last" if partial else REPO / "benchmarks")
    out.mkdir(parents=True, exist_ok=True)
    # Each process's output tails, for a failure's details: local paths, so never in benchmarks/.
    log = bench_home() / "bench.log"
    log.write_text("")

    started, began = datetime.now(UTC), time.perf_counter()
    print(f"make bench: {len(chosen)} cases, {args.runs} runs each → {out}", flush=True)
    results: list[CaseResult] = []
    for name in chosen:
        print(f"{name}: preparing", flush=True)
        case = known[name]()
        if case.skipped:
            print(f"{name}: skipped: {case.skipped}", flush=True)
            results.append(skipped_case(case.name, case.title, case.skipped))
            continue
        result = run_case(case.name, case.title, case.variants, args.runs, log=log, notes=case.notes,
                          progress=lambda line: print(line, flush=True), warmup=case.warmup)
        result.derived.update({"not_measured": case.not_measured} if case.not_measured else {})
        derive(result)
        results.append(result)

    report: dict[str, Any] = {
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": time.perf_counter() - began,
        "args": " ".join(argv if argv is not None else sys.argv[1:]),
        "runs": args.runs,
        "partial": partial,
        "versions": versions(),
        "cases": [r.to_json() for r in results],
    }
    report["done_when"] = done_when(report)
    (out / "results.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    (out / "results.md").write_text(render(report))
    print(f"wrote {out / 'results.md'} and results.json in {report['duration_s'] / 60:.1f} min (processes' output: {log})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

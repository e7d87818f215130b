"""The cases of `make bench` (issue 11): what runs against what, as whole processes.

Each builder returns a :class:`Case` (variants, baseline first) or the reason it is
skipped. Data is built before a case's clock starts (:mod:`bench.data`, cached).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import configs, data, text_bench, venvs
from bench.dag_parse_bench import DAG_FILE, write_config
from bench.handwritten import WIDE_COLUMNS
from bench.harness import Variant
from bench.tables import bench_home

PY = sys.executable
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
COLUMNS_JSON = json.dumps([[name, kind] for name, kind, _, _ in WIDE_COLUMNS])
TOOLS_DIR = Path(__file__).resolve().parent / "tools"


@dataclass
class Case:
    name: str
    title: str
    variants: list[Variant] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    warmup: bool = False  # one unmeasured run of each variant first
    not_measured: list[str] = field(default_factory=list)  # variants that could not run at all


def preflight_cli() -> list[str]:
    """The installed console script, as a user runs it (the module when there is none)."""
    script = Path(PY).parent / "preflight"
    return [str(script)] if script.exists() else [PY, "-m", "preflight.cli"]


def _home(case: str, variant: str) -> dict[str, str]:
    """A fresh PREFLIGHT_HOME per variant: audits write their results store there."""
    home = bench_home() / "homes" / f"{case}-{variant}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    return {"PREFLIGHT_HOME": str(home), "PREFLIGHT_RESULTS_URL": f"sqlite:///{home / 'results.db'}"}


def engine_urls() -> dict[str, str | None]:
    return {
        "sqlite": "sqlite",
        "postgresql": os.environ.get("PREFLIGHT_TEST_POSTGRES_URL") or None,
        "mariadb": os.environ.get("PREFLIGHT_TEST_MARIADB_URL") or None,
    }


def _unset(engine: str) -> str:
    variable = {"postgresql": "PREFLIGHT_TEST_POSTGRES_URL", "mariadb": "PREFLIGHT_TEST_MARIADB_URL"}[engine]
    return f"{variable} is not set"


# --- profile -----------------------------------------------------------------------


def profile_case(engine: str, size: str, *, tools: bool = True) -> Case:
    rows = SIZES[size]
    name, title = f"profile-{engine}-{size}", f"Profile, {engine}, {rows:,} rows × 20 columns"
    if engine == "sqlite":
        url, table, server = f"sqlite:///{data.wide_sqlite(rows)}", "wide", None
    else:
        pg = engine_urls()["postgresql"]
        if pg is None:
            return Case(name, title, skipped=_unset(engine))
        url, table, server = pg, data.wide_postgres(pg, rows), "postgresql"
    case = Case(name, title, notes=[
        "hand-written query: one process that imports only the database driver and runs one "
        "aggregate statement (bench/handwritten.py)",
        "preflight profile: the whole CLI process (`preflight profile --url … --table …`), JSON to stdout",
    ])
    case.variants += [
        Variant("hand-written query", [PY, "-m", "bench.probes", "handwritten", url, table], server=server),
        Variant("preflight profile", [*preflight_cli(), "profile", "--url", url, "--table", table], server=server),
    ]
    if not tools:
        return case
    case.variants.append(Variant("Great Expectations", [PY, "-m", "bench.probes", "gx", url, table], server=server))
    case.notes.append("Great Expectations: one ephemeral context, a suite of 101 expectations whose observed "
                      "values are the same per-column figures (no min/mean/max length), validated on the table")
    tools_here = [("soda", "Soda Core", "soda_scan.py", [COLUMNS_JSON])]
    if engine == "sqlite":
        # ydata-profiling reads the whole table into pandas and profiles the DataFrame: its
        # cost hardly depends on the engine, and one engine keeps the run bounded.
        tools_here.append(("ydata", "ydata-profiling minimal", "ydata_minimal.py", []))
    for tool, label, script, extra in tools_here:
        python, reason = venvs.interpreter(tool)
        if python is None:
            case.notes.append(f"{label}: not measured: {reason}")
            case.not_measured.append(label)
            continue
        case.variants.append(Variant(label, [str(python), str(TOOLS_DIR / script), url, table, *extra], server=server))
    case.notes.append("Soda Core: a scan with row_count, missing_count, duplicate_count per column, min/max/avg/stddev "
                      "for numbers, min/avg/max length for text"
                      + ("; on SQLite through pandas + DuckDB (Soda Core 3 has no SQLite data source)"
                         if engine == "sqlite" else ""))
    if engine == "sqlite":
        case.notes.append("ydata-profiling: the table read into pandas, ProfileReport(minimal=True).to_json(); "
                          "run on SQLite only (its cost is pandas', whatever the engine)")
    return case


# --- text checks -------------------------------------------------------------------


def text_case() -> Case:
    case = Case("text", "Text checks (sample + PII scan + text fitness of one column), after imports", notes=[
        "the work figures are the bounded sample (2,000 values) drawn and checked, after a warm-up that "
        "pays imports and the recognizers' first use; the process figures include both",
    ])
    for rows in text_bench.SIZES:
        path = text_bench.build(rows)
        case.variants.append(Variant(f"{rows:,} rows", [PY, "-m", "bench.probes", "text", str(path)]))
    return case


# --- DAG parse ---------------------------------------------------------------------


def dag_parse_case() -> Case:
    case = Case("dag-parse", "Parse of the audit DAG file as the catalog grows", warmup=True, notes=[
        "each process imports airflow.sdk first (as the DAG processor has); work = running the DAG file",
    ])
    for n in (10, 100, 1000):
        root = bench_home() / "configs" / f"dag_{n}"
        write_config(root, n, one_file=False)
        env = {"PREFLIGHT_CONFIG": str(root), "AIRFLOW_HOME": str(bench_home() / "airflow-home"),
               **_home("dag-parse", str(n))}
        case.variants.append(Variant(f"{n:,} datasets", [PY, "-m", "bench.probes", "dag_parse", str(DAG_FILE)], env=env))
    return case


# --- audits ------------------------------------------------------------------------


def workers_option() -> bool:
    """Whether `preflight audit` on the code under test has ``--workers``."""
    done = subprocess.run([*preflight_cli(), "audit", "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"})
    return "--workers" in done.stdout


def audit_many_case(n: int = 1000) -> Case:
    name, title = "audit-1000", f"`preflight audit` of {n:,} small datasets (SQLite), sequential vs parallel"
    if not workers_option():
        return Case(name, title, skipped="not available: `preflight audit` has no --workers option in the code under test")
    config = str(configs.small_catalog(n, text=False))
    case = Case(name, title, notes=[f"{n:,} tables of {configs.ROWS} rows, no text column, no suite, one use case",
                                    f"{os.cpu_count()} CPUs on this machine"])
    for label, extra in (("--workers 1", ["--workers", "1"]), ("default workers", [])):
        case.variants.append(Variant(label, [*preflight_cli(), "audit", "-q", "--config", config, *extra],
                                     env=_home(name, label.replace(" ", "_")), timeout=7200, ok_codes=(0, 1)))
    return case


AUDIT_CPU_N = 21


def audit_cpu_case() -> Case:
    """1 and 21 small datasets, with and without a text column: the slope is the CPU per
    dataset after imports, the intercept what every process pays (imports, config, report)."""
    name = "audit-cpu"
    sequential = ["--workers", "1"] if workers_option() else []
    case = Case(name, "Audit CPU per small dataset, and what a `preflight audit` process pays before it", warmup=True, notes=[
        f"`preflight audit{' --workers 1' if sequential else ''}` on 1 and {AUDIT_CPU_N} datasets of "
        f"{configs.ROWS} rows; per dataset = (CPU({AUDIT_CPU_N}) − CPU(1)) / {AUDIT_CPU_N - 1}; "
        "fixed cost (imports, config, judging, report) = CPU(1) − one dataset",
    ])
    for text in (False, True):
        for n in (1, AUDIT_CPU_N):
            label = f"{n} dataset{'s' if n > 1 else ''}, {'one text column' if text else 'no text column'}"
            config = str(configs.small_catalog(n, text=text))
            case.variants.append(Variant(label, [*preflight_cli(), "audit", "-q", "--config", config, *sequential],
                                         env=_home(name, f"{n}-{text}"), ok_codes=(0, 1)))
    return case


# --- join coverage -----------------------------------------------------------------


def join_case(engine: str) -> Case:
    name = f"join-{engine}"
    title = (f"Join coverage, {engine}, {data.JOIN_CHILD_ROWS:,} × {data.JOIN_PARENT_ROWS:,} rows, "
             "no index, against one scan of the larger table")
    url = engine_urls()[engine]
    if url is None:
        return Case(name, title, skipped=_unset(engine))
    if engine == "sqlite":
        url = f"sqlite:///{bench_home() / 'join.sqlite'}"
    child, parent = data.join_tables(url)
    config = str(configs.join_catalog(engine, url, child, parent))
    server = None if engine == "sqlite" else engine
    case = Case(name, title, warmup=True, notes=[
        "one scan: `SELECT count(*), count(item_id)` over the child table, driver only; work = the mean of 5 scans",
        "join coverage: Preflight's own measure (preflight.measure.use_case.measure_cross on the planned join) in "
        "a process that has imported Preflight first; work = the mean of 5 calls, reflection of both tables "
        "included; the join statement alone is timed from its execute to its result",
        "preflight audit: the whole CLI audit of the two-dataset config with the join need (for scale)",
    ])
    env = _home(name, "probe")
    case.variants += [
        Variant("one scan", [PY, "-m", "bench.probes", "scan", url, child, "item_id"], server=server),
        Variant("join coverage", [PY, "-m", "bench.probes", "join", config], env=env, server=server, timeout=1800),
        Variant("preflight audit", [*preflight_cli(), "audit", "-q", "--config", config],
                env=_home(name, "audit"), server=server, timeout=1800, ok_codes=(0, 1)),
    ]
    return case


# --- the list ----------------------------------------------------------------------


def builders(large: bool) -> dict[str, Callable[[], Case]]:
    found: dict[str, Callable[[], Case]] = {}
    for engine in ("sqlite", "postgresql"):
        for size in ("100k", "1m"):
            found[f"profile-{engine}-{size}"] = lambda e=engine, s=size: profile_case(e, s)  # type: ignore[misc]
        if large:
            found[f"profile-{engine}-10m"] = lambda e=engine: profile_case(e, "10m", tools=False)  # type: ignore[misc]
    found["text"] = text_case
    found["dag-parse"] = dag_parse_case
    found["audit-cpu"] = audit_cpu_case
    found["audit-1000"] = audit_many_case
    for engine in ("sqlite", "postgresql", "mariadb"):
        found[f"join-{engine}"] = lambda e=engine: join_case(e)  # type: ignore[misc]
    return found

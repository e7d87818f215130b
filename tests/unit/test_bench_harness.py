"""The pure parts of `make bench`: medians, the interleaved order, what a process reports
about itself, the hand-written query, and the Done-when verdicts of the report. No timing
is asserted: speed lives in the benchmark's own output."""

from __future__ import annotations

import sys
from typing import Any

from bench.handwritten import handwritten_sql
from bench.harness import CaseResult, Run, Variant, interleave, measure, median, parse_inner
from bench.report import done_when, render


def test_median_ignores_what_was_not_measured() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, None, 2.0]) == 3.0
    assert median([None, None]) is None
    assert median([]) is None


def test_variants_interleave_round_by_round() -> None:
    assert list(interleave(["a", "b", "c"], 2)) == [(0, "a"), (0, "b"), (0, "c"), (1, "a"), (1, "b"), (1, "c")]


def test_the_last_bench_line_is_what_a_process_reports() -> None:
    out = 'noise\nBENCH {"work_cpu_s": 1.5}\nmore\nBENCH {"work_cpu_s": 2.5, "rows": 3}\n'
    assert parse_inner(out) == {"work_cpu_s": 2.5, "rows": 3}
    assert parse_inner("no report here\n") == {}


def test_a_measured_process_reports_itself_and_a_failure_is_an_error() -> None:
    ok = measure(Variant("ok", [sys.executable, "-c", 'print("BENCH {\\"x\\": 1}")']), 0)
    assert ok.error is None and ok.returncode == 0
    assert ok.inner == {"x": 1}
    assert ok.cpu_s >= 0 and ok.peak_rss_mb > 0 and ok.server_cpu_s is None
    failed = measure(Variant("bad", [sys.executable, "-c", "import sys; sys.exit('broken on purpose')"]), 0)
    assert failed.returncode == 1 and failed.error is not None and "broken on purpose" in failed.error
    allowed = measure(Variant("blocked", [sys.executable, "-c", "raise SystemExit(1)"], ok_codes=(0, 1)), 0)
    assert allowed.error is None


def test_peak_memory_is_the_process_own_not_the_harness() -> None:
    # The harness holds this ballast while it starts both: neither may be charged for it.
    ballast = b"x" * (300 * 1024 * 1024)  # touched pages: resident
    small = measure(Variant("small", [sys.executable, "-c", "pass"]), 0)
    big = measure(Variant("big", [sys.executable, "-c", "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"]), 0)
    assert small.peak_rss_mb < 100 < 200 <= big.peak_rss_mb < 300
    del ballast


def test_a_failed_run_is_reported_never_averaged_in() -> None:
    runs = [Run("a", 0, 1.0, 1.0, 10.0), Run("a", 1, 100.0, 100.0, 10.0, error="exit 2: boom"),
            Run("a", 2, 3.0, 3.0, 10.0)]
    case = CaseResult("c", "C", "a", runs, (0, 0, 0), (0, 0, 0), 1.0)
    summary = case.summary("a")
    assert summary["cpu_s"] == 2.0 and summary["failed"] == 1 and summary["errors"] == ["exit 2: boom"]


def test_the_hand_written_query_is_one_statement_in_each_dialect() -> None:
    columns = [("id", "numeric"), ("note", "text"), ("at", "temporal"), ("ok", "boolean")]
    sqlite = handwritten_sql("t", columns, "sqlite")
    postgres = handwritten_sql("t", columns, "postgresql")
    assert sqlite.count("SELECT") == postgres.count("SELECT") == 1
    assert 'count(DISTINCT "note")' in sqlite and 'length("note")' in sqlite and "stddev" not in sqlite
    assert 'char_length("note")' in postgres and 'stddev_samp("id")' in postgres
    assert 'min(CAST("ok" AS INTEGER))' in postgres and postgres.endswith('FROM "t"')


def _summary(total: float, failed: int = 0, **inner: float) -> dict[str, Any]:
    return {"runs": 3, "failed": failed, "errors": ["exit 2"] if failed else [], "cpu_s": total,
            "server_cpu_s": None, "total_cpu_s": total, "wall_s": total, "peak_rss_mb": 100.0,
            "inner": inner, "work_total_cpu_s": inner.get("work_cpu_s")}


def _case(name: str, summary: dict[str, Any], *, skipped: str | None = None,
          derived: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "title": name, "baseline": next(iter(summary), ""), "skipped": skipped, "notes": [],
            "load_before": (1.0, 1.0, 1.0), "load_after": (1.0, 1.0, 1.0), "seconds": 5.0, "summary": summary,
            "derived": derived or {}, "runs": []}


def test_done_when_says_met_not_met_and_not_measured_honestly() -> None:
    results: dict[str, Any] = {
        "started": "today", "duration_s": 60.0, "args": "", "runs": 3, "versions": {"CPUs": 2},
        "cases": [
            _case("profile-sqlite-1m", {"hand-written query": _summary(10.0), "preflight profile": _summary(10.5),
                                        "Great Expectations": _summary(12.0), "Soda Core": _summary(9.0),
                                        "ydata-profiling minimal": _summary(80.0, failed=1)}),
            _case("profile-postgresql-1m", {"hand-written query": _summary(10.0),
                                            "preflight profile": _summary(12.0),
                                            "Great Expectations": _summary(11.0)},
                  derived={"not_measured": ["Soda Core"]}),
            _case("audit-1000", {}, skipped="not available: no --workers"),
            _case("join-mariadb", {"one scan": _summary(1.0, work_cpu_s=0.1)},
                  derived={"join_statement_over_scan_cpu": 1.5, "join_measure_over_scan_cpu": 1.8}),
        ],
    }
    targets = {t["target"]: t for t in done_when(results)}
    status = {key.split(",")[1].strip() if key.startswith("`preflight profile`") else key: t["status"]
              for key, t in targets.items()}
    assert status["sqlite"] == "met" and status["postgresql"] == "NOT met"
    workers = next(t for k, t in targets.items() if k.startswith("1,000 small datasets"))
    assert workers["status"] == "not measured" and "--workers" in workers["figure"]
    joins = [t for k, t in targets.items() if k.startswith("join coverage")]
    assert [t["status"] for t in joins] == ["not measured", "not measured", "met"]
    ahead = next(t for k, t in targets.items() if k.startswith("Preflight ahead"))
    # Behind Great Expectations, and a failed ydata run is not a win: not met.
    assert ahead["status"] == "NOT met" and "behind: Great Expectations in profile-postgresql-1m" in ahead["figure"]
    assert "ydata-profiling minimal in profile-sqlite-1m" in ahead["figure"]
    # Soda Core on SQLite ran on DuckDB: shown as not comparable, neither a win nor a loss.
    assert "not comparable: Soda Core in profile-sqlite-1m ran on DuckDB" in ahead["figure"]
    assert "0.86× Preflight's CPU" in ahead["figure"]
    # A tool whose environment is missing is not measured, never a win either.
    assert "Soda Core in profile-postgresql-1m" in ahead["figure"]

    results["done_when"] = list(targets.values())
    page = render(results)
    assert page.startswith("# Preflight benchmarks") and "## Done when (issue 11)" in page
    assert "Skipped: not available: no --workers." in page
    assert "| preflight profile | 3 |" in page and "1.05×" in page

"""benchmarks/results.md from a run's results (the same dict as results.json): tables per
case and the issue's "Done when" list, each target with its figure and met / NOT met.
Pure: no measuring, no clock, so it can be tested and re-rendered from results.json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Target = dict[str, Any]


def _s(value: float | None, unit: str = " s") -> str:
    if value is None:
        return "—"
    return f"{value:.3f}{unit}" if value < 10 else f"{value:.1f}{unit}"


def _x(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "—"
    return f"{value / base:.2f}×"


# Contenders that cannot run on a case's engine and ran on another one instead: their
# figures are shown, but a faster engine is not a faster profiler, so they are not compared.
_OTHER_ENGINE = {("sqlite", "Soda Core"): "DuckDB over a pandas copy (Soda Core 3 has no SQLite data source)"}


def _case(results: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((c for c in results["cases"] if c["name"] == name), None)


def _summary(results: dict[str, Any], name: str, variant: str) -> dict[str, Any] | None:
    case = _case(results, name)
    if case is None or case["skipped"]:
        return None
    found = case["summary"].get(variant)
    return found if found and not found["failed"] else None


def _why_missing(results: dict[str, Any], name: str, variant: str = "") -> str:
    case = _case(results, name)
    if case is None:
        return f"case {name} was not run"
    if case["skipped"]:
        return f"{name} skipped: {case['skipped']}"
    found = case["summary"].get(variant)
    if found is None:
        return f"{variant} not measured in {name}"
    return f"{variant} failed in {name}: {'; '.join(found['errors'])[:200]}"


def _target(text: str, figure: float | None, limit: float, shown: Callable[[float], str], missing: str,
            *, at_most: bool = True) -> Target:
    if figure is None:
        return {"target": text, "figure": f"not measured ({missing})", "status": "not measured"}
    met = figure <= limit if at_most else figure >= limit
    return {"target": text, "figure": shown(figure), "status": "met" if met else "NOT met"}


def done_when(results: dict[str, Any]) -> list[Target]:
    """The issue's targets, each judged on this run's medians; what was not measured is
    never met."""
    targets: list[Target] = []
    for engine in ("sqlite", "postgresql"):
        name = f"profile-{engine}-1m"
        hand, profile = _summary(results, name, "hand-written query"), _summary(results, name, "preflight profile")
        ratio = profile["total_cpu_s"] / hand["total_cpu_s"] if hand and profile else None
        targets.append(_target(
            f"`preflight profile` (whole CLI process) ≤ 1.1× the hand-written query at 1M rows, {engine}, CPU "
            "(client + server)", ratio, 1.1, lambda r: f"{r:.2f}×",
            _why_missing(results, name, "preflight profile" if hand else "hand-written query")))

    derived = (_case(results, "audit-cpu") or {}).get("derived", {})
    targets.append(_target(
        "audit of a small dataset with one text column ≤ 0.3 s CPU after imports",
        derived.get("per_dataset_text_cpu_s"), 0.3, lambda v: f"{v:.3f} s per dataset",
        _why_missing(results, "audit-cpu", "21 datasets, one text column")))
    targets.append(_target(
        "`preflight audit` on a config without text columns or suites imports in ≤ 1.5 s CPU "
        "(measured: the process's fixed cost, imports + config + judging + report)",
        derived.get("fixed_plain_cpu_s"), 1.5, lambda v: f"{v:.3f} s",
        _why_missing(results, "audit-cpu", "1 dataset, no text column")))

    seq, par = (_summary(results, "audit-1000", v) for v in ("--workers 1", "default workers"))
    share = par["wall_s"] / seq["wall_s"] if seq and par else None
    targets.append(_target(
        "1,000 small datasets audited by the CLI in ≤ 1/1.8 (0.556) of the sequential wall time",
        share, 1 / 1.8, lambda r: f"{r:.3f} of sequential ({1 / r:.2f}× faster)",
        _why_missing(results, "audit-1000", "default workers" if seq else "--workers 1")))

    for engine in ("sqlite", "postgresql", "mariadb"):
        name = f"join-{engine}"
        joined = (_case(results, name) or {}).get("derived", {})
        whole = joined.get("join_measure_over_scan_cpu")
        targets.append(_target(
            f"join coverage 336k × 20k without indexes ≤ 2× one scan of the larger table, {engine}, CPU "
            "(client + server) of the join statement", joined.get("join_statement_over_scan_cpu"), 2.0,
            lambda r, w=whole: f"{r:.2f}×" + (f" (the whole measure, reflection included: {w:.2f}×)" if w else ""),
            _why_missing(results, name, "join coverage")))

    behind: list[str] = []
    compared = 0
    missing: list[str] = []
    elsewhere: list[str] = []
    for case in results["cases"]:
        if not case["name"].startswith("profile-") or case["skipped"] or case["name"].endswith("10m"):
            continue
        ours = case["summary"].get("preflight profile")
        absent = case.get("derived", {}).get("not_measured", [])
        for tool in ("Great Expectations", "Soda Core", "ydata-profiling minimal"):
            if tool not in case["summary"] and tool not in absent:
                continue  # not a contender in this case
            theirs = case["summary"].get(tool)
            engine = _OTHER_ENGINE.get((case["name"].split("-")[1], tool))
            if engine:  # shown in the case's table, but it measures another engine
                ratio = _x(theirs["total_cpu_s"], ours["total_cpu_s"]) if ours and theirs else "—"
                elsewhere.append(f"{tool} in {case['name']} ran on {engine} ({ratio} Preflight's CPU)")
                continue
            if not ours or ours["failed"] or not theirs or theirs["failed"]:
                missing.append(f"{tool} in {case['name']}")
                continue
            compared += 1
            if ours["total_cpu_s"] >= theirs["total_cpu_s"]:
                behind.append(f"{tool} in {case['name']}")
    if compared == 0:
        row = {"figure": "not measured (" + "; ".join(missing[:4]) + ")", "status": "not measured"}
    else:
        figure = f"ahead in {compared - len(behind)} of {compared} same-engine comparisons (CPU)"
        if behind:
            figure += "; behind: " + ", ".join(behind)
        if missing:
            figure += "; not measured: " + ", ".join(missing)
        if elsewhere:
            figure += "; not comparable: " + ", ".join(elsewhere)
        row = {"figure": figure, "status": "met" if not behind and not missing else "NOT met"}
    targets.append({"target": "Preflight ahead of Great Expectations, Soda Core and ydata-profiling on the same "
                              "figures, in the same run (profile cases, CPU)", **row})
    return targets


def _case_table(case: dict[str, Any]) -> list[str]:
    lines = [f"### {case['title']}", ""]
    if case["skipped"]:
        return [*lines, f"Skipped: {case['skipped']}.", ""]
    base = case["summary"].get(case["baseline"], {})
    work = any(s["work_total_cpu_s"] is not None for s in case["summary"].values())
    head = "| variant | runs | CPU client | CPU server | CPU total | × baseline | wall | × baseline | peak RSS |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    if work:
        head += " work CPU | work × baseline | work wall |"
        rule += "---:|---:|---:|"
    lines += [head, rule]
    for variant, s in case["summary"].items():
        runs = f"{s['runs'] - s['failed']}" + (f" ({s['failed']} failed)" if s["failed"] else "")
        row = (f"| {variant}{' (baseline)' if variant == case['baseline'] else ''} | {runs} | {_s(s['cpu_s'])} | "
               f"{_s(s['server_cpu_s'])} | {_s(s['total_cpu_s'])} | {_x(s['total_cpu_s'], base.get('total_cpu_s'))} | "
               f"{_s(s['wall_s'])} | {_x(s['wall_s'], base.get('wall_s'))} | {_s(s['peak_rss_mb'], ' MB')} |")
        if work:
            row += (f" {_s(s['work_total_cpu_s'])} | {_x(s['work_total_cpu_s'], base.get('work_total_cpu_s'))} | "
                    f"{_s(s['inner'].get('work_wall_s'))} |")
        lines.append(row)
    lines.append("")
    lb, la = case["load_before"], case["load_after"]
    lines.append(f"Load average before {lb[0]:.2f} / {lb[1]:.2f} / {lb[2]:.2f}, after "
                 f"{la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} (1/5/15 min); case took {case['seconds']:.0f} s.")
    for variant, s in case["summary"].items():
        for error in s["errors"]:
            lines.append(f"- {variant}: {error}")
    for note in case["notes"]:
        lines.append(f"- {note}")
    for key, value in case.get("derived", {}).items():
        if key == "not_measured":
            continue
        shown = (f"{value:.2f}×" if key.endswith("_over_scan_cpu") else _s(value)) if isinstance(value, float) else value
        lines.append(f"- {key}: {shown}")
    return [*lines, ""]


def render(results: dict[str, Any]) -> str:
    v = results["versions"]
    lines = [
        "# Preflight benchmarks",
        "",
        f"Written by `make bench` from one run: started {results['started']}, took "
        f"{results['duration_s'] / 60:.1f} min; arguments `{results['args'] or '(none)'}`; "
        f"{results['runs']} interleaved runs per variant, medians.",
        "",
        "**What the columns mean.** Every variant runs as a whole process (interpreter start and imports "
        "count), the variants of a case interleaved (A B C, A B C, …). *CPU client*: user + system CPU of "
        "the process and its children (`os.wait4`). *CPU server*: CPU of the local database server's "
        "processes during the run (PostgreSQL: all `postgres` processes, including ended backends reaped "
        "by the postmaster; MariaDB: `mariadbd`, all threads) — server-wide, so another session's work "
        "in those seconds counts too; SQLite runs inside the client (—). *CPU total* = client + server; "
        "ratios are against the case's baseline. *Work*: what the process measured about its own work "
        "after its imports (client CPU + its own PostgreSQL backend's CPU, or the server-wide figure on "
        "MariaDB). *Peak RSS*: the largest resident set of the process or a child.",
        "",
        "## Done when (issue 11)",
        "",
        "| target | measured | status |",
        "|---|---|---|",
    ]
    for t in results["done_when"]:
        lines.append(f"| {t['target']} | {t['figure']} | **{t['status']}** |")
    memory = [(c["title"], c["summary"]["preflight profile"]["peak_rss_mb"]) for c in results["cases"]
              if c["name"].startswith("profile-") and not c["skipped"] and "preflight profile" in c["summary"]]
    if memory:
        lines += ["", "Peak RSS of the `preflight profile` process (median): "
                  + "; ".join(f"{title}: {_s(mb, ' MB')}" for title, mb in memory)
                  + ("." if any("10,000,000" in t for t, _ in memory) else
                     ". (10M rows only with `BENCH_ARGS=--large`.)")]
    lines += ["", "## Machine and versions", ""]
    lines += [f"- {key}: {value if value is not None else 'not found'}" for key, value in v.items()]
    lines += ["", "## Cases", ""]
    for case in results["cases"]:
        lines += _case_table(case)
    return "\n".join(lines).rstrip() + "\n"

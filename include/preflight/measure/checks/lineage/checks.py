"""Judging a dataset's lineage: the lineage sub-checks, the per-source cached loading of
the graph, and the registered ``lineage`` probe."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.engines.connect import source_url
from preflight.errors import PreflightError
from preflight.measure.checks.lineage.events import (
    LineageReadError,
    LineageSourceError,
    _display_url,
    read_events_file,
    read_marquez,
)
from preflight.measure.checks.lineage.graph import (
    FINISHED,
    LineageGraph,
    LineageTrace,
    build_graph,
    trace_lineage,
)
from preflight.measure.checks.lineage.naming import _SOURCE_URLS, Identity, dataset_identity
from preflight.measure.registry import ProbeContext, probe
from preflight.model.evidence import Lineage, LineageFigures
from preflight.model.results import Check, Dimension, Severity
from preflight.settings import expand_env

if TYPE_CHECKING:
    from preflight.model.config import Config

log = logging.getLogger(__name__)

DEFAULT_RECENCY = timedelta(days=7)
COLUMN_COVERAGE_MIN = 0.8


# --------------------------------------------------------------------------- judging


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def assess_lineage(
    graph: LineageGraph,
    dataset_name: str,
    identity: Identity,
    config: Config,
    now: datetime,
    *,
    columns: Sequence[str] | None = None,
    trace: LineageTrace | None = None,
) -> list[Check]:
    """The lineage sub-checks of one dataset.

    ``columns`` are the dataset's columns (the probe passes the profiled ones; default:
    the catalog's declared ``columns``). A system of record is expected to have no
    producing job or upstream: for it those checks pass when lineage is silent.
    """
    trace = trace or trace_lineage(graph, dataset_name, identity, config)
    dataset = config.datasets.get(dataset_name)
    if columns is None:
        columns = list(dataset.columns) if dataset else []
    slo = dataset.freshness.slo if dataset and dataset.freshness else DEFAULT_RECENCY
    looked_for = f"{identity[0]}/{identity[1]}"

    def check(id_: str, severity: Severity, passed: bool, message: str, **kwargs: Any) -> Check:
        return Check(
            id=id_,
            dimension=Dimension.LINEAGE,
            severity=severity,
            passed=passed,
            message=message,
            dataset=dataset_name,
            **kwargs,
        )

    exempt = trace.system_of_record and not trace.producers
    matched = trace.match.ref if trace.match else None
    match_details = {
        "identity": looked_for,
        "matched": str(matched) if matched else None,
        "rule": trace.match.rule if trace.match else None,
    }
    checks: list[Check] = []

    # lineage.producer
    if trace.producers:
        names = [str(j) for j in trace.producers]
        checks.append(
            check(
                "lineage.producer",
                Severity.WARNING,
                True,
                f"written by {', '.join(names)}",
                observed=names[0] if len(names) == 1 else names,
                details=match_details,
            )
        )
    elif exempt:
        checks.append(
            check(
                "lineage.producer",
                Severity.WARNING,
                True,
                "system of record: written by its application, no producing job expected",
                details=match_details,
            )
        )
    else:
        message = (
            f"lineage knows {matched} but no job writes it"
            if matched
            else f"no lineage event mentions this dataset (looked for {looked_for})"
        )
        checks.append(
            check(
                "lineage.producer",
                Severity.WARNING,
                False,
                message,
                expected="a producing job",
                details=match_details,
                remediation="Emit OpenLineage events from the job that writes this table (for "
                "Airflow, configure the OpenLineage provider's transport), naming "
                f"its output {looked_for} or at least its schema.table.",
            )
        )

    # lineage.last_run
    finished, latest = trace.latest(FINISHED), trace.latest()
    if exempt:
        checks.append(
            check(
                "lineage.last_run",
                Severity.WARNING,
                True,
                "system of record: no producing job whose runs to judge",
            )
        )
    elif finished is None:
        state = latest[1].state if latest else None
        checks.append(
            check(
                "lineage.last_run",
                Severity.WARNING,
                False,
                f"no finished run of a producing job (latest state: {state or 'none'})",
                observed={
                    "state": state,
                    "age_hours": _hours(now - latest[1].time) if latest else None,
                },
                expected="COMPLETE",
                remediation="Run the producing job to completion and make sure it emits "
                "COMPLETE/FAIL events.",
            )
        )
    else:
        job, run = finished
        age = _hours(now - run.time)
        details: dict[str, Any] = {
            "job": str(job),
            "run_id": run.run_id,
            "time": run.time.isoformat(),
        }
        if latest and latest[1] != run:
            details["in_progress"] = {"run_id": latest[1].run_id, "state": latest[1].state}
        ok = run.state == "COMPLETE"
        checks.append(
            check(
                "lineage.last_run",
                Severity.WARNING,
                ok,
                f"latest run of {job.name} {'completed' if ok else 'ended ' + run.state} "
                f"{age} h ago",
                observed={"state": run.state, "age_hours": age},
                expected="COMPLETE",
                details=details,
                remediation=None
                if ok
                else f"Investigate run {run.run_id} of {job}, fix it and rerun the job.",
            )
        )

    # lineage.recency
    success = trace.latest({"COMPLETE"})
    slo_hours = _hours(slo)
    source = "freshness SLO" if dataset and dataset.freshness else "default"
    if exempt:
        checks.append(
            check(
                "lineage.recency",
                Severity.INFO,
                True,
                "system of record: no producing job whose recency to judge",
            )
        )
    elif success is None:
        checks.append(
            check(
                "lineage.recency",
                Severity.INFO,
                False,
                "no successful run of a producing job is recorded",
                expected={"max_age_hours": slo_hours, "from": source},
                remediation="Make the producing job succeed (and emit its COMPLETE event).",
            )
        )
    else:
        job, run = success
        since_success = now - run.time
        ok = since_success <= slo
        checks.append(
            check(
                "lineage.recency",
                Severity.INFO,
                ok,
                f"last successful run of {job.name} was {_hours(since_success)} h ago "
                f"({'within' if ok else 'beyond'} {slo_hours} h, {source})",
                observed=_hours(since_success),
                expected={"max_age_hours": slo_hours, "from": source},
                details={"job": str(job), "run_id": run.run_id, "time": run.time.isoformat()},
                remediation=None
                if ok
                else f"{job} has not succeeded within {slo_hours} h: "
                "check its schedule and recent failures.",
            )
        )

    # lineage.upstream
    depth = trace.depth
    if depth >= 1 or trace.system_of_record:
        message = (
            f"{len(trace.upstream)} upstream dataset(s), {depth} level(s) deep"
            if depth
            else "system of record: no upstream expected"
        )
        checks.append(
            check(
                "lineage.upstream",
                Severity.WARNING,
                True,
                message,
                observed=depth,
                expected=">= 1",
                details={"upstream": [str(r) for r, _ in trace.upstream]},
            )
        )
    else:
        checks.append(
            check(
                "lineage.upstream",
                Severity.WARNING,
                False,
                "no upstream dataset is known" + ("" if trace.producers else " (no producing job)"),
                observed=0,
                expected=">= 1",
                remediation="Record the inputs of the producing job in its lineage events, or "
                "declare the dataset `system_of_record: true` if it originates here.",
            )
        )

    # lineage.system_of_record
    found = trace.upstream_records
    if trace.system_of_record:
        checks.append(
            check(
                "lineage.system_of_record",
                Severity.INFO,
                True,
                "is itself a system of record",
                observed=[dataset_name],
            )
        )
    elif found:
        checks.append(
            check(
                "lineage.system_of_record",
                Severity.INFO,
                True,
                f"upstream chain reaches system of record {', '.join(found)}",
                observed=found,
            )
        )
    else:
        roots = [str(r) for r in trace.roots]
        message = (
            f"upstream chain ends in {', '.join(roots)}, none declared a system of record"
            if roots
            else "no upstream lineage reaches a system of record"
        )
        checks.append(
            check(
                "lineage.system_of_record",
                Severity.INFO,
                False,
                message,
                observed=roots,
                expected="a catalog dataset with system_of_record: true",
                remediation="Declare the originating dataset `system_of_record: true` in the "
                "catalog, or add the missing upstream lineage.",
            )
        )

    # lineage.column_coverage
    covered_names = {c.lower() for c in trace.columns}
    covered = [c for c in columns if c.lower() in covered_names]
    missing = [c for c in columns if c.lower() not in covered_names]
    if trace.system_of_record and not trace.columns:
        checks.append(
            check(
                "lineage.column_coverage",
                Severity.INFO,
                True,
                "system of record: no column lineage expected",
            )
        )
    elif not columns:
        # No column list to compare against: say what lineage knows, pass only if anything.
        checks.append(
            check(
                "lineage.column_coverage",
                Severity.INFO,
                bool(trace.columns),
                f"no column list to compare; {len(trace.columns)} column(s) have column-level lineage",
                observed=None,
                expected=COLUMN_COVERAGE_MIN,
                details={"covered": sorted(trace.columns), "missing": []},
            )
        )
    else:
        share = round(len(covered) / len(columns), 3)
        ok = share >= COLUMN_COVERAGE_MIN
        checks.append(
            check(
                "lineage.column_coverage",
                Severity.INFO,
                ok,
                f"{len(covered)} of {len(columns)} columns have column-level lineage",
                observed=share,
                expected=COLUMN_COVERAGE_MIN,
                details={"covered": covered, "missing": missing},
                remediation=None
                if ok
                else "Emit the columnLineage facet for this output (SQL "
                "operators of Airflow's OpenLineage provider derive "
                f"it); missing: {', '.join(missing)}.",
            )
        )
    return checks


# --------------------------------------------------------------------------- the probe


@dataclass(frozen=True)
class LoadedLineage:
    graph: LineageGraph
    errors: tuple[LineageReadError, ...]
    source: str  # for reports: which file / API


_CACHE: dict[tuple[Any, ...], LoadedLineage] = {}
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget loaded graphs (tests; a long-lived process that wants fresh lineage)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _SOURCE_URLS.clear()


def events_path(config: Config) -> Path | None:
    """The configured events file: ``${VAR}`` expanded, relative to the config directory."""
    raw = config.settings.lineage.events_file
    if not raw:
        return None
    path = Path(expand_env(raw)).expanduser()
    return path if path.is_absolute() else (config.directory / path).resolve()


def load_lineage(config: Config, *, timeout: float = 10) -> LoadedLineage:
    """The graph of the configured sources, read once per process per source state."""
    settings = config.settings.lineage
    path = events_path(config)
    url = expand_env(settings.marquez_url) if settings.marquez_url else None
    key: list[Any] = []
    if path is not None:
        try:
            stat = path.stat()
        except OSError as exc:
            raise LineageSourceError(f"OpenLineage events file not found: {path.name}") from exc
        key.append(
            ("file", str(path), stat.st_mtime_ns, stat.st_size)
        )  # rewritten file: read again
    if url:
        key.append(("marquez", url))
    cache_key = tuple(key)
    with _CACHE_LOCK:  # one reader per source, however many probes ask at once
        if cached := _CACHE.get(cache_key):
            return cached
        events: list[dict[str, Any]] = []
        errors: list[LineageReadError] = []
        sources = []
        if path is not None:
            found, problems = read_events_file(path)
            events += found
            errors += problems
            sources.append(f"events file {path.name}")
        if url:
            found, problems = read_marquez(url, timeout=timeout)
            events += found
            errors += problems
            sources.append(f"lineage API {_display_url(url)}")
        for error in errors[:5]:
            log.warning("lineage: skipped %s", error)
        loaded = LoadedLineage(build_graph(events), tuple(errors), " + ".join(sources))
        _CACHE[cache_key] = loaded
        return loaded


def _identity_for(ctx: ProbeContext) -> Identity:
    engine_url = getattr(ctx.engine, "url", None)
    if engine_url is None:
        engine_url = source_url(ctx.config.sources[ctx.dataset.source])
    return dataset_identity(ctx.dataset, engine_url)


def _lineage_evidence(ctx: ProbeContext, checks: list[Check], trace: LineageTrace) -> Lineage:
    """The evidence judging reads, from this module's own ``lineage.producer`` check."""
    producer = next(c for c in checks if c.id == "lineage.producer")
    return Lineage(
        dataset=ctx.name,
        figures=LineageFigures(
            producers=tuple(str(job) for job in trace.producers),
            system_of_record=producer.passed and not trace.producers,
            message=producer.message,
            remediation=producer.remediation,
        ),
    )


@probe("lineage", Dimension.LINEAGE, order=60, produces=[Lineage])
def lineage_probe(ctx: ProbeContext) -> list[Check]:
    """Where the dataset comes from, per the configured OpenLineage events."""
    settings = ctx.config.settings.lineage
    if not settings.events_file and not settings.marquez_url:
        ctx.record(Lineage(dataset=ctx.name, reason="no lineage source is configured (settings.lineage)"))
        return [
            Check(
                id="lineage.source_configured",
                dimension=Dimension.LINEAGE,
                severity=Severity.WARNING,
                passed=False,
                dataset=ctx.name,
                message="no lineage source is configured, so the dataset's origin cannot be checked",
                expected="settings.lineage.events_file or settings.lineage.marquez_url",
                remediation="Set settings.lineage.events_file to an OpenLineage JSON-lines file (e.g. the file "
                "transport of Airflow's OpenLineage provider: AIRFLOW__OPENLINEAGE__TRANSPORT="
                '\'{"type": "file", "log_file_path": "${PREFLIGHT_HOME}/lineage/events.jsonl", '
                '"append": true}\'), or settings.lineage.marquez_url to a Marquez API.',
            )
        ]
    try:
        loaded = load_lineage(ctx.config)
        identity = _identity_for(ctx)
    except PreflightError as exc:
        ctx.record(Lineage(dataset=ctx.name, reason=f"the lineage source cannot be read: {exc}"))
        return [
            Check(
                id="lineage.source_readable",
                dimension=Dimension.LINEAGE,
                severity=Severity.WARNING,
                passed=False,
                dataset=ctx.name,
                message=f"lineage source cannot be read: {exc}",
                remediation="Check settings.lineage (the events file path, relative to the config "
                "directory, or the lineage API URL) and that the source is reachable.",
            )
        ]
    trace = trace_lineage(loaded.graph, ctx.name, identity, ctx.config)
    columns = [c.name for c in ctx.profile.columns] if ctx.profile is not None else None
    checks = assess_lineage(
        loaded.graph, ctx.name, identity, ctx.config, ctx.now, columns=columns, trace=trace
    )
    facts = trace.facts()
    facts["source"] = loaded.source
    facts["read_errors"] = [str(e) for e in loaded.errors[:20]]
    facts["read_error_count"] = len(loaded.errors)
    ctx.facts["lineage"] = facts
    ctx.record(_lineage_evidence(ctx, checks, trace))
    return checks


PROBES = (lineage_probe,)

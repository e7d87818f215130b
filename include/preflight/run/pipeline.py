"""The audit as steps, shared by the CLI and the Airflow DAG.

``start_run`` → ``audit_one`` per dataset (an Airflow mapped task each) →
``finish_run`` (measure across datasets, judge every use case, store verdicts, render
reports) → a gate per use case (:mod:`preflight.run.gate`). Every step reads and writes the results store, so the steps can run in separate
processes (Airflow workers) and a retried step replaces its own earlier results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from preflight.judge.evaluate import evaluate_all
from preflight.judge.plan import cross_plan
from preflight.measure.audit import audit_dataset
from preflight.measure.use_case import measure_cross
from preflight.model.config import Config
from preflight.model.evidence import CrossPlan
from preflight.model.results import DatasetAudit, RunResult
from preflight.run.gate import stamp
from preflight.run.report import write_reports
from preflight.run.store import ResultsStore, open_store
from preflight.settings import reports_dir

if TYPE_CHECKING:
    from openlineage.client.facet_v2.parent_run import ParentRunFacet

__all__ = ["audit_one", "finish_run", "new_run_id", "run_audit", "start_run", "store_for"]

log = logging.getLogger(__name__)


def new_run_id(prefix: str = "cli") -> str:
    return f"{prefix}__{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


def store_for(config: Config) -> ResultsStore:
    """The results store of this configuration (see :func:`preflight.run.store.open_store`)."""
    return open_store(config.settings.results_url)


def start_run(config: Config, run_id: str, *, trigger: str) -> list[str]:
    """Record the run; return the datasets to audit (every catalog entry a use case needs,
    then the rest of the catalog)."""
    store_for(config).start_run(
        run_id, started_at=datetime.now(UTC), trigger=trigger, config_dir=str(config.directory)
    )
    needed = dict.fromkeys(d for uc in config.use_cases.values() for d in uc.datasets)
    return [*needed, *(d for d in config.datasets if d not in needed)]


def audit_one(
    config: Config, run_id: str, dataset: str, *, lineage_parent: ParentRunFacet | str | None = None
) -> DatasetAudit:
    store = store_for(config)
    audit = audit_dataset(config, dataset, store=store, run_id=run_id)
    store.save_audit(run_id, audit)
    failing = sum(1 for c in audit.checks if c.failing)
    log.info(
        "%s: %s, %s rows, scores %s, %d failing checks",
        dataset, audit.status.value, audit.row_count, audit.scores, failing,
    )
    _emit_lineage(config, run_id, audit, lineage_parent)
    return audit


def _emit_lineage(config: Config, run_id: str, audit: DatasetAudit, parent: ParentRunFacet | str | None) -> None:
    from preflight.run.lineage_out import emit_for_audit

    try:
        emit_for_audit(config, run_id, audit, parent=parent)
    except Exception as exc:  # lineage is reporting, never a reason to fail an audit
        log.warning("could not emit OpenLineage events for %s: %s", audit.name, exc)


def finish_run(config: Config, run_id: str, *, now: datetime | None = None) -> RunResult:
    """Evaluate every use case on this run's audits, store the verdicts, write reports."""
    store = store_for(config)
    finished = now or datetime.now(UTC)
    audits = store.load_audits(run_id)
    # Measure: what the use cases need across datasets, each measurement once.
    row_counts = {a.name: a.row_count for a in audits}
    cross = measure_cross(config, _merged_plan(config), row_counts=row_counts)
    # Judge (pure), then stamp each verdict with the fingerprint of what it judged.
    verdicts, fixes = evaluate_all(config, audits, today=finished.date(), cross=cross)
    verdicts = [stamp(config, verdict) for verdict in verdicts]
    store.save_verdicts(run_id, verdicts, platform_fixes=fixes, finished_at=finished)
    run = store.load_run(run_id)
    write_reports(run, reports_dir(), store=store, config=config)
    _notify_verdict_changes(config, store, run)
    return run


def _merged_plan(config: Config) -> CrossPlan:
    """Every use case's cross-dataset plan, each request once."""
    plans = [cross_plan(config, name) for name in config.use_cases]
    return CrossPlan(
        joins=tuple(dict.fromkeys(r for p in plans for r in p.joins)),
        events=tuple(dict.fromkeys(r for p in plans for r in p.events)),
        locales=tuple(dict.fromkeys(r for p in plans for r in p.locales)),
        labels=tuple(dict.fromkeys(r for p in plans for r in p.labels)),
    )


def _notify_verdict_changes(config: Config, store: ResultsStore, run: RunResult) -> None:
    """Tell the configured notifiers which verdicts changed since each use case's last run."""
    if not config.settings.notifiers:
        return  # nothing configured: skip importing the Airflow SDK (the CLI stays quick)
    try:
        from preflight.run.notify import notify_changes, verdict_changes
        from preflight.run.report import run_report_dir

        # This run's own report, not `latest/`, which the next run overwrites.
        report = run_report_dir(reports_dir(), run.run_id) / "report.html"
        notify_changes(config, verdict_changes(store, run, report_path=str(report)))
    except Exception as exc:  # notifications are reporting, never a reason to fail an audit
        log.warning("could not send verdict-change notifications: %s: %s", type(exc).__name__, exc)


def run_audit(
    config: Config,
    *,
    run_id: str | None = None,
    on_dataset: Callable[[str, DatasetAudit], None] | None = None,
    on_start: Callable[[list[str]], None] | None = None,
) -> RunResult:
    """The whole audit in this process (the CLI's path; Airflow runs the same steps)."""
    run_id = run_id or new_run_id()
    datasets = start_run(config, run_id, trigger="cli")
    if on_start:
        on_start(datasets)
    for dataset in datasets:
        audit = audit_one(config, run_id, dataset)
        if on_dataset:
            on_dataset(dataset, audit)
    return finish_run(config, run_id)

"""The audit as steps, shared by the CLI and the Airflow DAG.

``start_run`` → ``audit_one`` per dataset (an Airflow mapped task each) →
``finish_run`` (evaluate use cases, store verdicts, render reports) → ``gate`` per use
case. Every step reads and writes the results store, so the steps can run in separate
processes (Airflow workers) and a retried step replaces its own earlier results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from preflight.judge.evaluate import evaluate_all
from preflight.measure.audit import audit_dataset
from preflight.measure.use_case import measure_use_case
from preflight.model.config import Config
from preflight.model.results import DatasetAudit, RunResult, Verdict, VerdictLevel
from preflight.run.report import write_reports
from preflight.run.store import ResultsStore, open_store
from preflight.settings import reports_dir

if TYPE_CHECKING:
    from openlineage.client.facet_v2.parent_run import ParentRunFacet

__all__ = ["audit_one", "audit_order", "finish_run", "gate", "new_run_id", "run_audit", "start_run", "store_for"]

log = logging.getLogger(__name__)


def new_run_id(prefix: str = "cli") -> str:
    return f"{prefix}__{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


def store_for(config: Config) -> ResultsStore:
    """The results store of this configuration (see :func:`preflight.run.store.open_store`)."""
    return open_store(config.settings.results_url)


def audit_order(config: Config) -> list[str]:
    """The datasets to audit, in order: every catalog entry a use case needs, then the rest."""
    needed = dict.fromkeys(d for uc in config.use_cases.values() for d in uc.datasets)
    return [*needed, *(d for d in config.datasets if d not in needed)]


def start_run(config: Config, run_id: str, *, trigger: str) -> list[str]:
    """Record the run; return the datasets to audit (:func:`audit_order`)."""
    store_for(config).start_run(
        run_id, started_at=datetime.now(UTC), trigger=trigger, config_dir=str(config.directory)
    )
    return audit_order(config)


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
    row_counts = {a.name: a.row_count for a in audits}
    measures = {name: measure_use_case(config, name, row_counts=row_counts) for name in config.use_cases}
    verdicts, fixes = evaluate_all(config, audits, today=finished.date(), measures=measures)
    store.save_verdicts(run_id, verdicts, platform_fixes=fixes, finished_at=finished)
    run = store.load_run(run_id)
    write_reports(run, reports_dir(), store=store)
    _notify_verdict_changes(config, store, run)
    return run


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
    on_evaluate: Callable[[], None] | None = None,
) -> RunResult:
    """The whole audit in this process (the CLI's path; Airflow runs the same steps).

    The callbacks report progress: ``on_start`` with the datasets to audit, ``on_dataset``
    after each, ``on_evaluate`` before the use cases are judged and the reports written."""
    run_id = run_id or new_run_id()
    datasets = start_run(config, run_id, trigger="cli")
    if on_start:
        on_start(datasets)
    for dataset in datasets:
        audit = audit_one(config, run_id, dataset)
        if on_dataset:
            on_dataset(dataset, audit)
    if on_evaluate:
        on_evaluate()
    return finish_run(config, run_id)


class GateClosed(Exception):
    """A use case is blocked; its gate must fail."""


def gate(store: ResultsStore, use_case: str, run_id: str | None = None) -> Verdict:
    """The use case's verdict in a run (default: the latest); raises GateClosed when blocked."""
    run = store.load_run(run_id)
    verdict = next((v for v in run.use_cases if v.use_case == use_case), None)
    if verdict is None:
        known = ", ".join(v.use_case for v in run.use_cases) or "none"
        raise LookupError(f"no use case {use_case!r} in run {run.run_id} (known: {known})")
    if verdict.verdict is VerdictLevel.BLOCKED:
        raise GateClosed(
            f"{use_case} is BLOCKED (score {verdict.score}) in run {run.run_id}:\n"
            + "\n".join(f"  - {line}" for line in verdict.blockers)
        )
    return verdict

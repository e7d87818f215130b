"""The audit as steps, shared by the CLI and the Airflow DAG.

``start_run`` → ``audit_one`` per dataset (an Airflow mapped task each) →
``finish_run`` (measure across datasets, judge every use case, store verdicts, render
reports) → a gate per use case (:mod:`preflight.run.gate`). Every step reads and writes the results store, so the steps can run in separate
processes (Airflow workers) and a retried step replaces its own earlier results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from preflight.engines import safe_reason
from preflight.errors import ConfigError, UnknownUseCaseError, did_you_mean
from preflight.judge.evaluate import evaluate_all
from preflight.judge.plan import cross_plan
from preflight.measure.audit import audit_dataset, failed_audit
from preflight.measure.preload import preload_text_checks
from preflight.measure.use_case import measure_cross
from preflight.model.config import Config
from preflight.model.evidence import CrossPlan
from preflight.model.results import AuditScope, DatasetAudit, DatasetStatus, RunResult
from preflight.run.gate import stamp
from preflight.run.lineage_target import output_configured
from preflight.run.parallel import audit_in_workers, usable_cores
from preflight.run.report import write_reports
from preflight.run.store import ResultsStore, open_store
from preflight.settings import reports_dir

if TYPE_CHECKING:
    from openlineage.client.facet_v2.parent_run import ParentRunFacet

__all__ = [
    "audit_and_record", "audit_one", "audit_order", "finish_run", "measure_one", "new_run_id", "record_audit",
    "run_audit", "start_run", "store_for",
]

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


def resolve_scope(
    config: Config, *, datasets: Sequence[str] = (), use_case: str | None = None
) -> AuditScope | None:
    """The scope of a targeted run (None: the whole catalog); unknown names are an error
    naming the closest known one."""
    if not datasets and not use_case:
        return None
    for name in datasets:
        if name not in config.datasets:
            raise ConfigError(f"no dataset {name!r} in the catalog{did_you_mean(name, config.datasets)}")
    if use_case is not None and use_case not in config.use_cases:
        raise UnknownUseCaseError(f"no use case {use_case!r} in the configuration{did_you_mean(use_case, config.use_cases)}")
    return AuditScope(datasets=tuple(dict.fromkeys(datasets)), use_case=use_case)


def scoped_datasets(config: Config, scope: AuditScope | None) -> list[str]:
    """The datasets a run audits, in :func:`audit_order`."""
    order = audit_order(config)
    if scope is None:
        return order
    wanted = {*scope.datasets, *(config.use_cases[scope.use_case].datasets if scope.use_case else ())}
    return [d for d in order if d in wanted]


def judged_use_cases(config: Config, scope: AuditScope | None) -> list[str]:
    """The use cases a run judges: every one; or (targeted) the scope's use case and every
    use case that reads one of the scope's datasets."""
    if scope is None:
        return list(config.use_cases)
    return [
        name for name, use_case in config.use_cases.items()
        if name == scope.use_case or set(scope.datasets) & set(use_case.datasets)
    ]


def start_run(config: Config, run_id: str, *, trigger: str, scope: AuditScope | None = None) -> list[str]:
    """Record the run; return the datasets to audit (all, or the scope's)."""
    store_for(config).start_run(
        run_id, started_at=datetime.now(UTC), trigger=trigger, config_dir=str(config.directory), scope=scope
    )
    return scoped_datasets(config, scope)


def audit_one(
    config: Config, run_id: str, dataset: str, *, lineage_parent: ParentRunFacet | str | None = None
) -> DatasetAudit:
    audit = audit_dataset(config, dataset, store=store_for(config), run_id=run_id)
    record_audit(config, run_id, audit, lineage_parent=lineage_parent)
    return audit


def measure_one(config: Config, run_id: str, dataset: str) -> DatasetAudit:
    """``dataset``'s audit, stored nowhere yet; an audit that raises (a bug) becomes an
    ``error`` audit of this dataset alone (fail closed), so the run goes on."""
    started = datetime.now(UTC)
    try:
        return audit_dataset(config, dataset, store=store_for(config), run_id=run_id)
    except Exception as exc:
        log.exception("auditing %s failed", dataset)
        return failed_audit(config, dataset, f"its audit failed: {safe_reason(exc)}", started=started)


def audit_and_record(config: Config, run_id: str, dataset: str) -> DatasetStatus:
    """Measure ``dataset`` and record its audit (a worker process's whole job)."""
    audit = measure_one(config, run_id, dataset)
    record_audit(config, run_id, audit)
    return audit.status


def record_audit(
    config: Config, run_id: str, audit: DatasetAudit, *, lineage_parent: ParentRunFacet | str | None = None
) -> None:
    """Store ``audit`` in ``run_id`` (replacing an earlier one: idempotent), log it, emit its lineage."""
    store_for(config).save_audit(run_id, audit)
    dataset = audit.name
    failing = sum(1 for c in audit.checks if c.failing)
    log.info(
        "%s: %s, %s rows, scores %s, %d failing checks",
        dataset, audit.status.value, audit.row_count, audit.scores, failing,
    )
    _emit_lineage(config, run_id, audit, lineage_parent)


def _emit_lineage(config: Config, run_id: str, audit: DatasetAudit, parent: ParentRunFacet | str | None) -> None:
    if not output_configured(config.settings):
        return  # nowhere to send: no events built, openlineage-python not imported
    from preflight.run.lineage_out import emit_for_audit

    try:
        emit_for_audit(config, run_id, audit, parent=parent)
    except Exception as exc:  # lineage is reporting, never a reason to fail an audit
        log.warning("could not emit OpenLineage events for %s: %s", audit.name, exc)


def finish_run(config: Config, run_id: str, *, now: datetime | None = None, workers: int = 1) -> RunResult:
    """Evaluate the run's use cases on its audits, store the verdicts, write reports.

    A targeted run judges only the use cases that read what it re-audited; every other
    dataset they need is carried over from its newest earlier audit (marked so, and its
    age counts against the gate). A dataset with no audit at all stays missing: judging
    then reads it as not audited, and fails closed. ``workers``: processes the HTML report
    of many datasets may be rendered in (the CLI's audit workers; an Airflow task, one)."""
    store = store_for(config)
    finished = now or datetime.now(UTC)
    scope = store.run_scope(run_id)
    judged = judged_use_cases(config, scope)
    if scope is not None:
        _carry_over(config, store, run_id, judged)
    audits = store.load_audits(run_id)
    # Measure: what the use cases need across datasets, each measurement once.
    row_counts = {a.name: a.row_count for a in audits}
    cross = measure_cross(config, _merged_plan(config, judged), row_counts=row_counts)
    # Judge (pure), then stamp each verdict with the fingerprint of what it judged.
    verdicts, fixes = evaluate_all(config, audits, today=finished.date(), cross=cross, use_cases=judged)
    verdicts = [stamp(config, verdict) for verdict in verdicts]
    store.save_verdicts(run_id, verdicts, platform_fixes=fixes, finished_at=finished)
    run = store.load_run(run_id, datasets=audits)
    write_reports(run, reports_dir(), store=store, config=config, workers=workers)
    _notify_verdict_changes(config, store, run)
    return run


def _carry_over(config: Config, store: ResultsStore, run_id: str, judged: Sequence[str]) -> None:
    """Copy into ``run_id`` the newest earlier audit of every dataset the judged use cases
    need and this run did not audit."""
    audited = store.audited_datasets(run_id)
    needed = dict.fromkeys(d for name in judged for d in config.use_cases[name].datasets)
    for dataset in needed:
        if dataset in audited:
            continue
        found = store.latest_audit(dataset, besides=run_id)
        if found is None:
            log.warning("%s has never been audited: the use cases that read it cannot be judged ready", dataset)
            continue
        from_run, audit = found
        store.save_audit(run_id, audit.model_copy(update={"carried_from": audit.carried_from or from_run}))


def _merged_plan(config: Config, use_cases: Sequence[str]) -> CrossPlan:
    """The use cases' cross-dataset plans, each request once."""
    plans = [cross_plan(config, name) for name in use_cases]
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
        notify_changes(config, verdict_changes(store, run, report_path=str(report), ui_url=config.settings.ui_url))
    except Exception as exc:  # notifications are reporting, never a reason to fail an audit
        log.warning("could not send verdict-change notifications: %s: %s", type(exc).__name__, exc)


def run_audit(
    config: Config,
    *,
    run_id: str | None = None,
    on_dataset: Callable[[str, DatasetStatus], None] | None = None,
    on_start: Callable[[list[str]], None] | None = None,
    on_evaluate: Callable[[], None] | None = None,
    scope: AuditScope | None = None,
    workers: int | None = None,
) -> RunResult:
    """The whole audit from this process (the CLI's path; Airflow runs the same steps).

    Datasets are audited in up to ``workers`` processes (default ``settings.audit_workers``,
    else one per usable core; see :mod:`preflight.run.parallel`); with one, here, one after
    another. Either way the stored results are the same. The callbacks report progress,
    always in this process: ``on_start`` with the datasets to audit, ``on_dataset`` with
    each one's status after it is stored (in the order they finish), ``on_evaluate``
    before the use cases are judged and the reports written."""
    run_id = run_id or new_run_id()
    datasets = start_run(config, run_id, trigger="cli", scope=scope)
    if on_start:
        on_start(datasets)

    def done(dataset: str, status: DatasetStatus) -> None:
        if on_dataset:
            on_dataset(dataset, status)

    def record(audit: DatasetAudit) -> None:
        record_audit(config, run_id, audit)

    workers = min(workers or config.settings.audit_workers or usable_cores(), len(datasets))
    if workers > 1:
        if any(config.datasets[d].text_columns for d in datasets):
            preload_text_checks()  # once here, shared by every forked worker
        audit_in_workers(
            config, run_id, datasets, workers=workers, audit=audit_and_record, record=record, done=done
        )
    else:
        for dataset in datasets:
            done(dataset, audit_and_record(config, run_id, dataset))
    if on_evaluate:
        on_evaluate()
    return finish_run(config, run_id, workers=workers)

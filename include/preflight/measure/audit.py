"""Audit one dataset: access → one-pass profile → every registered probe → scores.

A dataset that cannot be reached (bad source, missing table, refused connection, a
timeout) becomes a ``DatasetAudit`` with status ``unreachable`` and a safe reason; a
probe that crashes becomes a failed check naming the probe, and the evidence it would
have recorded reads "not measured: the <probe> probe failed" to every requirement that
needs it. Neither stops the rest of the audit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from preflight.engines import db_reason, engine_for_dataset
from preflight.errors import SourceError
from preflight.measure.profile import TableNotFoundError, profile_table, reflect_table
from preflight.measure.redaction import redact_profile
from preflight.measure.registry import AuditHistory, ProbeContext, ProbeRegistry, builtin_probes
from preflight.model.config import Config
from preflight.model.results import (
    Check,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    ProbeFailure,
    Severity,
    TableProfile,
)
from preflight.model.scoring import dataset_scores

__all__ = ["audit_dataset", "failed_audit"]

log = logging.getLogger(__name__)


def _unreachable(name: str, source: str, reason: str, started: datetime, status: DatasetStatus) -> DatasetAudit:
    check = Check(
        id="access.reachable",
        dimension=Dimension.ACCESS,
        severity=Severity.BLOCKER,
        passed=False,
        dataset=name,
        observed=reason,
        expected="table readable",
        message=f"{name} cannot be read: {reason}",
        remediation="check the source's URL or Airflow connection, the table name and the credentials' grants",
    )
    return DatasetAudit(
        name=name,
        source=source,
        status=status,
        reason=reason,
        checks=(check,),
        scores=dataset_scores([check], status),
        started_at=started,
        finished_at=datetime.now(UTC),
    )


def failed_audit(config: Config, name: str, reason: str, *, started: datetime) -> DatasetAudit:
    """The audit of a dataset whose audit itself failed (a bug, a crashed worker process):
    status ``error``, nothing measured, the reason as its blocker (fail closed)."""
    return _unreachable(name, config.datasets[name].source, reason, started, DatasetStatus.ERROR)


def audit_dataset(
    config: Config,
    name: str,
    *,
    store: AuditHistory | None = None,
    now: datetime | None = None,
    run_id: str | None = None,
    probes: ProbeRegistry | None = None,
) -> DatasetAudit:
    """Audit ``name`` from the catalog; never raises for a data or access problem."""
    started = datetime.now(UTC)
    now = now or started
    dataset = config.datasets[name]
    try:
        engine = engine_for_dataset(config, name)
    except SourceError as exc:
        return _unreachable(name, dataset.source, str(exc), started, DatasetStatus.UNREACHABLE)
    secrets = [engine.url.password] if engine.url.password else []
    names = [dataset.table, dataset.schema_name or ""]

    try:
        # Reflected once, for the profile and every probe (ctx.cache["table"]).
        table = reflect_table(engine, dataset.table, dataset.schema_name)
        profile: TableProfile = profile_table(
            engine,
            dataset.table,
            dataset.schema_name,
            approximate_distinct=config.settings.approximate_distinct,
            reflected=table,
        )
    except TableNotFoundError as exc:
        # A path dataset's view exists only when its path matched files.
        reason = f"no readable file matches path {dataset.path!r}" if dataset.path else str(exc)
        return _unreachable(name, dataset.source, reason, started, DatasetStatus.UNREACHABLE)
    except sa.exc.DBAPIError as exc:  # any driver error: a reason, never a traceback (it quotes data)
        reason = db_reason(exc, engine, names=names, secrets=secrets)
        return _unreachable(name, dataset.source, reason, started, DatasetStatus.UNREACHABLE)
    except Exception as exc:  # a bug or an unsupported table: this dataset only
        log.exception("profiling %s failed", name)
        reason = db_reason(exc, engine, names=names, secrets=secrets)
        return _unreachable(name, dataset.source, reason, started, DatasetStatus.ERROR)

    ctx = ProbeContext(
        name=name, dataset=dataset, config=config, engine=engine, profile=profile, now=now, store=store, run_id=run_id
    )
    ctx.cache["table"] = table
    checks: list[Check] = [
        Check(
            id="access.reachable",
            dimension=Dimension.ACCESS,
            severity=Severity.BLOCKER,
            passed=True,
            dataset=name,
            message=f"{name} is readable ({profile.row_count} rows)",
        )
    ]
    failures: dict[str, ProbeFailure] = {}
    for registered in probes if probes is not None else builtin_probes():
        try:
            checks.extend(registered(ctx))
        except Exception as exc:
            # Safe, and naming the timeout when one fired.
            reason = db_reason(exc, engine, secrets=secrets, names=[*names, *(c.name for c in profile.columns)])
            log.warning("probe %s failed on %s: %s", registered.name, name, reason)
            failures[registered.name] = ProbeFailure(
                reason=reason, produces=tuple(kind.KIND for kind in registered.produces)
            )
            checks.append(
                Check(
                    id=f"{registered.dimension.value}.{registered.name}.probe_error",
                    dimension=registered.dimension,
                    severity=Severity.WARNING,
                    passed=False,
                    measured=False,
                    dataset=name,
                    observed=reason,
                    message=f"the {registered.name} probe could not run on {name}: {reason}",
                    remediation="see the task log; this is a Preflight or database problem, not a data finding",
                )
            )
    return DatasetAudit(
        name=name,
        source=dataset.source,
        status=DatasetStatus.OK,
        profile=redact_profile(profile, personal=dataset.personal_columns, pii_found=ctx.facts.get("pii"), scanned=dataset.text_columns),
        checks=tuple(checks),
        scores=dataset_scores(checks, DatasetStatus.OK),
        facts=ctx.facts,
        evidence=tuple(ctx.evidence),
        probe_failures=failures,
        started_at=started,
        finished_at=datetime.now(UTC),
    )

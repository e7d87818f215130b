"""Audit one dataset: access → one-pass profile → every registered probe → scores.

A dataset that cannot be reached (bad source, missing table, refused connection)
becomes a ``DatasetAudit`` with status ``unreachable`` and the reason; a probe that
crashes becomes a failed check naming the probe. Neither stops the rest of the audit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from preflight.engines import db_reason, engine_for_dataset
from preflight.errors import SourceError

# Probe modules register themselves on import; the order of checks comes from the registry.
from preflight.measure.checks import (  # noqa: F401
    discoverability,
    gx_suite,
    history,
    lineage,
    privacy,
    quality,
    text_fitness,
)
from preflight.measure.profile import TableNotFoundError, profile_table
from preflight.measure.redaction import redact_profile, scrub
from preflight.measure.registry import ProbeContext, ordered_probes
from preflight.model.config import Config
from preflight.model.results import (
    Check,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    Severity,
    TableProfile,
)
from preflight.model.scoring import dataset_scores
from preflight.run.store import ResultsStore

__all__ = ["audit_dataset"]

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


def _db_reason(exc: BaseException, engine: sa.Engine, keep: tuple[str, ...]) -> str:
    # No data values, no secrets, and which timeout fired: the engines' safe reason.
    return db_reason(exc, engine, keep=keep)


def audit_dataset(
    config: Config,
    name: str,
    *,
    store: ResultsStore | None = None,
    now: datetime | None = None,
    run_id: str | None = None,
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
    keep = (dataset.table, dataset.schema_name or "")

    try:
        profile: TableProfile = profile_table(
            engine,
            dataset.table,
            dataset.schema_name,
            approximate_distinct=config.settings.approximate_distinct,
        )
    except TableNotFoundError as exc:
        reason = f"no readable file matches path {dataset.path!r}" if dataset.path else scrub(str(exc), secrets)
        return _unreachable(name, dataset.source, reason, started, DatasetStatus.UNREACHABLE)
    except sa.exc.DBAPIError as exc:  # any driver error: a reason, never a traceback (it quotes data)
        return _unreachable(name, dataset.source, _db_reason(exc, engine, keep), started, DatasetStatus.UNREACHABLE)
    except Exception as exc:  # a bug or an unsupported table: this dataset only
        log.exception("profiling %s failed", name)
        return _unreachable(name, dataset.source, _db_reason(exc, engine, keep), started, DatasetStatus.ERROR)

    ctx = ProbeContext(
        name=name, dataset=dataset, config=config, engine=engine, profile=profile, now=now, store=store, run_id=run_id
    )
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
    for registered in ordered_probes():
        try:
            checks.extend(registered.func(ctx))
        except Exception as exc:
            log.warning("probe %s failed on %s: %s", registered.name, name, type(exc).__name__)
            checks.append(
                Check(
                    id=f"{registered.dimension.value}.{registered.name}.probe_error",
                    dimension=registered.dimension,
                    severity=Severity.WARNING,
                    passed=False,
                    measured=False,  # e.g. a query that timed out: never a pass
                    dataset=name,
                    observed=_db_reason(exc, engine, keep),
                    message=f"the {registered.name} probe could not run on {name}: {_db_reason(exc, engine, keep)}",
                    remediation="see the task log; this is a Preflight or database problem, not a data finding",
                )
            )
    facts: dict[str, Any] = {k: v for k, v in ctx.facts.items() if not k.startswith("_")}
    return DatasetAudit(
        name=name,
        source=dataset.source,
        status=DatasetStatus.OK,
        profile=redact_profile(profile),
        checks=tuple(checks),
        scores=dataset_scores(checks, DatasetStatus.OK),
        facts=facts,
        started_at=started,
        finished_at=datetime.now(UTC),
    )

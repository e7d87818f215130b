"""Lineage out: tell an OpenLineage backend what an audit found.

Each audited dataset becomes one run of the job ``preflight.audit.<dataset>``: a START
event when its audit began and a COMPLETE event when it ended (FAIL when the audit itself
broke), with the dataset as the run's input. On the COMPLETE event the input carries the
standard facets

* ``dataQualityMetrics``: the row count and, per column, null count, distinct count,
  non-null count, and min/max where the column is numeric (the facet types them as
  numbers, so dates and strings are left out);
* ``dataQualityAssertions``: one assertion per Check - its id, whether it passed, its
  column and severity (observed values are not sent: they may hold sample data);

plus a ``schema`` facet with the profiled columns. Events go through openlineage-python's
``OpenLineageClient``; :func:`client_from_settings` says where to.
"""

from __future__ import annotations

import json
import logging
import math
import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    error_message_run,
    job_type_job,
    parent_run,
    schema_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.uuid import generate_static_uuid

from preflight import __version__
from preflight.errors import LineageEmitError
from preflight.model.results import ColumnProfile, DatasetAudit, DatasetStatus, TableProfile
from preflight.run.lineage_target import (
    airflow_transport_config,
    lineage_file_path,
    standard_config_present,
)
from preflight.settings import expand_env

if TYPE_CHECKING:
    from openlineage.client.transport import Transport

    from preflight.model.config import Config, Settings

__all__ = [
    "PRODUCER",
    "LineageEmitError",
    "airflow_parent",
    "audit_job_name",
    "audit_run_id",
    "build_audit_events",
    "client_from_settings",
    "emit_audit_events",
    "lineage_file_path",
    "parent_facet",
]

log = logging.getLogger(__name__)

PRODUCER = f"urn:preflight:{__version__}"  # who wrote the metadata (a URI, as the spec asks)


def audit_job_name(dataset: str) -> str:
    return f"preflight.audit.{dataset}"


def audit_run_id(run_id: str, audit: DatasetAudit) -> str:
    """The OpenLineage runId (a UUID) of one dataset's audit in Preflight run ``run_id``.

    Derived, not random: emitting the same audit again names the same run, and two
    datasets of one Preflight run never share a runId (OpenLineage keys runs by it alone).
    """
    instant = audit.started_at if audit.started_at.tzinfo else audit.started_at.replace(tzinfo=UTC)
    return str(generate_static_uuid(instant=instant, data=f"{run_id}/{audit.name}".encode()))


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _number(value: Any) -> float | int | None:
    """``value`` when the facet can carry it (a finite number), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _column_metrics(
    column: ColumnProfile, row_count: int
) -> data_quality_metrics_input_dataset.ColumnMetrics:
    numeric = column.kind == "numeric"
    return data_quality_metrics_input_dataset.ColumnMetrics(
        nullCount=column.null_count,
        distinctCount=column.distinct_count,
        count=max(row_count - column.null_count, 0),
        min=_number(column.min) if numeric else None,
        max=_number(column.max) if numeric else None,
        quantiles=None,
    )


def _metrics(
    profile: TableProfile,
) -> data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet:
    return data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        rowCount=profile.row_count,
        columnMetrics={c.name: _column_metrics(c, profile.row_count) for c in profile.columns},
        producer=PRODUCER,
    )


def _assertions(
    audit: DatasetAudit,
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=check.id,
                success=check.passed,
                column=check.column,
                severity=str(check.severity),
                params=None,
            )
            for check in audit.checks
        ],
        producer=PRODUCER,
    )


def _schema(profile: TableProfile) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(
                name=c.name, type=c.type, description=c.comment, ordinal_position=i, fields=None
            )
            for i, c in enumerate(profile.columns, start=1)
        ],
        producer=PRODUCER,
    )


def _job(namespace: str, dataset: str) -> Job:
    return Job(
        namespace=namespace,
        name=audit_job_name(dataset),
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="PREFLIGHT", jobType="AUDIT", producer=PRODUCER
            )
        },
    )


def build_audit_events(
    audit: DatasetAudit,
    identity: tuple[str, str],
    *,
    run_id: str,
    job_namespace: str,
    parent: parent_run.ParentRunFacet | None = None,
) -> tuple[RunEvent, RunEvent]:
    """The START and COMPLETE (or FAIL) events of one dataset's audit, not yet sent."""
    namespace, name = identity
    run_uuid = audit_run_id(run_id, audit)
    run_facets: dict[str, Any] = {"parent": parent} if parent is not None else {}

    start = RunEvent(
        eventType=RunState.START,
        eventTime=_iso(audit.started_at),
        run=Run(runId=run_uuid, facets=dict(run_facets)),
        job=_job(job_namespace, audit.name),
        inputs=[InputDataset(namespace=namespace, name=name)],
        producer=PRODUCER,
    )

    # An unreachable dataset is a finding (a failed access check); only the audit's own
    # failure makes the run FAIL.
    failed = audit.status == DatasetStatus.ERROR
    end_facets = dict(run_facets)
    if failed:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=audit.reason or "the audit failed",
            programmingLanguage="python",
            producer=PRODUCER,
        )
    input_facets: dict[str, Any] = {}
    dataset_facets: dict[str, Any] = {}
    if audit.profile is not None:
        input_facets["dataQualityMetrics"] = _metrics(audit.profile)
        dataset_facets["schema"] = _schema(audit.profile)
    if audit.checks:
        input_facets["dataQualityAssertions"] = _assertions(audit)
    end = RunEvent(
        eventType=RunState.FAIL if failed else RunState.COMPLETE,
        eventTime=_iso(audit.finished_at),
        run=Run(runId=run_uuid, facets=end_facets),
        job=_job(job_namespace, audit.name),
        inputs=[
            InputDataset(
                namespace=namespace, name=name, facets=dataset_facets, inputFacets=input_facets
            )
        ],
        producer=PRODUCER,
    )
    return start, end


def emit_audit_events(
    audit: DatasetAudit,
    identity: tuple[str, str],
    *,
    run_id: str,
    job_namespace: str,
    client: OpenLineageClient | None = None,
    parent: parent_run.ParentRunFacet | str | None = None,
) -> list[RunEvent]:
    """Send the START and COMPLETE events of one dataset's audit; return what was sent.

    Without ``client``, :func:`client_from_settings` picks one; when no lineage output is
    configured at all nothing is sent and the result is empty. ``parent`` links the run
    to the task that ran it: a ParentRunFacet, or the ``namespace/job/runId`` string that
    Airflow's ``lineage_parent_id`` macro renders.
    """
    if isinstance(parent, str):
        parent = parent_facet(parent)
    events = build_audit_events(
        audit, identity, run_id=run_id, job_namespace=job_namespace, parent=parent
    )
    client = client if client is not None else client_from_settings()
    if client is None:
        log.debug("no OpenLineage output configured; audit events of %s not sent", audit.name)
        return []
    for event in events:
        try:
            client.emit(event)
        except Exception as exc:  # any transport failure, translated at the boundary
            kind = event.eventType.value if event.eventType is not None else "untyped"
            raise LineageEmitError(
                f"could not send the {kind} event of {audit_job_name(audit.name)}: {exc}"
            ) from exc
    return list(events)


# --------------------------------------------------------------------------- parent run


def parent_facet(parent_id: str, root_id: str | None = None) -> parent_run.ParentRunFacet:
    """A ParentRunFacet from ``namespace/job_name/run_id`` (Airflow's ``lineage_parent_id``
    format; ``root_id`` likewise, as ``lineage_root_parent_id`` renders it)."""

    def split(value: str) -> tuple[str, str, str]:
        namespace, _, rest = value.partition("/")
        name, _, run = rest.rpartition("/")
        if not (namespace and name and run):
            raise ValueError(f"expected 'namespace/job_name/run_id', got {value!r}")
        uuid.UUID(run)
        return namespace, name, run

    namespace, name, run = split(parent_id)
    root = None
    if root_id:
        root_ns, root_name, root_run = split(root_id)
        root = parent_run.Root(
            run=parent_run.RootRun(runId=root_run),
            job=parent_run.RootJob(namespace=root_ns, name=root_name),
        )
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=run),
        job=parent_run.Job(namespace=namespace, name=name),
        root=root,
        producer=PRODUCER,
    )


def airflow_parent(task_instance: Any) -> parent_run.ParentRunFacet:
    """The ParentRunFacet of an Airflow task instance, as the OpenLineage provider names it,
    so the audit runs hang under the task (and its DAG run) in a lineage UI."""
    from airflow.providers.openlineage.plugins.macros import (
        lineage_parent_id,
        lineage_root_parent_id,
    )

    return parent_facet(lineage_parent_id(task_instance), lineage_root_parent_id(task_instance))


# --------------------------------------------------------------------------- client


def _airflow_transport() -> Transport | None:
    """The transport the Airflow OpenLineage provider is configured with through the
    environment, so audit events land beside the tasks' own events."""
    raw = airflow_transport_config()
    if raw is None:
        return None
    from openlineage.client.transport import get_default_factory

    try:
        return get_default_factory().create(json.loads(raw))
    except (ValueError, TypeError, KeyError) as exc:
        raise LineageEmitError(
            f"AIRFLOW__OPENLINEAGE__TRANSPORT is not a usable transport: {exc}"
        ) from exc


def client_from_settings(
    settings: Settings | None = None, *, file: str | os.PathLike[str] | bool | None = None
) -> OpenLineageClient | None:
    """An OpenLineage client for audit events, or None when no output is configured.

    First match wins:

    1. ``file`` / ``PREFLIGHT_LINEAGE_FILE`` - JSON lines under ``$PREFLIGHT_HOME/lineage/``
       (see :func:`lineage_file_path`);
    2. openlineage-python's own configuration - ``OPENLINEAGE_CONFIG``, ``openlineage.yml``
       in the working directory or ``~/.openlineage/``, ``OPENLINEAGE__TRANSPORT__*``,
       ``OPENLINEAGE_URL`` (console, file, http, kafka ... as configured there);
    3. the Airflow OpenLineage provider's ``AIRFLOW__OPENLINEAGE__TRANSPORT``;
    4. ``settings.lineage.marquez_url`` - HTTP to the Marquez the audit reads lineage from.
    """
    if path := lineage_file_path(file):
        path.parent.mkdir(parents=True, exist_ok=True)
        return OpenLineageClient(
            transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
        )
    if standard_config_present():
        return OpenLineageClient()
    if transport := _airflow_transport():
        return OpenLineageClient(transport=transport)
    if settings is not None and settings.lineage.marquez_url:
        url = expand_env(settings.lineage.marquez_url).rstrip("/").removesuffix("/api/v1")
        return OpenLineageClient(transport=HttpTransport(HttpConfig.from_dict({"url": url})))
    return None


def emit_for_audit(
    config: Config,
    run_id: str,
    audit: DatasetAudit,
    *,
    parent: parent_run.ParentRunFacet | str | None = None,
) -> list[RunEvent]:
    """Emit one dataset audit's events, named as the catalog dataset is named in lineage."""
    from preflight.measure.checks.lineage import catalog_identity

    identity = catalog_identity(config, audit.name)  # this one only: the catalog may be long
    client = client_from_settings(config.settings)
    return emit_audit_events(
        audit, identity, run_id=run_id, job_namespace=config.settings.lineage.namespace, client=client, parent=parent
    )

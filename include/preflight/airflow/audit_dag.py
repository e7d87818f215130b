"""The audit DAG's wiring, shared by the scheduled audit and the data-aware re-audit.

``plan`` → per source, its share of the plan and one mapped ``audit_dataset`` in the
source's pool → ``evaluate`` → one ``gate`` per judged use case. Every task body is one
call into :mod:`preflight.airflow.tasks`; the DAG files only choose an id, a schedule and
a doc. A run audits the whole catalog, or (params ``datasets`` / ``use_case``, or the
assets that triggered a re-audit) a part of it, and then judges only the use cases that
read what it re-audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import AssetAlias, Param, TaskGroup, dag, get_current_context, task

from preflight.airflow.dag_settings import OTHER_SOURCES, OTHER_SOURCES_AT_ONCE, DagSettings
from preflight.airflow.tasks import READINESS_ALIAS

__all__ = ["build_audit_dag"]

PARAMS = {
    "config_dir": Param(None, type=["null", "string"], description="Config directory (default: PREFLIGHT_CONFIG)"),
    "datasets": Param(
        None, type=["null", "array"], items={"type": "string"},
        description="Re-audit only these datasets and re-judge the use cases that read them",
    ),
    "use_case": Param(None, type=["null", "string"], description="Re-audit only this use case's datasets and re-judge it"),
}


def build_audit_dag(
    dag_id: str, *, schedule: Any, doc_md: str | None, dag_settings: DagSettings, from_assets: bool = False
) -> Any:
    """The audit DAG; ``from_assets``: the run audits what the triggering asset events name."""

    @dag(
        dag_id=dag_id,
        schedule=schedule,
        catchup=False,
        doc_md=doc_md,
        tags=["preflight", "data-readiness"],
        default_args={
            "owner": "preflight",
            "retries": 1,
            "retry_delay": timedelta(seconds=30),
            "execution_timeout": timedelta(hours=1),
        },
        params=PARAMS,
        max_active_runs=1,
        max_active_tasks=dag_settings.max_parallel_audits,
    )
    def audit() -> None:
        @task(execution_timeout=timedelta(minutes=10))
        def plan(params=None, run_id=None, triggering_asset_events=None) -> dict[str, list[str]]:  # noqa: ANN001
            from preflight.airflow.tasks import plan_task, updated_assets

            return plan_task(
                run_id, params["config_dir"], dag_settings.group_of(),
                datasets=params.get("datasets") or (), use_case=params.get("use_case"),
                assets=updated_assets(triggering_asset_events) if from_assets else None,
            )

        @task(execution_timeout=timedelta(minutes=10))
        def datasets(planned: Any, group_id: str) -> list[str]:
            from preflight.airflow.tasks import lane_datasets

            return lane_datasets(planned, group_id)

        # One dataset: many statements, each within the source's statement timeout (10 min by default).
        @task(map_index_template="{{ dataset_name }}", execution_timeout=timedelta(hours=2))
        def audit_dataset(dataset: str, params=None, run_id=None, ti=None) -> dict:  # noqa: ANN001
            from preflight.airflow.tasks import audit_task

            context: dict[str, Any] = get_current_context()  # type: ignore[assignment]
            context["dataset_name"] = dataset  # labels the mapped task in the UI
            return audit_task(run_id, dataset, params["config_dir"], ti)

        # A skipped source (no datasets this run) must not skip the evaluation.
        @task(trigger_rule="none_failed")
        def evaluate(planned: Any, params=None, run_id=None) -> list[str]:  # noqa: ANN001
            from preflight.airflow.tasks import evaluate_task

            return evaluate_task(run_id, params["config_dir"], planned)

        @task(
            retries=0,
            outlets=[AssetAlias(READINESS_ALIAS)],
            map_index_template="{{ use_case_name }}",
            execution_timeout=timedelta(minutes=10),
        )
        def gate(use_case: str, params=None, run_id=None, outlet_events=None) -> dict:  # noqa: ANN001
            from preflight.airflow.tasks import gate_task

            context: dict[str, Any] = get_current_context()  # type: ignore[assignment]
            context["use_case_name"] = use_case
            return gate_task(run_id, use_case, outlet_events, params["config_dir"])

        planned = plan()
        audits = []
        # One task group per source: its audits take slots of the source's pool.
        for lane in dag_settings.lanes:
            with TaskGroup(lane.group_id, tooltip=f"source {lane.source}: at most {lane.slots} audits at once"):
                audits.append(audit_dataset.override(pool=lane.pool).expand(dataset=datasets(planned, lane.group_id)))
        with TaskGroup(OTHER_SOURCES, tooltip="sources this DAG was not parsed with: one audit at a time"):
            audits.append(
                audit_dataset.override(max_active_tis_per_dagrun=OTHER_SOURCES_AT_ONCE).expand(
                    dataset=datasets(planned, OTHER_SOURCES)
                )
            )
        use_cases = evaluate(planned)
        audits >> use_cases
        gate.expand(use_case=use_cases)

    return audit()

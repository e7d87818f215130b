"""
### Preflight audit

Audits every dataset in the Preflight catalog (one mapped task per dataset), evaluates
every proposed GenAI use case against the requirements of its kind, and runs one
**gate** per use case. A blocked use case fails its gate (no retries) with its
blockers in the log; a passing gate emits the use case's readiness Asset
(`preflight://readiness/<use case>`), on which launch DAGs are scheduled.

Every task has an `execution_timeout` (an audit task stops after 2 h even if a
database never answers; each query is bounded far sooner by the source's `timeouts`).
Configuration is read when tasks run (`PREFLIGHT_CONFIG`, default `include/config`),
never when this file is parsed. Reports: `$PREFLIGHT_HOME/reports/latest/`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import AssetAlias, Param, dag, get_current_context, task

from preflight.airflow.tasks import READINESS_ALIAS


@dag(
    dag_id="preflight_audit",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["preflight", "data-readiness"],
    default_args={
        "owner": "preflight",
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        "execution_timeout": timedelta(hours=1),
    },
    params={"config_dir": Param(None, type=["null", "string"], description="Config directory (default: PREFLIGHT_CONFIG)")},
    max_active_runs=1,
)
def preflight_audit() -> None:
    @task(execution_timeout=timedelta(minutes=10))
    def plan(params=None, run_id=None) -> list[str]:
        from preflight.airflow.tasks import plan_task

        return plan_task(run_id, params["config_dir"])

    # One dataset: many statements, each within the source's statement timeout (10 min by default).
    @task(
        map_index_template="{{ dataset_name }}",
        max_active_tis_per_dagrun=4,
        execution_timeout=timedelta(hours=2),
    )
    def audit_dataset(dataset: str, params=None, run_id=None, ti=None) -> dict:
        from preflight.airflow.tasks import audit_task

        get_current_context()["dataset_name"] = dataset  # labels the mapped task in the UI
        return audit_task(run_id, dataset, params["config_dir"], ti)

    @task
    def evaluate(params=None, run_id=None) -> list[str]:
        from preflight.airflow.tasks import evaluate_task

        return evaluate_task(run_id, params["config_dir"])

    @task(
        retries=0,
        outlets=[AssetAlias(READINESS_ALIAS)],
        map_index_template="{{ use_case_name }}",
        execution_timeout=timedelta(minutes=10),
    )
    def gate(use_case: str, params=None, run_id=None, outlet_events=None) -> dict:
        from preflight.airflow.tasks import gate_task

        get_current_context()["use_case_name"] = use_case
        return gate_task(run_id, use_case, outlet_events, params["config_dir"])

    audits = audit_dataset.expand(dataset=plan())
    use_cases = evaluate()
    audits >> use_cases
    gate.expand(use_case=use_cases)


preflight_audit()

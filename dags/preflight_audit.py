"""
### Preflight audit

Audits every dataset in the Preflight catalog (one mapped task instance per dataset),
evaluates every proposed GenAI use case against the requirements of its kind, and runs
one **gate** per use case. A blocked use case fails its gate (no retries) with its
blockers in the log; a passing gate emits the use case's readiness Asset
(`preflight://readiness/<use case>`), on which launch DAGs are scheduled.

**Schedule and scale come from the configuration** (`PREFLIGHT_CONFIG`, default
`include/config`) and take effect at the next parse of this file:
`settings.schedule` (cron expression or preset, default `@daily`; `null`: only when
triggered), `settings.max_parallel_audits` (tasks of one run in flight at once) and,
per source, `max_concurrent_audits`: each source has its own task group and Airflow
pool `preflight_source_<name>` with that many slots, so no warehouse sees more
concurrent audits than it allows. `preflight pools --apply` creates the pools.
Datasets of a source this file was not parsed with (a run given another `config_dir`)
are audited one at a time in `other_sources`.

Every task has an `execution_timeout` (an audit task stops after 2 h even if a
database never answers; each query is bounded far sooner by the source's `timeouts`).
Everything else in the configuration is read when the tasks run; a broken configuration
still parses (with the defaults) and fails the `plan` task, naming the file and field.
Reports: `$PREFLIGHT_HOME/reports/latest/`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import AssetAlias, Param, TaskGroup, dag, get_current_context, task

from preflight.airflow.dag_settings import OTHER_SOURCES, OTHER_SOURCES_AT_ONCE, read_dag_settings
from preflight.airflow.tasks import READINESS_ALIAS

dag_settings = read_dag_settings()


@dag(
    dag_id="preflight_audit",
    schedule=dag_settings.schedule,
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
    max_active_tasks=dag_settings.max_parallel_audits,
)
def preflight_audit() -> None:
    @task(execution_timeout=timedelta(minutes=10))
    def plan(params=None, run_id=None) -> dict[str, list[str]]:
        from preflight.airflow.tasks import plan_task

        return plan_task(run_id, params["config_dir"], dag_settings.group_of())

    @task(execution_timeout=timedelta(minutes=10))
    def datasets(planned: dict[str, list[str]], group_id: str) -> list[str]:
        from preflight.airflow.tasks import lane_datasets

        return lane_datasets(planned, group_id)

    # One dataset: many statements, each within the source's statement timeout (10 min by default).
    @task(map_index_template="{{ dataset_name }}", execution_timeout=timedelta(hours=2))
    def audit_dataset(dataset: str, params=None, run_id=None, ti=None) -> dict:
        from preflight.airflow.tasks import audit_task

        get_current_context()["dataset_name"] = dataset  # labels the mapped task in the UI
        return audit_task(run_id, dataset, params["config_dir"], ti)

    # A skipped source (no datasets this run) must not skip the evaluation.
    @task(trigger_rule="none_failed")
    def evaluate(planned: dict[str, list[str]], params=None, run_id=None) -> list[str]:
        from preflight.airflow.tasks import evaluate_task

        return evaluate_task(run_id, params["config_dir"], planned)

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


preflight_audit()

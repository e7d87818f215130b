"""
### Preflight launch DAGs (demo)

One `launch_<use case>` DAG per demo use case, scheduled on the use case's readiness
Asset (`preflight://readiness/<use case>`). The `preflight_audit` gate emits that Asset
only when the use case passes (ready or at_risk), so a blocked use case never launches.

The single task logs the readiness event that triggered the run (verdict, score, audit
run id) and **stands in for "deploy the feature"**: it deploys nothing.

The list of use cases below is a constant of the demo: a DAG file never reads the
Preflight configuration when it is parsed. A team adds a launch for its own use case with
its own DAG scheduled on the gate's Asset:

```python
from airflow.sdk import dag
from preflight.airflow.operators import PreflightGateOperator
from preflight.airflow.tasks import readiness_asset

@dag(schedule=[readiness_asset("my_use_case")], tags=["my-team"], ...)
def launch_my_use_case():
    # Checks again at launch time: fails closed on a blocked, stale or changed verdict.
    PreflightGateOperator(task_id="preflight_gate", use_case="my_use_case") >> deploy()
```

The operator, the `@preflight_gate` decorator and approvals of at-risk launches are in
`docs/gating.md`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from preflight.airflow.tasks import readiness_asset

# The demo's use cases (include/config/use_cases.yaml); not read from the config on purpose.
DEMO_USE_CASES = ("support_assistant", "article_recommendations", "article_localisation", "seat_suggestions")


def launch_dag(use_case: str) -> None:
    @dag(
        dag_id=f"launch_{use_case}",
        schedule=[readiness_asset(use_case)],
        catchup=False,
        doc_md=__doc__,
        description=f"Launches {use_case} when its Preflight gate passes (demo stand-in)",
        tags=["preflight", "launch", "demo"],
        default_args={"owner": "preflight", "retries": 1, "retry_delay": timedelta(seconds=30), "execution_timeout": timedelta(hours=1)},
        max_active_runs=1,
    )
    def launch() -> None:
        @task(task_id="deploy")
        def deploy(triggering_asset_events=None) -> dict:
            from preflight.airflow.tasks import launch_task

            return launch_task(use_case, triggering_asset_events)

        deploy()

    launch()


for _name in DEMO_USE_CASES:
    launch_dag(_name)

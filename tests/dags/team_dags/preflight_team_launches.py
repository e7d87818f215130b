"""
### Team launch DAGs for the gate tests

How a team gates its own launch: the gate first, its deployment after. Each DAG here is
one scenario of `tests/dags/test_gate_operator.py` on the world of `tests/gate_world.py`
(use cases `ready_use_case`, `risky_use_case`, `blocked_use_case`, `changed_use_case`).
The `deploy` tasks only return what they would launch.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from preflight.airflow.decorators import preflight_gate
from preflight.airflow.operators import PreflightGateOperator, preflight_launch_gate

# The team's own defaults: retries for its flaky deployment. The gate keeps retries=0.
DEFAULT_ARGS = {"owner": "team", "retries": 2, "retry_delay": timedelta(seconds=5)}


def with_operator(dag_id: str, use_case: str, params: dict | None = None, **gate_args: object) -> None:
    @dag(dag_id=dag_id, schedule=None, catchup=False, doc_md=__doc__, tags=["team", "operator"],
         default_args=DEFAULT_ARGS, params=params or {})
    def launch() -> None:
        @task
        def deploy() -> dict:
            return {"deployed": use_case}

        PreflightGateOperator(task_id="preflight_gate", use_case=use_case, **gate_args) >> deploy()

    launch()


def with_decorator(dag_id: str, use_case: str, **gate_args: object) -> None:
    @dag(dag_id=dag_id, schedule=None, catchup=False, doc_md=__doc__, tags=["team", "decorator"],
         default_args=DEFAULT_ARGS)
    def launch() -> None:
        @preflight_gate(use_case=use_case, **gate_args)
        def deploy(preflight_verdict) -> dict:  # noqa: ANN001 - the gate's summary
            return {"deployed": use_case, "verdict": preflight_verdict["verdict"],
                    "audit_run": preflight_verdict["run_id"]}

        deploy()

    launch()


def with_approval(dag_id: str, use_case: str, **gate_args: object) -> None:
    @dag(dag_id=dag_id, schedule=None, catchup=False, doc_md=__doc__, tags=["team", "approval"],
         default_args=DEFAULT_ARGS)
    def launch() -> None:
        @task
        def deploy() -> dict:
            return {"deployed": use_case}

        # How long an approval lasts comes from the configuration (settings.approval_valid_for).
        preflight_launch_gate(use_case, approvers=["alice"], **gate_args) >> deploy()

    launch()


with_operator("op_ready", "ready_use_case")
with_operator("op_blocked", "blocked_use_case")
with_operator("op_stale", "ready_use_case", max_age="1s")
with_operator("op_changed", "changed_use_case")
with_operator("op_risky", "risky_use_case")
with_operator("op_risky_allowed", "risky_use_case", allow_at_risk=True)
with_operator("op_risky_ignoring_approvals", "risky_use_case", honour_approvals=False)
# Templated: the use case and the maximum age come from the run's params.
with_operator("op_templated", "{{ params.use_case }}", max_age="{{ params.max_age }}",
              params={"use_case": "ready_use_case", "max_age": "7d"})

with_decorator("deco_ready", "ready_use_case")
with_decorator("deco_blocked", "blocked_use_case")
with_decorator("deco_stale", "ready_use_case", max_age=timedelta(seconds=1))
with_decorator("deco_changed", "changed_use_case")
with_decorator("deco_risky", "risky_use_case")
with_decorator("deco_risky_allowed", "risky_use_case", allow_at_risk=True)

with_approval("approval_ready", "ready_use_case")
with_approval("approval_blocked", "blocked_use_case")
with_approval("approval_risky", "risky_use_case")

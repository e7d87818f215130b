"""The gate operators as a DAG author meets them: arguments, defaults, wiring, refusals.

What they decide when they run is tested through real Airflow in
``tests/dags/test_gate_operator.py`` and ``tests/dags/test_gate_approval_hitl.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException

from preflight.airflow.decorators import preflight_gate
from preflight.airflow.operators import (
    PreflightApprovalOperator,
    PreflightGateOperator,
    _duration,
    preflight_launch_gate,
)
from preflight.model.approvals import ApprovalDecision, LaunchApproval

START = datetime(2026, 1, 1, tzinfo=UTC)


def _dag(**default_args: object) -> DAG:
    return DAG("team", schedule=None, start_date=START, default_args=default_args)


def test_the_gate_does_not_inherit_the_teams_retries() -> None:
    with _dag(retries=3):
        gate = PreflightGateOperator(task_id="gate", use_case="seats")
        insisted = PreflightGateOperator(task_id="gate_retried", use_case="seats", retries=1)
    assert gate.retries == 0 and insisted.retries == 1
    assert gate.allow_at_risk is False and gate.honour_approvals is True
    assert set(gate.template_fields) == {"use_case", "max_age", "config_dir"}


@pytest.mark.parametrize(("value", "expected"), [("36h", timedelta(hours=36)), (timedelta(days=2), timedelta(days=2)),
                                                 ("90s", timedelta(seconds=90)), (None, None), ("", None)])
def test_durations(value: object, expected: timedelta | None) -> None:
    assert _duration(value, "max_age") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "message"), [("soon", "max_age='soon': expected a duration like"),
                                                ("0s", "max_age='0s': must be longer than zero")])
def test_a_bad_duration_fails_the_task_and_names_the_argument(value: str, message: str) -> None:
    with pytest.raises(AirflowFailException, match=message):
        _duration(value, "max_age")


def test_the_approval_operator_names_its_approvers_and_asks_for_a_reason() -> None:
    with _dag(retries=3):
        approve = PreflightApprovalOperator(
            task_id="approve", use_case="recs", approvers=["dana", {"id": "sam", "name": "Sam Osei"}]
        )
    assert approve.assigned_users == [{"id": "dana", "name": "dana"}, {"id": "sam", "name": "Sam Osei"}]
    assert approve.options == ["Approve", "Reject"] and list(approve.params) == ["reason"]
    assert approve.subject == "Launch recs although Preflight rates it AT RISK?"
    assert approve.retries == 0 and approve.ignore_downstream_trigger_rules is True


@pytest.mark.parametrize("defaults", ["Approve", ["Approve"]])
def test_a_launch_is_never_approved_by_default(defaults: object) -> None:
    with _dag(), pytest.raises(ValueError, match="never approved by default"):
        PreflightApprovalOperator(task_id="approve", use_case="recs", defaults=defaults)
    with _dag():
        PreflightApprovalOperator(task_id="approve", use_case="recs", defaults="Reject")


def test_the_approval_operator_owns_its_form_and_approvers() -> None:
    with _dag(), pytest.raises(ValueError, match="sets params"):
        PreflightApprovalOperator(task_id="approve", use_case="recs", params={"x": 1})


def test_the_launch_gate_group_asks_before_it_gates() -> None:
    with _dag() as dag:
        group = preflight_launch_gate("recs", approvers="dana", valid_for="8h", max_age="36h")
    approve, gate = dag.task_dict["preflight_gate_recs.approve_if_at_risk"], dag.task_dict["preflight_gate_recs.gate"]
    assert group.group_id == "preflight_gate_recs" and group.get_child_by_label("gate") is gate
    assert approve.downstream_task_ids == {gate.task_id}
    assert isinstance(approve, PreflightApprovalOperator) and approve.valid_for == "8h" and approve.max_age == "36h"
    assert isinstance(gate, PreflightGateOperator) and gate.allow_at_risk is False and gate.honour_approvals is True


def test_the_decorator_accepts_the_verdict_argument_with_or_without_a_default() -> None:
    with _dag(retries=3) as dag:
        @preflight_gate(use_case="seats", max_age="36h")
        def deploy(preflight_verdict) -> None:  # noqa: ANN001
            ...

        @preflight_gate(use_case="seats", allow_at_risk=True, task_id="deploy_too")
        def deploy_too(preflight_verdict: dict | None = None, ti=None) -> None:  # noqa: ANN001
            ...

        deploy()
        deploy_too()
    task, other = dag.task_dict["deploy"], dag.task_dict["deploy_too"]
    assert task.op_kwargs == {"preflight_verdict": None} and task.retries == 0
    assert (task.use_case, task.max_age, task.allow_at_risk) == ("seats", "36h", False)
    assert other.allow_at_risk is True and task.custom_operator_name == "@preflight_gate"
    assert {"use_case", "max_age", "config_dir", "op_kwargs"} <= set(task.template_fields)


def test_an_approval_describes_itself_and_is_valid_only_until_it_expires() -> None:
    approval = LaunchApproval(
        use_case="recs", run_id="r1", fingerprint="f", verdict="at_risk", score=70,
        decision=ApprovalDecision.APPROVED, approver_id="dana", approver_name="Dana Ruiz",
        decided_at=START, expires_at=START + timedelta(hours=8), reason="fix in DATA-42",
    )
    assert approval.describe() == (
        "approved at risk by Dana Ruiz (dana) at 2026-01-01 00:00 UTC until 2026-01-01 08:00 UTC: "
        "'fix in DATA-42' (audit run r1)"
    )
    assert approval.valid_at(START) and approval.valid_at(START + timedelta(hours=7, minutes=59))
    assert not approval.valid_at(START + timedelta(hours=8)) and not approval.valid_at(START - timedelta(seconds=1))
    rejected = approval.model_copy(update={"decision": ApprovalDecision.REJECTED, "expires_at": None})
    assert not rejected.valid_at(START + timedelta(minutes=1))
    assert rejected.describe() == "rejected by Dana Ruiz (dana) at 2026-01-01 00:00 UTC: 'fix in DATA-42'"

"""A team's launch DAG gated by Preflight, through real Airflow (``dag.test()``).

The world (``tests/gate_world.py``) is audited for real; the team DAGs
(``team_dags/preflight_team_launches.py``) run in one child process on an embedded SQLite
metadata DB. A DAG with the gate runs for a ready use case and fails — gate failed, no
retry, deployment ``upstream_failed`` — for a blocked, a stale, a changed and (unless
allowed) an at-risk one, with every reason in the task log. The same for
``@preflight_gate``, and for the approval task group where no approval is needed or none
can help. The human-in-the-loop round trip is in ``test_gate_approval_hitl.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from gate_world import BLOCKED, CHANGED, READY, RISKY
from team_runs import TeamRun, TeamWorld, prepare_team_world

pytestmark = pytest.mark.integration

SPECS = [
    "op_ready", "op_blocked", "op_stale", "op_changed", "op_risky", "op_risky_allowed",
    "op_templated",
    {"label": "op_templated_blocked", "dag_id": "op_templated", "conf": {"use_case": BLOCKED}},
    {"label": "op_templated_stale", "dag_id": "op_templated", "conf": {"max_age": "1s"}},
    "deco_ready", "deco_blocked", "deco_stale", "deco_changed", "deco_risky", "deco_risky_allowed",
    "approval_ready", "approval_blocked",
    {"label": "docs_example", "dag_id": "docs_launch_example"},
]
GATING_DOC = Path(__file__).resolve().parents[2] / "docs" / "gating.md"


def docs_example() -> str:
    """The complete team DAG of docs/gating.md, as written there."""
    text = GATING_DOC.read_text()
    section = text[text.index("## A complete team DAG"):]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/gating.md has no complete team DAG"
    return match.group(1)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamWorld]:
    with pytest.MonkeyPatch.context() as mp:
        team = prepare_team_world(tmp_path_factory.mktemp("gate-operator"), mp)
        # The docs' example DAG, run on this world's ready use case (the only edits).
        example = docs_example()
        assert 'USE_CASE = "article_recommendations"' in example and 'dag_id="launch_recommendations"' in example
        example = example.replace('USE_CASE = "article_recommendations"', f'USE_CASE = "{READY}"')
        example = example.replace('dag_id="launch_recommendations"', 'dag_id="docs_launch_example"')
        (Path(team.env["AIRFLOW__CORE__DAGS_FOLDER"]) / "docs_launch_example.py").write_text(example)
        yield team


@pytest.fixture(scope="module")
def runs(team: TeamWorld) -> dict[str, TeamRun]:
    return team.run(*SPECS)


def _summary(team: TeamWorld, use_case: str, verdict: str, score: int) -> dict:
    """The gate's XCom, less ``audited_at`` (checked apart)."""
    return {"use_case": use_case, "verdict": verdict, "score": score, "readiness_level": "A" if verdict == "ready" else "C",
            "run_id": team.audit_run_id, "approved": False, "approval": None}


def _without_audited_at(summary: dict) -> dict:
    assert summary["audited_at"], summary
    return {k: v for k, v in summary.items() if k != "audited_at"}


def test_the_operator_lets_a_ready_use_case_launch(runs: dict[str, TeamRun], team: TeamWorld) -> None:
    run = runs["op_ready"]
    assert run.state == "success", run.output[-3000:]
    assert run.task_state("preflight_gate") == "success" and run.task_state("deploy") == "success"
    assert _without_audited_at(run.returned("preflight_gate")) == _summary(team, READY, "ready", 100)
    assert run.returned("deploy") == {"deployed": READY}
    assert f"{READY} passes its Preflight gate: ready, score 100, audit run {team.audit_run_id}" in run.output
    # The team's default_args say retries=2; its deployment keeps them, the gate does not.
    assert run.tasks["preflight_gate"]["max_tries"] == 0 and run.tasks["deploy"]["max_tries"] == 2


CLOSED = {
    "blocked": (BLOCKED, [f"{BLOCKED} is BLOCKED (score", "items lacks columns this use case needs: price"]),
    "stale": (READY, ["old; the gate accepts at most 1 s"]),
    "changed": (CHANGED, ["the configuration changed since the audit: use case"]),
    "risky": (RISKY, [f"{RISKY} is AT RISK (score", "does not let at-risk use cases launch without an approval"]),
}


@pytest.mark.parametrize("scenario", sorted(CLOSED))
def test_the_operator_fails_closed_with_every_reason(runs: dict[str, TeamRun], team: TeamWorld, scenario: str) -> None:
    use_case, reasons = CLOSED[scenario]
    run = runs[f"op_{scenario}"]
    assert run.state == "failed", run.output[-3000:]
    gate = run.tasks["preflight_gate"]
    assert gate["state"] == "failed" and gate["try_number"] == 1 and gate["max_tries"] == 0, gate
    assert run.task_state("deploy") == "upstream_failed"
    assert run.returned("preflight_gate") is None and run.returned("deploy") is None
    assert f"AirflowFailException: {use_case}: gate closed (run {team.audit_run_id}):" in run.output
    for reason in reasons:
        assert reason in run.output, (reason, run.output[-3000:])


def test_the_operator_lets_at_risk_launch_only_when_allowed(runs: dict[str, TeamRun], team: TeamWorld) -> None:
    assert runs["op_risky"].state == "failed"
    allowed = runs["op_risky_allowed"]
    assert allowed.state == "success", allowed.output[-3000:]
    score = allowed.returned("preflight_gate")["score"]
    assert _without_audited_at(allowed.returned("preflight_gate")) == _summary(team, RISKY, "at_risk", score)
    assert f"{RISKY} launches AT RISK" in allowed.output


def test_the_operators_use_case_and_max_age_are_templated(runs: dict[str, TeamRun]) -> None:
    assert runs["op_templated"].state == "success"
    assert runs["op_templated"].returned("preflight_gate")["use_case"] == READY
    blocked = runs["op_templated_blocked"]
    assert blocked.state == "failed" and f"{BLOCKED} is BLOCKED" in blocked.output
    stale = runs["op_templated_stale"]
    assert stale.state == "failed" and "the gate accepts at most 1 s" in stale.output


def test_the_decorator_runs_its_callable_with_the_verdict_when_the_gate_is_open(runs: dict[str, TeamRun], team: TeamWorld) -> None:
    run = runs["deco_ready"]
    assert run.state == "success", run.output[-3000:]
    assert run.returned("deploy") == {"deployed": READY, "verdict": "ready", "audit_run": team.audit_run_id}
    assert _without_audited_at(run.returned("deploy", "preflight_gate")) == _summary(team, READY, "ready", 100)
    assert run.tasks["deploy"]["max_tries"] == 0

    allowed = runs["deco_risky_allowed"]
    assert allowed.state == "success", allowed.output[-3000:]
    assert allowed.returned("deploy") == {"deployed": RISKY, "verdict": "at_risk", "audit_run": team.audit_run_id}


@pytest.mark.parametrize("scenario", sorted(CLOSED))
def test_the_decorator_never_runs_its_callable_when_the_gate_is_closed(runs: dict[str, TeamRun], team: TeamWorld, scenario: str) -> None:
    use_case, reasons = CLOSED[scenario]
    run = runs[f"deco_{scenario}"]
    assert run.state == "failed", run.output[-3000:]
    deploy = run.tasks["deploy"]
    assert deploy["state"] == "failed" and deploy["try_number"] == 1 and deploy["max_tries"] == 0, deploy
    assert run.returned("deploy") is None and run.returned("deploy", "preflight_gate") is None
    assert "Returned value was" not in run.output  # the callable never ran
    assert f"AirflowFailException: {use_case}: gate closed" in run.output
    for reason in reasons:
        assert reason in run.output, (reason, run.output[-3000:])


def test_the_approval_group_asks_no_one_about_a_ready_use_case(runs: dict[str, TeamRun], team: TeamWorld) -> None:
    run = runs["approval_ready"]
    group = f"preflight_gate_{READY}"
    assert run.state == "success", run.output[-3000:]
    assert {task: t["state"] for task, t in run.tasks.items()} == {
        f"{group}.approve_if_at_risk": "success", f"{group}.gate": "success", "deploy": "success"
    }
    assert run.hitl == []  # no human-in-the-loop request was made
    asked = run.returned(f"{group}.approve_if_at_risk")
    assert asked["approval_needed"] is False and asked["gate"]["verdict"] == "ready"
    assert _without_audited_at(run.returned(f"{group}.gate")) == _summary(team, READY, "ready", 100)


def test_the_approval_group_never_asks_about_a_blocked_use_case(runs: dict[str, TeamRun]) -> None:
    run = runs["approval_blocked"]
    group = f"preflight_gate_{BLOCKED}"
    assert run.state == "failed", run.output[-3000:]
    assert run.task_state(f"{group}.approve_if_at_risk") == "failed"
    assert run.task_state(f"{group}.gate") == "upstream_failed" and run.task_state("deploy") == "upstream_failed"
    assert run.hitl == []
    assert "No approval can open this gate." in run.output and f"{BLOCKED} is BLOCKED" in run.output


def test_the_complete_team_dag_of_the_docs_runs(runs: dict[str, TeamRun], team: TeamWorld) -> None:
    run = runs["docs_example"]
    group = f"preflight_gate_{READY}"
    assert run.state == "success", run.output[-3000:]
    assert {task: t["state"] for task, t in run.tasks.items()} == {
        f"{group}.approve_if_at_risk": "success", f"{group}.gate": "success", "deploy": "success",
        "smoke_test": "success",
    }
    assert f"deploying on ready (score 100, audit {team.audit_run_id})" in run.output
    assert run.tasks[f"{group}.gate"]["max_tries"] == 0 and run.tasks["deploy"]["max_tries"] == 2

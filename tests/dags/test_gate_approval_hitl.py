"""An at-risk launch approved by a named person, through Airflow's human-in-the-loop for real.

``dag.test()`` runs the team DAG ``approval_risky`` (``preflight_launch_gate`` →
``deploy``) in a child process; its ``approve_if_at_risk`` task parks in
``awaiting_input`` (Airflow 3.3: no trigger, no triggerer) and ``dag.test()`` waits for
the answer. A real ``airflow api-server`` on the same SQLite metadata DB, with
SimpleAuthManager users ``alice`` (the assigned approver) and ``bob``, answers through
the HITL REST endpoint with real tokens: bob is refused, alice approves with a reason.
The approval lands in the results store as a time-boxed waiver of that verdict; the plain
gate operator then opens on it, until a new audit needs a new approval, which alice
rejects.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from gate_world import RISKY
from team_runs import TeamWorld, prepare_team_world, tail

from preflight.airflow.demo.runner import airflow_bin
from preflight.config import load_config
from preflight.model.approvals import ApprovalDecision
from preflight.run.pipeline import store_for

pytestmark = pytest.mark.integration

USERS = {"admin": ("admin", "admin-pw"), "alice": ("user", "alice-pw"), "bob": ("user", "bob-pw")}
HEALTH_TIMEOUT_S = 120
PARK_TIMEOUT_S = 300
APPROVAL_DAG = "approval_risky"
APPROVAL_TASK = f"preflight_gate_{RISKY}.approve_if_at_risk"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HitlStack:
    team: TeamWorld
    base_url: str
    server_log: Path

    def token(self, user: str) -> str:
        response = httpx.post(f"{self.base_url}/auth/token", json={"username": user, "password": USERS[user][1]}, timeout=30)
        assert response.status_code == 201, response.text
        return str(response.json()["access_token"])

    def pending(self, token: str) -> list[dict[str, Any]]:
        """The unanswered HITL requests of the approval DAG, through the REST API."""
        response = httpx.get(
            f"{self.base_url}/api/v2/dags/{APPROVAL_DAG}/dagRuns/~/hitlDetails",
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        )
        assert response.status_code == 200, response.text
        return [d for d in response.json()["hitl_details"] if not d["response_received"]]

    def wait_for_request(self, process: subprocess.Popen[bytes], log: Path, token: str) -> dict[str, Any]:
        deadline = time.monotonic() + PARK_TIMEOUT_S
        while time.monotonic() < deadline:
            found = self.pending(token)
            if found:
                return found[0]
            if process.poll() is not None:
                pytest.fail(f"dag.test() ended before asking for an approval\n{tail(log)}")
            time.sleep(1)
        pytest.fail(f"no approval request after {PARK_TIMEOUT_S}s\n{tail(log)}\n{tail(self.server_log)}")

    def respond(self, request: dict[str, Any], token: str, option: str, reason: str) -> httpx.Response:
        ti = request["task_instance"]
        return httpx.patch(
            f"{self.base_url}/api/v2/dags/{ti['dag_id']}/dagRuns/{quote(ti['dag_run_id'], safe='')}"
            f"/taskInstances/{ti['task_id']}/{ti['map_index']}/hitlDetails",
            json={"chosen_options": [option], "params_input": {"reason": reason}},
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        )


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the api-server exited with {server.returncode}\n{tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} not healthy after {HEALTH_TIMEOUT_S}s\n{tail(log)}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the api-server we started: its own process group, uvicorn workers included."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HitlStack]:
    root = tmp_path_factory.mktemp("gate-hitl")
    passwords = root / "simple-auth-passwords.json"
    passwords.write_text(json.dumps({user: password for user, (_, password) in USERS.items()}))
    port = _free_port()
    with pytest.MonkeyPatch.context() as mp:
        team = prepare_team_world(
            root / "world", mp,
            AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="False",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=",".join(f"{user}:{role}" for user, (role, _) in USERS.items()),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
            AIRFLOW__API__WORKERS="1",
        )
        server_log = team.logs / "hitl-api-server.log"
        with server_log.open("wb") as handle:
            server = subprocess.Popen(
                [airflow_bin(), "api-server", "-H", "127.0.0.1", "-p", str(port)],
                env=team.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(f"{base_url}/api/v2/monitor/health", server, server_log)
            yield HitlStack(team=team, base_url=base_url, server_log=server_log)
        finally:
            _stop(server)


def _approvals(team: TeamWorld) -> list:  # noqa: ANN202
    return store_for(load_config(team.world.config_dir)).launch_approvals(RISKY)


def test_an_at_risk_launch_waits_for_a_named_approver_and_the_approval_is_a_waiver(stack: HitlStack) -> None:
    team = stack.team
    alice, bob = stack.token("alice"), stack.token("bob")
    process, log = team.start_batch([{"label": "approved", "dag_id": APPROVAL_DAG}])
    try:
        request = stack.wait_for_request(process, log, alice)
        # What the approver is shown: the verdict, why, and what approving means.
        assert request["subject"] == f"Launch {RISKY} although Preflight rates it AT RISK?"
        assert f"**{RISKY}** is **AT RISK**" in request["body"] and team.audit_run_id in request["body"]
        assert "orders ids are not unique" in request["body"] and "valid for 3.0 h" in request["body"]
        assert request["assigned_users"] == [{"id": "alice", "name": "alice"}]
        assert request["options"] == ["Approve", "Reject"] and "reason" in request["params"]
        assert request["task_instance"]["task_id"] == APPROVAL_TASK
        assert request["task_instance"]["state"] == "awaiting_input"

        refused = stack.respond(request, bob, "Approve", "bob is not an approver")
        assert refused.status_code == 403, refused.text
        answered = stack.respond(request, alice, "Approve", "the duplicates are test rows; fix tracked in DATA-42")
        assert answered.status_code == 200, answered.text
        runs = team.finish_batch(process, log)
    finally:
        if process.poll() is None:
            process.kill()
    run = runs["approved"]
    assert run.state == "success", run.output[-4000:]
    assert {task: t["state"] for task, t in run.tasks.items()} == {
        APPROVAL_TASK: "success", f"preflight_gate_{RISKY}.gate": "success", "deploy": "success"
    }
    assert run.hitl == [{"subject": request["subject"], "responded_by": {"id": "alice", "name": "alice"},
                         "chosen": ["Approve"]}]

    # The waiver in the results store: who, why, when, until when, of which verdict.
    [approval] = _approvals(team)
    found = store_for(load_config(team.world.config_dir)).latest_verdict(RISKY)
    assert found is not None
    assert approval.decision is ApprovalDecision.APPROVED
    assert (approval.approver_id, approval.approver_name) == ("alice", "alice")
    assert approval.reason == "the duplicates are test rows; fix tracked in DATA-42"
    assert approval.run_id == team.audit_run_id and approval.fingerprint == found[1].fingerprint
    assert approval.expires_at is not None and approval.expires_at - approval.decided_at == timedelta(hours=3)  # the world's setting
    assert approval.origin == f"airflow:{APPROVAL_DAG}/{run.run_id}/{APPROVAL_TASK}"
    gate = run.returned(f"preflight_gate_{RISKY}.gate")
    assert gate["approved"] is True and gate["approval"]["approver_id"] == "alice"
    assert gate["approval"]["expires_at"] == approval.expires_at.isoformat()

    # Any gate that honours approvals now opens for this verdict; one that does not stays shut.
    after = team.run("op_risky", "op_risky_ignoring_approvals", "deco_risky")
    assert after["op_risky"].state == "success", after["op_risky"].output[-3000:]
    assert after["op_risky"].returned("preflight_gate")["approval"]["reason"] == approval.reason
    assert "approved at risk by alice" in after["op_risky"].output
    assert after["deco_risky"].state == "success", after["deco_risky"].output[-3000:]
    assert after["op_risky_ignoring_approvals"].state == "failed"

    # A new audit is a new verdict: the old approval does not cover it. Asked again, alice rejects.
    newer = team.world.audit()
    process, log = team.start_batch([{"label": "op_risky", "dag_id": "op_risky"},
                                     {"label": "rejected", "dag_id": APPROVAL_DAG}])
    try:
        request = stack.wait_for_request(process, log, alice)
        assert newer.run_id in request["body"]
        answered = stack.respond(request, alice, "Reject", "wait for DATA-42")
        assert answered.status_code == 200, answered.text
        runs = team.finish_batch(process, log)
    finally:
        if process.poll() is None:
            process.kill()
    assert runs["op_risky"].state == "failed"
    assert "without an approval" in runs["op_risky"].output
    rejected = runs["rejected"]
    assert rejected.state == "success"  # a rejection is an answer, not a failure: nothing launched
    assert rejected.tasks[APPROVAL_TASK]["state"] == "success", rejected.output[-4000:]
    assert rejected.task_state(f"preflight_gate_{RISKY}.gate") == "skipped"
    assert rejected.task_state("deploy") == "skipped"
    latest = _approvals(team)[0]
    assert latest.decision is ApprovalDecision.REJECTED and latest.approver_id == "alice"
    assert latest.run_id == newer.run_id and latest.expires_at is None and latest.reason == "wait for DATA-42"
    assert len(_approvals(team)) == 2

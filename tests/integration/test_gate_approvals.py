"""Launch approvals in the gate: a valid approval of exactly the newest at-risk verdict opens
it, and nothing else does.

A real audit of a small SQLite world writes the verdicts (``tests/gate_world.py``); the
approvals are stored through the results store as the approval operator stores them, and
the gate is asked the way the operator and ``preflight gate`` ask it. The full round trip
through Airflow's human-in-the-loop is in ``tests/dags/test_gate_operator.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from gate_world import BLOCKED, READY, RISKY, GateWorld, build_gate_world

from preflight.config import load_config
from preflight.model.approvals import ApprovalDecision, LaunchApproval
from preflight.run.gate import decide_gate
from preflight.run.pipeline import store_for
from preflight.run.store import ResultsStore

pytestmark = pytest.mark.integration


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GateWorld]:
    built = build_gate_world(tmp_path / "world")
    for key, value in built.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PREFLIGHT_RESULTS_URL", raising=False)
    run = built.audit()
    verdicts = {v.use_case: v.verdict.value for v in run.use_cases}
    assert verdicts[READY] == "ready" and verdicts[RISKY] == "at_risk" and verdicts[BLOCKED] == "blocked", verdicts
    yield built


def _approve(world: GateWorld, use_case: str = RISKY, *, decision: ApprovalDecision = ApprovalDecision.APPROVED,
             decided_at: datetime | None = None, valid_for: timedelta = timedelta(hours=2),
             run_id: str | None = None, fingerprint: str | None = None, who: str = "alice") -> LaunchApproval:
    """Store an approval of the newest verdict of ``use_case`` (or of the run/fingerprint given)."""
    config = load_config(world.config_dir)
    store = store_for(config)
    found = store.latest_verdict(use_case)
    assert found is not None
    run, verdict = found
    decided_at = decided_at or datetime.now(UTC)
    return store.save_approval(LaunchApproval(
        use_case=use_case, run_id=run_id or run.run_id, fingerprint=fingerprint or verdict.fingerprint or "",
        verdict=verdict.verdict.value, score=verdict.score, decision=decision,
        approver_id=who, approver_name=who.title(), reason="known duplicates, fix in DATA-42",
        decided_at=decided_at,
        expires_at=decided_at + valid_for if decision is ApprovalDecision.APPROVED else None,
        origin="test",
    ))


def _decide(world: GateWorld, use_case: str = RISKY, *, now: datetime | None = None, **kwargs: object):  # noqa: ANN202
    config = load_config(world.config_dir)
    return decide_gate(store_for(config), config, use_case, now=now or datetime.now(UTC), **kwargs)  # type: ignore[arg-type]


def _gate_cli(world: GateWorld, use_case: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", "gate", use_case, *args],
        env={**os.environ, **world.env()}, capture_output=True, text=True, timeout=300,
    )


def test_an_at_risk_verdict_is_approvable_and_closed_without_an_approval(world: GateWorld) -> None:
    decision = _decide(world, allow_at_risk=False, honour_approvals=True)
    assert not decision.open and decision.approvable and decision.approval is None
    assert decision.reasons == (
        f"{RISKY} is AT RISK (score {decision.verdict.score}) and this gate does not let at-risk use cases "
        "launch without an approval",
    )
    # The defaults (the audit DAG's gate, the facade) let at-risk launch, as before.
    assert _decide(world).open


def test_a_valid_approval_opens_the_gate_only_for_callers_that_honour_approvals(world: GateWorld) -> None:
    approval = _approve(world)
    opened = _decide(world, allow_at_risk=False, honour_approvals=True)
    assert opened.open and opened.approved and opened.approval == approval
    assert opened.reasons == ()
    ignored = _decide(world, allow_at_risk=False, honour_approvals=False)
    assert not ignored.open and ignored.approval is None


def test_an_approval_expires(world: GateWorld) -> None:
    approval = _approve(world, valid_for=timedelta(hours=2))
    assert approval.expires_at is not None
    just_before = approval.expires_at - timedelta(seconds=1)
    assert _decide(world, now=just_before, allow_at_risk=False, honour_approvals=True).open
    expired = _decide(world, now=approval.expires_at, allow_at_risk=False, honour_approvals=True)
    assert not expired.open and expired.approvable and expired.approval is None


def test_an_approval_is_of_one_verdict_a_new_audit_needs_a_new_one(world: GateWorld) -> None:
    _approve(world)
    assert _decide(world, allow_at_risk=False, honour_approvals=True).open
    world.audit()  # the same data, audited again: a new verdict nobody approved yet
    after = _decide(world, allow_at_risk=False, honour_approvals=True)
    assert not after.open and after.approvable and after.approval is None
    _approve(world, who="bob")
    again = _decide(world, allow_at_risk=False, honour_approvals=True)
    assert again.open and again.approval is not None and again.approval.approver_id == "bob"


def test_an_approval_of_another_fingerprint_does_not_count(world: GateWorld) -> None:
    _approve(world, fingerprint="0123456789abcdef")
    assert not _decide(world, allow_at_risk=False, honour_approvals=True).open


def test_a_configuration_change_closes_an_approved_gate_and_says_why(world: GateWorld) -> None:
    approval = _approve(world)
    world.change_use_case(RISKY)
    decision = _decide(world, allow_at_risk=False, honour_approvals=True)
    assert not decision.open and not decision.approvable
    assert decision.reasons[0] == "the configuration changed since the audit: use case"
    assert f"{approval.describe()}; an approval waives only the at-risk reason" in decision.reasons


def test_an_approval_never_opens_a_stale_verdict(world: GateWorld) -> None:
    _approve(world, valid_for=timedelta(days=30))
    decision = _decide(world, now=datetime.now(UTC) + timedelta(days=8), allow_at_risk=False, honour_approvals=True)
    assert not decision.open and not decision.approvable
    assert any("old; the gate accepts at most 7.0 days" in r for r in decision.reasons), decision.reasons


def test_blocked_is_never_approvable(world: GateWorld) -> None:
    _approve(world, BLOCKED)  # even a stored approval of the blocked verdict changes nothing
    decision = _decide(world, BLOCKED, allow_at_risk=False, honour_approvals=True)
    assert not decision.open and not decision.approvable and not decision.approved
    assert decision.reasons[0].startswith(f"{BLOCKED} is BLOCKED")


def test_a_ready_verdict_needs_no_approval(world: GateWorld) -> None:
    decision = _decide(world, READY, allow_at_risk=False, honour_approvals=True)
    assert decision.open and not decision.approved and decision.approval is None


def test_a_later_rejection_withdraws_the_approval(world: GateWorld) -> None:
    first = _approve(world, decided_at=datetime.now(UTC) - timedelta(minutes=10))
    assert _decide(world, allow_at_risk=False, honour_approvals=True).open
    _approve(world, decision=ApprovalDecision.REJECTED, who="carol")
    decision = _decide(world, allow_at_risk=False, honour_approvals=True)
    assert not decision.open and decision.approval is None
    history = store_for(load_config(world.config_dir)).launch_approvals(RISKY)
    assert [(a.decision, a.approver_id) for a in history] == [
        (ApprovalDecision.REJECTED, "carol"), (ApprovalDecision.APPROVED, first.approver_id)
    ]
    assert history[0].expires_at is None and history[1].expires_at == first.expires_at


def test_preflight_gate_says_when_an_approval_exists(world: GateWorld) -> None:
    strict = _gate_cli(world, RISKY, "--block-at-risk")
    assert strict.returncode == 1 and "without an approval" in strict.stdout, strict.stdout
    default = _gate_cli(world, RISKY)
    assert default.returncode == 0 and "approved" not in default.stdout, default.stdout

    _approve(world)
    for args in ((), ("--block-at-risk",)):
        opened = _gate_cli(world, RISKY, *args)
        assert opened.returncode == 0, opened.stdout + opened.stderr
        assert "gate open" in opened.stdout and "approved at risk by Alice (alice)" in opened.stdout, opened.stdout
        assert "known duplicates, fix in DATA-42" in opened.stdout
    ignored = _gate_cli(world, RISKY, "--block-at-risk", "--ignore-approvals")
    assert ignored.returncode == 1 and "gate closed" in ignored.stdout, ignored.stdout


def test_the_approvals_migration_runs_on_an_older_store_and_on_a_store_that_has_the_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'results.db'}"
    engine = sa.create_engine(url)
    # A store migrated by an older Preflight: revision 0001 only, one run in it.
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from preflight.run import store as store_module

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(cfg).get_current_head()  # later migrations run too
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(sa.text(
            "insert into preflight_runs (run_id, started_at, trigger) values ('old', '2026-01-01 00:00:00', 'cli')"
        ))
    assert not sa.inspect(engine).has_table("preflight_launch_approvals")
    store = ResultsStore(url).migrate()
    assert sa.inspect(engine).has_table("preflight_launch_approvals")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select run_id from preflight_runs")).scalars().all() == ["old"]
        assert conn.execute(sa.text("select version_num from preflight_alembic_version")).scalar() == head
    store.engine.dispose()

    # A store whose table already exists (but whose version still says 0001) migrates too.
    with engine.begin() as conn:
        conn.execute(sa.text("update preflight_alembic_version set version_num = '0001'"))
    ResultsStore(url).migrate().engine.dispose()
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from preflight_alembic_version")).scalar() == head
    engine.dispose()

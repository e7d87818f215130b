"""The Preflight gate for any DAG: an operator, an approval step, and a task group wiring both.

A team puts the gate at the start of its own launch DAG; it decides exactly as
``preflight gate`` does (:func:`preflight.run.gate.decide_gate`) and fails closed::

    from preflight.airflow.operators import PreflightGateOperator

    gate = PreflightGateOperator(task_id="preflight_gate", use_case="seat_suggestions")
    gate >> deploy()

- :class:`PreflightGateOperator` fails (``AirflowFailException``: no retries) with every
  reason when the gate is closed — blocked, stale, configuration changed since the audit,
  incomplete or no audit, at risk unless ``allow_at_risk`` — and otherwise returns a small
  XCom: use case, verdict, score, audit run id, audited at, and the approval that opened it.
- :class:`PreflightApprovalOperator` is Airflow's human-in-the-loop ``ApprovalOperator``
  for an at-risk verdict: a named person approves (or rejects) launching it, and the
  answer is stored in the results store as a time-boxed waiver of exactly that verdict.
- :func:`preflight_launch_gate` returns a task group ``approve_if_at_risk >> gate``: a
  ready use case passes without asking anyone, an at-risk one waits for an approval, a
  blocked, stale or changed one fails at once.

The TaskFlow form is :func:`preflight.airflow.decorators.preflight_gate`. Nothing here
reads the configuration when a DAG file is parsed: the core is imported when a task runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import BaseOperator, Param, TaskGroup
from airflow.sdk.exceptions import (
    AirflowFailException,
    DownstreamTasksSkipped,
    TaskAwaitingInput,
    TaskDeferred,
)

from preflight.model.approvals import ApprovalDecision

if TYPE_CHECKING:
    from airflow.sdk import Context

    from preflight.model.approvals import LaunchApproval
    from preflight.run.gate import GateDecision

__all__ = [
    "GATE_UI_COLOR",
    "PreflightApprovalOperator",
    "PreflightGateOperator",
    "decide_gate_now",
    "gate_summary",
    "open_gate",
    "preflight_launch_gate",
]

log = logging.getLogger(__name__)

GATE_UI_COLOR = "#dff3e4"
APPROVAL_UI_COLOR = "#fff4d6"
# The form field of the approval where the approver may say why.
REASON_PARAM = "reason"


def _duration(value: str | timedelta | None, field: str) -> timedelta | None:
    """A duration argument (``"36h"``, ``"7d"``, a timedelta) of an operator, checked."""
    if value is None or value == "":
        return None
    from preflight.model.config import parse_duration

    try:
        duration = parse_duration(value)
    except ValueError as exc:
        raise AirflowFailException(f"{field}={value!r}: {exc}") from None
    if duration <= timedelta(0):
        raise AirflowFailException(f"{field}={value!r}: must be longer than zero")
    return duration


def decide_gate_now(
    use_case: str,
    *,
    max_age: str | timedelta | None = None,
    allow_at_risk: bool = False,
    honour_approvals: bool = True,
    config_dir: str | None = None,
) -> GateDecision:
    """The gate decision for ``use_case`` now, on the newest finished audit in the results
    store of the configuration in ``config_dir`` (default ``PREFLIGHT_CONFIG``).

    Configuration errors and unknown use cases fail the task without retries (retrying
    cannot fix them); a results store that cannot be read raises as is (that may pass)."""
    from datetime import UTC

    from preflight.config import load_config
    from preflight.errors import ConfigError, UnknownUseCaseError
    from preflight.run.gate import decide_gate
    from preflight.run.pipeline import store_for

    age = _duration(max_age, "max_age")
    try:
        config = load_config(config_dir)
        return decide_gate(
            store_for(config), config, use_case, now=datetime.now(UTC), max_age=age,
            allow_at_risk=allow_at_risk, honour_approvals=honour_approvals,
        )
    except (ConfigError, UnknownUseCaseError) as exc:
        raise AirflowFailException(f"Preflight gate for {use_case}: {exc}") from None


def gate_summary(decision: GateDecision) -> dict[str, Any]:
    """The small, JSON-safe XCom an open gate returns."""
    verdict = decision.verdict
    approval = decision.approval
    return {
        "use_case": decision.use_case,
        "verdict": verdict.verdict.value if verdict else None,
        "score": verdict.score if verdict else None,
        "readiness_level": verdict.readiness_level if verdict else None,
        "run_id": decision.run_id,
        "audited_at": decision.audited_at.isoformat() if decision.audited_at else None,
        "approved": decision.approved,
        "approval": _approval_summary(approval) if approval is not None else None,
    }


def _approval_summary(approval: LaunchApproval) -> dict[str, Any]:
    return {
        "approver_id": approval.approver_id,
        "approver_name": approval.approver_name,
        "reason": approval.reason,
        "decided_at": approval.decided_at.isoformat(),
        "expires_at": approval.expires_at.isoformat() if approval.expires_at else None,
        "run_id": approval.run_id,
    }


def closed_message(decision: GateDecision) -> str:
    from preflight.errors import GateClosedError

    return str(GateClosedError(decision.use_case, decision.reasons, run_id=decision.run_id))


def open_gate(
    use_case: str,
    *,
    max_age: str | timedelta | None = None,
    allow_at_risk: bool = False,
    honour_approvals: bool = True,
    config_dir: str | None = None,
    logger: logging.Logger | Any = log,
) -> dict[str, Any]:
    """The gate summary when ``use_case`` may launch; raises ``AirflowFailException`` with
    every reason when it may not (the operator and the decorator both call this)."""
    decision = decide_gate_now(
        use_case, max_age=max_age, allow_at_risk=allow_at_risk, honour_approvals=honour_approvals,
        config_dir=config_dir,
    )
    if not decision.open:
        message = closed_message(decision)
        logger.error("%s", message)
        raise AirflowFailException(message)
    summary = gate_summary(decision)
    logger.info(
        "%s passes its Preflight gate: %s, score %s, audit run %s (audited %s)",
        use_case, summary["verdict"], summary["score"], summary["run_id"], summary["audited_at"],
    )
    if decision.approval is not None:
        logger.warning("%s: %s", use_case, decision.approval.describe())
    elif summary["verdict"] == "at_risk":
        logger.warning("%s launches AT RISK: read its fixes in the readiness report before going live", use_case)
    return summary


class PreflightGateOperator(BaseOperator):
    """Fail closed unless ``use_case`` may launch, deciding exactly as ``preflight gate``.

    :param use_case: the use case's name in the Preflight configuration (templated).
    :param max_age: the oldest audit the gate accepts, a duration such as ``"36h"`` or a
        ``timedelta`` (templated; default the configuration's ``settings.gate_max_age``).
    :param allow_at_risk: let an ``at_risk`` verdict launch (default False: only
        ``ready``, or an at-risk verdict a person approved, opens the gate).
    :param honour_approvals: a valid approval of the newest at-risk verdict (see
        :class:`PreflightApprovalOperator`) opens the gate (default True).
    :param config_dir: the configuration directory (templated; default ``PREFLIGHT_CONFIG``).

    ``retries`` defaults to 0: a closed gate is not transient (and fails without retries
    whatever ``retries`` says). Returns the XCom of :func:`gate_summary`.
    """

    template_fields: Sequence[str] = ("use_case", "max_age", "config_dir")
    ui_color = GATE_UI_COLOR

    def __init__(
        self,
        *,
        use_case: str,
        max_age: str | timedelta | None = None,
        allow_at_risk: bool = False,
        honour_approvals: bool = True,
        config_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.use_case = use_case
        self.max_age = max_age
        self.allow_at_risk = allow_at_risk
        self.honour_approvals = honour_approvals
        self.config_dir = config_dir

    def execute(self, context: Context) -> dict[str, Any]:
        return open_gate(
            self.use_case, max_age=self.max_age, allow_at_risk=self.allow_at_risk,
            honour_approvals=self.honour_approvals, config_dir=self.config_dir, logger=self.log,
        )


def _as_hitl_users(approvers: str | Sequence[str | dict[str, str]] | None) -> list[dict[str, str]] | None:
    """Approvers as Airflow's HITL users: a user id (``"alice"``) or ``{"id": ..., "name": ...}``."""
    if approvers is None:
        return None
    if isinstance(approvers, str):
        approvers = [approvers]
    users = [{"id": a, "name": a} if isinstance(a, str) else {"id": a["id"], "name": a.get("name", a["id"])} for a in approvers]
    return users or None


class PreflightApprovalOperator(ApprovalOperator):
    """A named person approves launching an at-risk use case; the approval is a waiver.

    When it runs it decides the gate (at-risk launches not allowed, approvals honoured):

    - open (ready, or an earlier approval of this very verdict still valid): nothing to
      ask; returns at once and the downstream tasks run;
    - closed only because the verdict is ``at_risk``: asks through Airflow's
      human-in-the-loop (the task waits in ``awaiting_input``; the *Required actions*
      page of the Airflow UI, or the HITL REST endpoint, answers). *Approve* stores a
      :class:`~preflight.model.approvals.LaunchApproval` — the responder Airflow records,
      the reason typed into the form, when, expiring after ``valid_for``, the audit run and
      fingerprint that were shown — and the downstream gate opens while it is valid and
      that verdict is still the newest. *Reject* is stored too, and skips every downstream
      task (``ignore_downstream_trigger_rules`` defaults to True here);
    - closed for any other reason (blocked, stale, changed, incomplete, no audit): fails
      without asking anyone; no approval can open those.

    :param use_case: the use case (templated).
    :param approvers: who may answer: Airflow user ids, or ``{"id", "name"}`` mappings
      (Airflow's ``assigned_users``; default: anyone allowed to answer HITL tasks of this DAG).
    :param valid_for: how long an approval lasts (templated; default the configuration's
      ``settings.approval_valid_for``, 1 day).
    :param max_age: as for :class:`PreflightGateOperator`.
    :param config_dir: as for :class:`PreflightGateOperator`.

    Other keyword arguments go to Airflow's ``ApprovalOperator`` (``subject``, ``body``,
    ``response_timeout``, ``notifiers``, …). ``defaults`` may not contain "Approve": a
    launch is never approved by a timeout.
    """

    template_fields: Sequence[str] = (*ApprovalOperator.template_fields, "use_case", "max_age", "valid_for", "config_dir")
    ui_color = APPROVAL_UI_COLOR

    def __init__(
        self,
        *,
        use_case: str,
        approvers: str | Sequence[str | dict[str, str]] | None = None,
        valid_for: str | timedelta | None = None,
        max_age: str | timedelta | None = None,
        config_dir: str | None = None,
        subject: str | None = None,
        **kwargs: Any,
    ) -> None:
        defaults = kwargs.get("defaults")
        if defaults is not None and self.APPROVE in ([defaults] if isinstance(defaults, str) else defaults):
            raise ValueError(f"defaults={defaults!r}: a launch is never approved by default (a timeout must not approve it)")
        if "params" in kwargs or "assigned_users" in kwargs:
            raise ValueError("PreflightApprovalOperator sets params (the reason field) and assigned_users (approvers) itself")
        kwargs.setdefault("retries", 0)
        kwargs.setdefault("ignore_downstream_trigger_rules", True)
        super().__init__(
            subject=subject or f"Launch {use_case} although Preflight rates it AT RISK?",
            params={
                REASON_PARAM: Param(
                    "", type=["null", "string"], title="Reason",
                    description="Why this at-risk launch may go ahead (stored with the approval).",
                )
            },
            assigned_users=_as_hitl_users(approvers),
            **kwargs,
        )
        self.use_case = use_case
        self.valid_for = valid_for
        self.max_age = max_age
        self.config_dir = config_dir

    def execute(self, context: Context) -> Any:
        decision = decide_gate_now(
            self.use_case, max_age=self.max_age, allow_at_risk=False, honour_approvals=True, config_dir=self.config_dir
        )
        if decision.open:
            summary = gate_summary(decision)
            why = decision.approval.describe() if decision.approved and decision.approval else f"verdict {summary['verdict']}"
            self.log.info("%s needs no approval: %s", self.use_case, why)
            return {"approval_needed": False, "gate": summary}
        if not decision.approvable:
            message = closed_message(decision)
            self.log.error("%s\nNo approval can open this gate.", message)
            raise AirflowFailException(message)

        from preflight.config import load_config

        valid_for = _duration(self.valid_for, "valid_for") or load_config(self.config_dir).settings.approval_valid_for
        assert decision.verdict is not None and decision.run_id is not None
        pending = {
            "use_case": self.use_case,
            "run_id": decision.run_id,
            "fingerprint": decision.verdict.fingerprint,
            "verdict": decision.verdict.verdict.value,
            "score": decision.verdict.score,
            "audited_at": decision.audited_at.isoformat() if decision.audited_at else None,
            "valid_for_seconds": valid_for.total_seconds(),
        }
        self.body = "\n\n".join(part for part in (self.body, _approval_body(decision, valid_for)) if part)
        self.log.info("%s is AT RISK (score %s, audit run %s): asking for an approval", self.use_case,
                      pending["score"], pending["run_id"])
        try:
            return super().execute(context)
        except (TaskAwaitingInput, TaskDeferred) as parked:
            # The verdict shown travels with the parked task: the approval is of *this* verdict,
            # whatever the store holds when the answer comes.
            parked.kwargs = {**(parked.kwargs or {}), "preflight_pending": pending}
            raise

    def execute_complete(self, context: Context, event: dict[str, Any], preflight_pending: dict[str, Any] | None = None) -> Any:
        if preflight_pending is None:
            raise AirflowFailException("the approval resumed without the verdict it asked about; run the task again")
        try:
            super().execute_complete(context=context, event=event)  # validates the answer
        except DownstreamTasksSkipped:
            # "Reject": the provider skips the downstream tasks by raising; record it first.
            self._answered(context, preflight_pending, event)
            raise
        return self._answered(context, preflight_pending, event)

    def _answered(self, context: Context, pending: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """Store the answer (approval or rejection) of a named person; the XCom to return."""
        chosen = event["chosen_options"][0]
        responder = event.get("responded_by_user")
        if not responder:
            if chosen == self.APPROVE:  # cannot happen (defaults never approve): fail closed anyway
                raise AirflowFailException("an approval without a responder is not an approval")
            self.log.warning("%s: no one answered; the default %r keeps the launch closed", self.use_case, chosen)
            return {"approval_needed": True, "decision": chosen, "approval": None}
        approval = self._record(context, pending, chosen, responder, event)
        if approval.decision is ApprovalDecision.APPROVED:
            self.log.warning("%s: %s", self.use_case, approval.describe())
        else:
            self.log.warning("%s: launch %s; downstream tasks are skipped", self.use_case, approval.describe())
        return {"approval_needed": True, "decision": approval.decision.value, "approval": approval.model_dump(mode="json")}

    def _record(
        self, context: Context, pending: dict[str, Any], chosen: str, responder: dict[str, Any], answer: dict[str, Any]
    ) -> LaunchApproval:
        from datetime import UTC

        from preflight.config import load_config
        from preflight.model.approvals import LaunchApproval
        from preflight.run.pipeline import store_for

        responded_at = answer.get("responded_at") or datetime.now(UTC)
        if isinstance(responded_at, str):
            responded_at = datetime.fromisoformat(responded_at)
        if responded_at.tzinfo is None:
            responded_at = responded_at.replace(tzinfo=UTC)
        approved = chosen == self.APPROVE
        reason = (answer.get("params_input") or {}).get(REASON_PARAM) or None
        ti = context["ti"]
        approval = LaunchApproval(
            use_case=pending["use_case"],
            run_id=pending["run_id"],
            fingerprint=pending["fingerprint"],
            verdict=pending["verdict"],
            score=pending["score"],
            decision=ApprovalDecision.APPROVED if approved else ApprovalDecision.REJECTED,
            approver_id=str(responder.get("id")),
            approver_name=str(responder.get("name") or responder.get("id")),
            decided_at=responded_at,
            expires_at=responded_at + timedelta(seconds=pending["valid_for_seconds"]) if approved else None,
            reason=str(reason)[:2000] if reason else None,
            origin=f"airflow:{ti.dag_id}/{ti.run_id}/{ti.task_id}",
        )
        return store_for(load_config(self.config_dir)).save_approval(approval)


def _approval_body(decision: GateDecision, valid_for: timedelta) -> str:
    """What the approver reads: the verdict, why it is at risk, what approving means."""
    from preflight.run.gate import format_age

    verdict = decision.verdict
    assert verdict is not None
    failing = [c for c in verdict.checks if c.failing][:10]
    lines = [
        f"**{decision.use_case}** is **AT RISK** (score {verdict.score}, band {verdict.readiness_level}) "
        f"in audit run `{decision.run_id}`"
        + (f", audited {decision.audited_at:%Y-%m-%d %H:%M} UTC." if decision.audited_at else "."),
        "",
        "Why it is at risk:" if failing else "",
        *[f"- [{c.severity.value}] {c.message}" for c in failing],
        "",
        f"**Approve** records a waiver in your name for this verdict only, valid for {format_age(valid_for)}: "
        "a newer audit or a configuration change needs a new approval. **Reject** skips the launch.",
    ]
    return "\n".join(line for line in lines if line is not None)


def preflight_launch_gate(
    use_case: str,
    *,
    approvers: str | Sequence[str | dict[str, str]] | None = None,
    valid_for: str | timedelta | None = None,
    max_age: str | timedelta | None = None,
    config_dir: str | None = None,
    response_timeout: timedelta | None = None,
    group_id: str | None = None,
    **approval_kwargs: Any,
) -> TaskGroup:
    """A task group ``approve_if_at_risk >> gate`` to put before a team's launch tasks.

    ``approve_if_at_risk`` (:class:`PreflightApprovalOperator`) passes a ready use case at
    once, asks ``approvers`` about an at-risk one and fails a blocked, stale or changed
    one; ``gate`` (:class:`PreflightGateOperator`, approvals honoured) then decides again
    at launch time, so an answer that came after a newer audit does not open it. Its XCom
    is the gate summary. Call it inside a DAG::

        preflight_launch_gate("article_recommendations", approvers=["alice"]) >> deploy()
    """
    with TaskGroup(group_id=group_id or f"preflight_gate_{use_case}", tooltip=f"Preflight gate of {use_case}") as group:
        approve = PreflightApprovalOperator(
            task_id="approve_if_at_risk", use_case=use_case, approvers=approvers, valid_for=valid_for,
            max_age=max_age, config_dir=config_dir, response_timeout=response_timeout, **approval_kwargs,
        )
        gate = PreflightGateOperator(
            task_id="gate", use_case=use_case, max_age=max_age, allow_at_risk=False, honour_approvals=True,
            config_dir=config_dir,
        )
        approve >> gate
    return group

"""A person's decision on launching a use case whose newest verdict is ``at_risk``.

An approval is a time-boxed waiver of the "at risk" reason of one gate decision, and of
nothing else: it names the audit run and the fingerprint of the verdict it approved, so a
newer audit or a changed configuration needs a new approval; a blocked, stale, changed or
incomplete verdict is never approvable. Rejections are recorded too (the same record
with ``decision = rejected`` and no expiry), so the store keeps who said what, and when.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["ApprovalDecision", "LaunchApproval"]


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class LaunchApproval(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    use_case: str
    run_id: str  # the audit run whose verdict was shown to the approver
    fingerprint: str  # what that verdict judged (Verdict.fingerprint)
    verdict: str  # the verdict level approved (always at_risk today)
    score: int
    decision: ApprovalDecision
    approver_id: str  # the responder the approval system recorded (Airflow's HITL user id)
    approver_name: str
    decided_at: datetime
    expires_at: datetime | None = None  # None for a rejection
    reason: str | None = None
    origin: str | None = None  # where it was given, e.g. "airflow:<dag>/<run>/<task>"
    id: int | None = None  # the store's row id, once stored

    def valid_at(self, now: datetime) -> bool:
        """An approval that has not expired at ``now`` (a rejection is never valid)."""
        return (
            self.decision is ApprovalDecision.APPROVED
            and self.expires_at is not None
            and self.decided_at <= now < self.expires_at
        )

    def describe(self) -> str:
        """One line for logs and gate output: who approved, why, until when."""
        who = self.approver_name if self.approver_name == self.approver_id else f"{self.approver_name} ({self.approver_id})"
        why = f": {self.reason!r}" if self.reason else ""
        if self.decision is ApprovalDecision.REJECTED:
            return f"rejected by {who} at {self.decided_at:%Y-%m-%d %H:%M} UTC{why}"
        until = f" until {self.expires_at:%Y-%m-%d %H:%M} UTC" if self.expires_at else ""
        return f"approved at risk by {who} at {self.decided_at:%Y-%m-%d %H:%M} UTC{until}{why} (audit run {self.run_id})"

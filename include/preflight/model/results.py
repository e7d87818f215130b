"""Result types that flow through the pipeline: profiles, checks, audits, verdicts.

Everything here is an immutable pydantic model so a result can be stored, sent over
XCom, rendered into a report and read back without a second serialisation scheme.
Data problems are *results* (a failed :class:`Check`), never exceptions.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from preflight.model.evidence import AnyEvidence


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Dimension(StrEnum):
    ACCESS = "access"
    QUALITY = "quality"
    DISCOVERABILITY = "discoverability"
    LINEAGE = "lineage"
    PRIVACY = "privacy"
    CONTENT = "content"
    HISTORY = "history"


SCORED_DIMENSIONS = (Dimension.DISCOVERABILITY, Dimension.QUALITY, Dimension.LINEAGE)


class Severity(StrEnum):
    """How much a failing check weighs; ``rank`` 0 is the most severe."""

    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}


def strictest(*severities: Severity) -> Severity:
    """The most severe of ``severities`` (blocker over warning over info)."""
    return min(severities, key=lambda s: s.rank)


class DatasetStatus(StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    ERROR = "error"


class VerdictLevel(StrEnum):
    """A use case's verdict; ``rank`` 0 is the worst (blocked), 2 the best (ready)."""

    READY = "ready"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {VerdictLevel.BLOCKED: 0, VerdictLevel.AT_RISK: 1, VerdictLevel.READY: 2}


class Check(Frozen):
    """One assertion about a dataset or a use case, with what was seen and wanted."""

    id: str  # stable, e.g. "quality.completeness.body"; waivers and history key on it
    dimension: Dimension
    severity: Severity
    passed: bool
    message: str
    observed: Any = None
    expected: Any = None
    remediation: str | None = None
    dataset: str | None = None
    column: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    waived: bool = False
    waiver: dict[str, Any] | None = None
    # False: the evidence this check needed could not be measured (the reason is in the
    # message). Such a check never passes: fail closed.
    measured: bool = True

    @property
    def failing(self) -> bool:
        """Failed and not waived: the only checks that move a verdict."""
        return not self.passed and not self.waived


class ColumnProfile(Frozen):
    name: str
    type: str
    kind: str  # numeric | text | temporal | boolean | other
    null_count: int
    distinct_count: int | None = None
    distinct_approximate: bool = False
    min: Any = None
    max: Any = None
    mean: float | None = None
    stddev: float | None = None
    min_length: int | None = None
    mean_length: float | None = None
    max_length: int | None = None
    empty_count: int | None = None
    comment: str | None = None


class TableProfile(Frozen):
    table: str
    schema_name: str | None = None
    row_count: int
    columns: tuple[ColumnProfile, ...] = ()
    statements: int = 1  # SQL statements the profile issued
    approximate: bool = False
    profiled_at: datetime
    table_comment: str | None = None

    def column(self, name: str) -> ColumnProfile | None:
        return next((c for c in self.columns if c.name == name), None)


class ProbeFailure(Frozen):
    """A probe that crashed: why, and which kinds of evidence it would have recorded."""

    reason: str
    produces: tuple[str, ...] = ()


class DatasetAudit(Frozen):
    name: str
    source: str
    status: DatasetStatus
    reason: str | None = None  # why unreachable / error
    profile: TableProfile | None = None
    checks: tuple[Check, ...] = ()
    scores: dict[str, int] = Field(default_factory=dict)
    facts: dict[str, Any] = Field(default_factory=dict)  # for reports and the UI; never judged
    evidence: tuple[AnyEvidence, ...] = ()  # what judging reads (see preflight.model.evidence)
    # Set when a targeted run took this audit over from an earlier run (that run's id).
    carried_from: str | None = None
    probe_failures: dict[str, ProbeFailure] = Field(default_factory=dict)
    started_at: datetime
    finished_at: datetime

    @property
    def row_count(self) -> int | None:
        return self.profile.row_count if self.profile else None


class Verdict(Frozen):
    use_case: str
    kind: str
    verdict: VerdictLevel
    score: int
    blockers: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    datasets: tuple[str, ...] = ()
    readiness_level: str = "none"
    next_level_gaps: tuple[str, ...] = ()
    fixes: tuple[dict[str, Any], ...] = ()
    description: str | None = None
    owner: str | None = None
    # What was judged (use case, its datasets' catalog entries, the kind, the suites):
    # a gate refuses a verdict whose fingerprint differs from today's configuration.
    fingerprint: str | None = None
    fingerprint_parts: dict[str, str] = Field(default_factory=dict)  # what → digest
    # Every dataset the use case needs was audited in this run.
    complete: bool = True
    evidence: tuple[AnyEvidence, ...] = ()  # the cross-dataset measurements it read
    # When its oldest evidence was measured (the earliest start of its datasets' audits):
    # a gate's maximum age counts from here, carried-over audits included.
    measured_at: datetime | None = None


class AuditScope(Frozen):
    """A targeted run: only these datasets (or the datasets of this use case) are audited,
    and only the use cases that read them are judged again; every other dataset a judged
    use case needs is carried over from its newest earlier audit."""

    datasets: tuple[str, ...] = ()
    use_case: str | None = None


class RunResult(Frozen):
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    scope: AuditScope | None = None  # None: the whole catalog
    datasets: tuple[DatasetAudit, ...] = ()
    use_cases: tuple[Verdict, ...] = ()
    platform_fixes: tuple[dict[str, Any], ...] = ()


def worst_first(verdict: Verdict) -> tuple[int, str]:
    """Sort key: blocked use cases first, then at risk, then ready; by name within each."""
    return verdict.verdict.rank, verdict.use_case


def check_status(check: Check) -> str:
    """``failed`` | ``waived`` | ``passed``, the order a reader looks at them in."""
    return "waived" if check.waived else ("passed" if check.passed else "failed")


STATUS_RANK = {"failed": 0, "waived": 1, "passed": 2}

"""What every requirement rule works with: the context it reads, the requirement as this
use case applies it, and the two ways a rule speaks (an outcome, or "not measured").

A rule is a function ``(RuleContext, Need) -> list[Check]`` made into a :class:`Rule` by
:func:`rule`, which also declares the kinds of evidence it reads (``reads``) and what its
threshold means (``threshold``: a ratio in [0, 1], a count, or none). Rules read
evidence through ``ctx.evidence`` only: never check ids, never the environment.

Severity, one rule for all rules (:func:`outcome`): a requirement's severity comes from
its kind; a rule that reads a declared data rule (a suite expectation's ``meta.severity``,
a built-in rule's own severity) combines the two to the *strictest*. Only the use case's
explicit ``severities:`` override sets another one, and when it relaxes the natural
severity the check says so in ``details["severity_override"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from preflight.judge.evidence import EvidenceSet
from preflight.judge.kinds import Requirement
from preflight.model.config import Config, UseCaseConfig
from preflight.model.evidence import CrossPlan, Evidence
from preflight.model.results import Check, Dimension, Severity, strictest

__all__ = [
    "Need",
    "Rule",
    "RuleContext",
    "not_measured",
    "outcome",
    "rule",
]

ThresholdKind = Literal["ratio", "count"] | None


@dataclass(frozen=True)
class Need:
    """A kind's requirement as one use case applies it (threshold and severity overrides)."""

    requirement: Requirement
    use_case: str
    threshold: float | None
    override: Severity | None = None  # the use case's `severities:` entry, if any

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def severity(self) -> Severity:
        return self.requirement.severity

    @property
    def params(self) -> dict[str, Any]:
        return self.requirement.params

    @classmethod
    def of(cls, requirement: Requirement, use_case_name: str, use_case: UseCaseConfig) -> Need:
        threshold = use_case.thresholds.get(requirement.id, requirement.threshold)
        override = use_case.severities.get(requirement.id)
        return cls(requirement, use_case_name, threshold, Severity(override) if override else None)


@dataclass(frozen=True)
class RuleContext:
    name: str  # the use case
    use_case: UseCaseConfig
    config: Config
    evidence: EvidenceSet
    plan: CrossPlan
    today: date

    def datasets(self, roles: Sequence[str | None] | None = None) -> list[str]:
        """The use case's datasets, those whose role is in ``roles`` when given (``None`` in
        ``roles`` stands for a dataset given no role)."""
        if roles is None:
            return list(self.use_case.datasets)
        return [name for name, needs in self.use_case.datasets.items() if needs.role in roles]

    def columns_needed(self, dataset: str) -> tuple[str, ...]:
        """The columns the use case reads, its dataset's primary key included (ids must exist)."""
        entry = self.config.datasets[dataset]
        declared = self.use_case.datasets[dataset].columns or entry.required_columns
        return tuple(dict.fromkeys([*entry.primary_key, *declared]))

    def text_columns(self, dataset: str) -> list[str]:
        """The dataset's declared text columns that this use case reads."""
        needed = set(self.use_case.datasets[dataset].columns)
        return [c for c in self.config.datasets[dataset].text_columns if not needed or c in needed]


RuleFunc = Callable[[RuleContext, Need], list[Check]]


@dataclass(frozen=True)
class Rule:
    name: str
    func: RuleFunc
    reads: tuple[str, ...]  # evidence kinds (Evidence.KIND) this rule reads
    threshold: ThresholdKind = None

    def __call__(self, ctx: RuleContext, need: Need) -> list[Check]:
        return self.func(ctx, need)


def rule(
    name: str, *, reads: Sequence[type[Evidence[Any]]] = (), threshold: ThresholdKind = None
) -> Callable[[RuleFunc], Rule]:
    """Make a function a :class:`Rule` (registered by its module's ``RULES``)."""

    def make(func: RuleFunc) -> Rule:
        return Rule(name, func, tuple(kind.KIND for kind in reads), threshold)

    return make


def _severity(need: Need, declared: Severity | None) -> tuple[Severity, dict[str, Any]]:
    natural = strictest(need.severity, declared) if declared is not None else need.severity
    if need.override is None:
        return natural, {}
    if need.override.rank > natural.rank:  # less severe than it would have been
        return need.override, {
            "severity_override": {
                "natural": natural.value,
                "applied": need.override.value,
                "by": f"use_cases.{need.use_case}.severities.{need.id}",
            }
        }
    return need.override, {}


def outcome(
    need: Need,
    suffix: str,
    *,
    passed: bool,
    message: str,
    dimension: Dimension = Dimension.QUALITY,
    dataset: str | None = None,
    column: str | None = None,
    observed: Any = None,
    expected: Any = None,
    remediation: str | None = None,
    declared: Severity | None = None,
    measured: bool = True,
    **details: Any,
) -> Check:
    """One requirement check; ``declared`` is the severity the data rule it reads declares."""
    severity, override = _severity(need, declared)
    return Check(
        id=".".join(part for part in (need.id, suffix) if part),
        dimension=dimension,
        severity=severity,
        passed=passed and measured,
        measured=measured,
        message=message,
        dataset=dataset,
        column=column,
        observed=observed,
        expected=expected,
        remediation=remediation,
        details={
            "requirement": need.id,
            "rule": need.requirement.rule,
            "band": need.requirement.band,
            **override,
            **details,
        },
    )


def not_measured(
    need: Need,
    suffix: str,
    what: str,
    reason: str | None,
    *,
    dimension: Dimension = Dimension.QUALITY,
    dataset: str | None = None,
    column: str | None = None,
    remediation: str | None = None,
    declared: Severity | None = None,
) -> Check:
    """The requirement is not met because its evidence could not be measured: fail closed,
    at the requirement's own severity (never lower), with the reason."""
    return outcome(
        need,
        suffix,
        passed=False,
        measured=False,
        message=f"{what} could not be measured: {reason or 'no reason recorded'}",
        dimension=dimension,
        dataset=dataset,
        column=column,
        observed="not measured",
        remediation=remediation
        or "make the source readable by the audit (connection, grants, timeouts) and re-run the audit",
        declared=declared,
    )

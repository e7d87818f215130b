"""Requirement profiles per use-case kind, and the rules that evaluate them.

A kind's profile is data (``kinds/<kind>.yaml`` in the package): a list of
requirements, each naming a *rule*, a severity, a readiness band (C, B, A) and
optional threshold/params. A use case may override a requirement's threshold
(``thresholds: {completeness: 0.05}``) or severity (``severities: {freshness: info}``).
Rules read the dataset audits only; adding one is a function plus ``@rule("name")``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from preflight.config import Config, UseCaseConfig
from preflight.models import Check, DatasetAudit, DatasetStatus, Dimension, Severity

__all__ = ["RULES", "KindProfile", "Requirement", "UseCaseContext", "load_kind", "rule"]


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    rule: str
    severity: Severity
    band: Literal["C", "B", "A"]
    threshold: float | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None


class KindProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    title: str
    description: str
    requirements: tuple[Requirement, ...]


@cache
def load_kind(kind: str) -> KindProfile:
    text = resources.files("preflight").joinpath("kinds", f"{kind}.yaml").read_text(encoding="utf-8")
    return KindProfile.model_validate(yaml.safe_load(text))


@dataclass
class UseCaseContext:
    name: str
    use_case: UseCaseConfig
    config: Config
    audits: dict[str, DatasetAudit]
    today: date
    extra: dict[str, Any] = field(default_factory=dict)

    def columns_needed(self, dataset: str) -> tuple[str, ...]:
        declared = self.use_case.datasets[dataset].columns
        return declared or self.config.datasets[dataset].required_columns

    def reachable(self) -> list[tuple[str, DatasetAudit]]:
        return [(n, a) for n, a in self.audits.items() if a.status is DatasetStatus.OK and a.profile]


RuleFunc = Callable[[UseCaseContext, Requirement], list[Check]]
RULES: dict[str, RuleFunc] = {}


def rule(name: str) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        RULES[name] = func
        return func

    return register


def _check(
    req: Requirement,
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
    **details: Any,
) -> Check:
    return Check(
        id=".".join(part for part in (req.id, suffix) if part),
        dimension=dimension,
        severity=req.severity,
        passed=passed,
        message=message,
        dataset=dataset,
        column=column,
        observed=observed,
        expected=expected,
        remediation=remediation,
        details={"requirement": req.id, "rule": req.rule, "band": req.band, **details},
    )


def _dataset_check(audit: DatasetAudit, check_id: str) -> Check | None:
    return next((c for c in audit.checks if c.id == check_id), None)


@rule("datasets_reachable")
def datasets_reachable(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    return [
        _check(
            req,
            name,
            passed=audit.status is DatasetStatus.OK,
            dimension=Dimension.ACCESS,
            dataset=name,
            observed=audit.status.value,
            expected="ok",
            message=(
                f"{name} is reachable"
                if audit.status is DatasetStatus.OK
                else f"{name} is {audit.status.value}: {audit.reason}"
            ),
            remediation="fix the source connection or the table name in the catalog",
        )
        for name, audit in ctx.audits.items()
    ]


@rule("columns_present")
def columns_present(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, audit in ctx.reachable():
        needed = ctx.columns_needed(name)
        missing = [c for c in needed if audit.profile.column(c) is None]  # type: ignore[union-attr]
        checks.append(
            _check(
                req,
                name,
                passed=not missing,
                dimension=Dimension.QUALITY,
                dataset=name,
                observed=missing or "all present",
                expected=list(needed),
                message=(
                    f"{name} lacks columns this use case needs: {', '.join(missing)}"
                    if missing
                    else f"{name} has every column this use case needs"
                ),
                remediation=f"add {', '.join(missing)} to {name} or change the use case's columns",
            )
        )
    return checks


@rule("columns_complete")
def columns_complete(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    limit = req.threshold or 0.0
    checks = []
    for name, audit in ctx.reachable():
        profile = audit.profile
        assert profile is not None
        for column in ctx.columns_needed(name):
            col = profile.column(column)
            if col is None:
                continue  # reported by columns_present
            ratio = col.null_count / profile.row_count if profile.row_count else 0.0
            checks.append(
                _check(
                    req,
                    f"{name}.{column}",
                    passed=ratio <= limit,
                    dataset=name,
                    column=column,
                    observed=round(ratio, 4),
                    expected={"max_null_ratio": limit},
                    message=(
                        f"{name}.{column} is {ratio:.1%} NULL ({col.null_count} of {profile.row_count} rows); "
                        f"this use case tolerates {limit:.1%}"
                        if ratio > limit
                        else f"{name}.{column} is complete enough ({ratio:.1%} NULL)"
                    ),
                    remediation=f"backfill {name}.{column} or filter incomplete rows out before use",
                )
            )
    return checks


@rule("keys_unique")
def keys_unique(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, audit in ctx.reachable():
        dataset = ctx.config.datasets[name]
        found = _dataset_check(audit, "quality.uniqueness.primary_key")
        if not dataset.primary_key:
            checks.append(
                _check(
                    req,
                    name,
                    passed=False,
                    dataset=name,
                    observed="no primary key declared",
                    expected="a stable unique id",
                    message=f"{name} declares no primary key, so its rows have no stable id",
                    remediation=f"declare primary_key for datasets.{name} in the catalog",
                )
            )
        elif found is not None:
            checks.append(
                _check(
                    req,
                    name,
                    passed=found.passed,
                    dataset=name,
                    column=found.column,
                    observed=found.observed,
                    expected=0,
                    message=(
                        f"{name} ids are not unique: {found.observed} duplicate rows on ({found.column})"
                        if not found.passed
                        else f"{name} ids are unique"
                    ),
                    remediation=found.remediation,
                )
            )
    return checks


_COVERED_ELSEWHERE = ("quality.completeness.", "quality.uniqueness.primary_key", "quality.timeliness")


@rule("dataset_quality")
def dataset_quality(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    """Every other failing quality check of the datasets (validity, consistency, GX …)."""
    checks = []
    for name, audit in ctx.reachable():
        failing = [
            c
            for c in audit.checks
            if c.dimension in (Dimension.QUALITY, Dimension.HISTORY)
            and not c.passed
            and not c.id.startswith(_COVERED_ELSEWHERE)
        ]
        for found in failing:
            checks.append(
                _check(
                    req,
                    f"{name}.{found.id}",
                    passed=False,
                    dimension=found.dimension,
                    dataset=name,
                    column=found.column,
                    observed=found.observed,
                    expected=found.expected,
                    message=found.message,
                    remediation=found.remediation,
                    source_check=found.id,
                )
            )
        if not failing:
            checks.append(
                _check(req, name, passed=True, dataset=name, message=f"{name} passes its other quality checks")
            )
    return checks


@rule("fresh")
def fresh(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, audit in ctx.reachable():
        found = _dataset_check(audit, "quality.timeliness")
        if found is None:
            checks.append(
                _check(
                    req,
                    name,
                    passed=False,
                    dataset=name,
                    observed="no freshness SLO",
                    expected="freshness column and SLO declared",
                    message=f"{name} declares no freshness SLO, so nobody can tell whether it is current",
                    remediation=f"declare `freshness: {{column: ..., slo: ...}}` for datasets.{name}",
                )
            )
        else:
            checks.append(
                _check(
                    req,
                    name,
                    passed=found.passed,
                    dataset=name,
                    column=found.column,
                    observed=found.observed,
                    expected=found.expected,
                    message=found.message,
                    remediation=found.remediation,
                )
            )
    return checks


@rule("documented_and_owned")
def documented_and_owned(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, audit in ctx.audits.items():
        dataset = ctx.config.datasets[name]
        described = _dataset_check(audit, "discoverability.description")
        has_description = described.passed if described else bool(dataset.description)
        missing = [
            label
            for label, present in (("a description", has_description), ("an owner", bool(dataset.owner)))
            if not present
        ]
        checks.append(
            _check(
                req,
                name,
                passed=not missing,
                dimension=Dimension.DISCOVERABILITY,
                dataset=name,
                observed=missing or "described and owned",
                expected=["a description", "an owner"],
                message=(
                    f"{name} has no {' and no '.join(m.split(' ', 1)[1] for m in missing)}: nobody can vouch for it"
                    if missing
                    else f"{name} is described and owned"
                ),
                remediation=f"add description and owner to datasets.{name} in the catalog",
            )
        )
    return checks


@rule("lineage_known")
def lineage_known(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, audit in ctx.reachable():
        producer = _dataset_check(audit, "lineage.producer")
        configured = _dataset_check(audit, "lineage.source_configured")
        if producer is None:
            message = (
                configured.message
                if configured is not None
                else f"no lineage was assessed for {name}"
            )
            passed = False
        else:
            passed = producer.passed
            message = producer.message
        checks.append(
            _check(
                req,
                name,
                passed=passed,
                dimension=Dimension.LINEAGE,
                dataset=name,
                observed=producer.observed if producer else None,
                expected="a known producing job",
                message=message,
                remediation=(producer.remediation if producer else None)
                or f"emit OpenLineage events from the job that writes {name}",
            )
        )
    return checks


@rule("no_unapproved_pii")
def no_unapproved_pii(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    """PII passes only when the use case declares handling and the data is classified."""
    handling = ctx.use_case.pii
    checks = []
    for name, audit in ctx.reachable():
        dataset = ctx.config.datasets[name]
        needed = set(ctx.use_case.datasets[name].columns)
        found: dict[str, dict[str, float]] = audit.facts.get("pii", {})
        shares = {
            column: entities
            for column, entities in found.items()
            if entities and (not needed or column in needed)
        }
        if not shares:
            checks.append(
                _check(req, name, passed=True, dimension=Dimension.PRIVACY, dataset=name,
                       message=f"no PII found in the sampled text of {name} this use case reads")
            )
            continue
        classified = dataset.classification in ("confidential", "restricted")
        allowed = handling in ("masked_before_indexing", "approved") and classified
        for column, entities in shares.items():
            summary = ", ".join(f"{entity} in {share:.1%} of rows" for entity, share in sorted(entities.items()))
            if allowed:
                message = f"{name}.{column} holds PII ({summary}); allowed: handling '{handling}', classification '{dataset.classification}'"
            elif not classified:
                message = (
                    f"{name}.{column} holds PII ({summary}) but is classified "
                    f"'{dataset.classification or 'unclassified'}'"
                )
            else:
                message = f"{name}.{column} holds PII ({summary}) and the use case declares no PII handling"
            checks.append(
                _check(
                    req,
                    f"{name}.{column}",
                    passed=allowed,
                    dimension=Dimension.PRIVACY,
                    dataset=name,
                    column=column,
                    observed=entities,
                    expected="no PII, or declared handling on classified data",
                    message=message,
                    remediation=(
                        f"mask or drop PII in {name}.{column} before use and declare `pii: masked_before_indexing`, "
                        "or classify the dataset confidential/restricted and get approval (`pii: approved`)"
                    ),
                )
            )
    return checks


@rule("access_labels_present")
def access_labels_present(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    limit = req.threshold or 0.0
    checks = []
    for name, audit in ctx.reachable():
        role = ctx.use_case.datasets[name].role
        if role not in (None, "documents"):
            continue
        label = ctx.config.datasets[name].access_label_column
        col = audit.profile.column(label) if label and audit.profile else None
        if col is None:
            checks.append(
                _check(
                    req, name, passed=False, dimension=Dimension.PRIVACY, dataset=name,
                    observed="no access label column", expected="access_label_column declared and present",
                    message=f"{name} has no access labels, so retrieval cannot respect who may read what",
                    remediation=f"add an access-label column to {name} and declare access_label_column",
                )
            )
            continue
        rows = audit.profile.row_count if audit.profile else 0
        ratio = col.null_count / rows if rows else 0.0
        checks.append(
            _check(
                req, name, passed=ratio <= limit, dimension=Dimension.PRIVACY, dataset=name, column=label,
                observed=round(ratio, 4), expected={"max_null_ratio": limit},
                message=(
                    f"{name}.{label} labels every document" if ratio <= limit
                    else f"{ratio:.1%} of {name} rows have no access label"
                ),
                remediation=f"label every row of {name} with who may read it",
            )
        )
    return checks

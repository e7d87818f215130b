"""Requirements on each dataset's readability and quality: reachable, columns present and
complete, enough rows, stable ids, fresh, timestamped events, its declared data rules."""

from __future__ import annotations

from preflight.judge.evidence import ProfileEvidence
from preflight.judge.rules.base import Need, RuleContext, not_measured, outcome, rule
from preflight.model.evidence import Freshness, KeyUniqueness, RuleResult
from preflight.model.results import Check, Dimension, Severity

__all__ = ["RULES"]


def _age(hours: float) -> str:
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


@rule("datasets_reachable", reads=[ProfileEvidence])
def datasets_reachable(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        profile = ctx.evidence.profile(name)
        checks.append(
            outcome(
                need,
                name,
                passed=profile.measured,
                measured=profile.measured,
                dimension=Dimension.ACCESS,
                dataset=name,
                observed="ok" if profile.measured else "unreachable",
                expected="ok",
                message=f"{name} is reachable" if profile.measured else str(profile.reason),
                remediation="fix the source connection or the table name in the catalog",
            )
        )
    return checks


@rule("columns_present", reads=[ProfileEvidence])
def columns_present(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        profile = ctx.evidence.profile(name).figures
        needed = ctx.columns_needed(name)
        if profile is None:
            checks.append(not_measured(need, name, f"the columns of {name}", ctx.evidence.profile(name).reason, dataset=name))
            continue
        missing = [c for c in needed if profile.column(c) is None]
        checks.append(
            outcome(
                need,
                name,
                passed=not missing,
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


@rule("columns_complete", reads=[ProfileEvidence], threshold="ratio")
def columns_complete(ctx: RuleContext, need: Need) -> list[Check]:
    limit = need.threshold or 0.0
    checks = []
    for name in ctx.datasets():
        found = ctx.evidence.profile(name)
        if found.figures is None:
            checks.append(not_measured(need, name, f"completeness of {name}", found.reason, dataset=name))
            continue
        profile = found.figures
        for column in ctx.columns_needed(name):
            col = profile.column(column)
            if col is None:
                continue  # reported by columns_present
            ratio = col.null_count / profile.row_count if profile.row_count else 0.0
            checks.append(
                outcome(
                    need,
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


@rule("min_rows", reads=[ProfileEvidence], threshold="count")
def min_rows(ctx: RuleContext, need: Need) -> list[Check]:
    minimum = int(need.threshold or 1)
    checks = []
    for name in ctx.datasets():
        found = ctx.evidence.profile(name)
        if found.figures is None:
            checks.append(not_measured(need, name, f"the volume of {name}", found.reason, dataset=name))
            continue
        rows = found.figures.row_count
        checks.append(
            outcome(
                need,
                name,
                passed=rows >= minimum,
                dataset=name,
                observed=rows,
                expected={"min_rows": minimum},
                message=f"{name} has {rows} rows; this use case needs at least {minimum}",
                remediation=f"collect more data for {name} or lower the volume threshold",
            )
        )
    return checks


@rule("events_timestamped", reads=[ProfileEvidence])
def events_timestamped(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets(need.params.get("roles", ["events"])):
        found = ctx.evidence.profile(name)
        if found.figures is None:
            checks.append(not_measured(need, name, f"timestamps of {name}", found.reason, dataset=name))
            continue
        needed = ctx.columns_needed(name)
        temporal = [c for c in found.figures.columns if c.kind == "temporal" and (not needed or c.name in needed)]
        complete = [c.name for c in temporal if c.null_count == 0]
        checks.append(
            outcome(
                need,
                name,
                passed=bool(complete),
                dataset=name,
                observed=complete or None,
                expected="a complete timestamp column among the columns used",
                message=f"{name} events are timestamped by {', '.join(complete)}"
                if complete
                else f"{name} events have no complete timestamp column among the columns this use case reads",
                remediation=f"add the event time to {name} and to the use case's columns",
            )
        )
    return checks


@rule("keys_unique", reads=[KeyUniqueness])
def keys_unique(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        key = tuple(ctx.config.datasets[name].primary_key)
        if not key:
            checks.append(
                outcome(
                    need,
                    name,
                    passed=False,
                    dataset=name,
                    observed="no primary key declared",
                    expected="a stable unique id",
                    message=f"{name} declares no primary key, so its rows have no stable id",
                    remediation=f"declare primary_key for datasets.{name} in the catalog",
                )
            )
            continue
        label = ", ".join(key)
        found = ctx.evidence.get(KeyUniqueness, name, columns=key)
        if found.figures is None:
            checks.append(not_measured(need, name, f"uniqueness of {name} ({label})", found.reason, dataset=name, column=label))
            continue
        duplicates = found.figures.duplicate_rows
        checks.append(
            outcome(
                need,
                name,
                passed=duplicates == 0,
                dataset=name,
                column=label,
                observed=duplicates,
                expected=0,
                message=(
                    f"{name} ids are not unique: {duplicates} duplicate rows on ({label})"
                    if duplicates
                    else f"{name} ids are unique"
                ),
                remediation=f"deduplicate {name} on ({label}) and enforce a unique constraint",
            )
        )
    return checks


@rule("fresh", reads=[Freshness])
def fresh(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        declared = ctx.config.datasets[name].freshness
        if declared is None:
            checks.append(
                outcome(
                    need,
                    name,
                    passed=False,
                    dataset=name,
                    observed="no freshness SLO",
                    expected="freshness column and SLO declared",
                    message=f"{name} declares no freshness SLO, so nobody can tell whether it is current",
                    remediation=f"declare `freshness: {{column: ..., slo: ...}}` for datasets.{name}",
                )
            )
            continue
        found = ctx.evidence.get(Freshness, name, column=declared.column)
        if found.figures is None:
            checks.append(not_measured(need, name, f"freshness of {name}", found.reason, dataset=name, column=declared.column))
            continue
        age, slo = found.figures.age_hours, found.figures.slo_hours
        passed = age <= slo
        checks.append(
            outcome(
                need,
                name,
                passed=passed,
                dataset=name,
                column=declared.column,
                observed={"age_hours": age, "newest": found.figures.newest.isoformat()},
                expected={"max_age_hours": slo},
                message=(
                    f"{name}: newest {declared.column} is {_age(age)} old, within its {_age(slo)} SLO"
                    if passed
                    else f"{name}: newest {declared.column} is {_age(age)} old; the SLO is {_age(slo)}"
                ),
                remediation=f"restart or fix the job that loads {name}, or agree a looser SLO",
            )
        )
    return checks


@rule("dataset_quality", reads=[RuleResult])
def dataset_quality(ctx: RuleContext, need: Need) -> list[Check]:
    """Every declared data rule of the datasets (validity, consistency, schema, volume,
    Great Expectations suites, history), each at the strictest of its own severity and
    the requirement's."""
    checks = []
    for name in ctx.datasets():
        if why := ctx.evidence.unreachable(name):
            checks.append(not_measured(need, name, f"the data rules of {name}", why, dataset=name))
            continue
        failing = 0
        for why in ctx.evidence.failures(RuleResult, name):  # a crashed probe: its rules are unknown
            failing += 1
            checks.append(not_measured(need, f"{name}.probe", f"some data rules of {name}", why, dataset=name))
        for result in ctx.evidence.all(RuleResult, name):
            declared = Severity(result.severity)
            suffix = f"{name}.{result.rule}"
            if result.figures is None:
                failing += 1
                checks.append(
                    not_measured(
                        need, suffix, f"{result.rule} of {name}", result.reason, dataset=name,
                        column=result.column, declared=declared,
                        remediation="fix what kept the rule from running (see the dataset's checks), then re-run the audit",
                    )
                )
            elif not result.figures.passed:
                failing += 1
                checks.append(
                    outcome(
                        need,
                        suffix,
                        passed=False,
                        dimension=Dimension.HISTORY if result.origin == "history" else Dimension.QUALITY,
                        dataset=name,
                        column=result.column,
                        observed=result.figures.observed,
                        expected=result.figures.expected,
                        message=result.figures.message,
                        remediation=result.figures.remediation,
                        declared=declared,
                        source_check=result.rule,
                    )
                )
        if not failing:
            checks.append(outcome(need, name, passed=True, dataset=name, message=f"{name} passes its other quality checks"))
    return checks


RULES = (
    datasets_reachable,
    columns_present,
    columns_complete,
    min_rows,
    events_timestamped,
    keys_unique,
    fresh,
    dataset_quality,
)

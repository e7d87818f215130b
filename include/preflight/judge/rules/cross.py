"""Requirements across datasets: keys that join, enough events per entity, valid and
covered locales, complete and balanced labels. What each reads was planned by
:mod:`preflight.judge.plan` and measured before judging."""

from __future__ import annotations

from preflight.judge.evidence import ProfileEvidence
from preflight.judge.rules.base import Need, RuleContext, not_measured, outcome, rule
from preflight.model.evidence import EventsPerEntity, JoinCoverage, LabelBalance, LocaleCoverage
from preflight.model.results import Check

__all__ = ["RULES"]


@rule("join_coverage", reads=[JoinCoverage], threshold="ratio")
def join_coverage(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for join in ctx.plan.joins:
        source, target = join.source, join.target
        found = ctx.evidence.get(JoinCoverage, source.dataset, source=source, target=target)
        if found.figures is None:
            checks.append(
                not_measured(need, str(source), f"coverage of {source} in {target}", found.reason,
                             dataset=source.dataset, remediation="make both datasets readable from one source")
            )
            continue
        figures = found.figures
        limit = need.threshold if need.threshold is not None else join.min_coverage
        checks.append(
            outcome(
                need, str(source), passed=figures.coverage >= limit, dataset=source.dataset,
                observed=round(figures.coverage, 4), expected={"min_coverage": limit},
                message=f"{figures.coverage:.1%} of {source} values are found in {target} ({figures.matched} of {figures.rows})",
                remediation=f"load the missing {target.dataset} rows or drop orphaned {source.dataset} rows",
            )
        )
    return checks


@rule("events_per_entity", reads=[EventsPerEntity], threshold="ratio")
def events_per_entity(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for request in ctx.plan.events:
        entity = request.entity
        found = ctx.evidence.get(EventsPerEntity, entity.dataset, entity=entity, min_events=request.min_events)
        if found.figures is None:
            checks.append(not_measured(need, str(entity), f"events per {entity}", found.reason, dataset=entity.dataset))
            continue
        figures = found.figures
        limit = need.threshold if need.threshold is not None else request.min_share
        checks.append(
            outcome(
                need, str(entity), passed=figures.share >= limit, dataset=entity.dataset,
                observed=round(figures.share, 4), expected={"min_share": limit, "min_events": request.min_events},
                message=(
                    f"{figures.share:.0%} of {figures.entities} {entity} values have at least "
                    f"{request.min_events} events (mean {figures.mean}, fewest {figures.fewest})"
                ),
                remediation="collect more history or lower min_events for cold-start entities",
            )
        )
    return checks


@rule("locale_codes_valid", reads=[LocaleCoverage])
def locale_codes_valid(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for request in ctx.plan.locales:
        name, column = request.dataset, f"{request.dataset}.{request.column}"
        found = ctx.evidence.get(LocaleCoverage, name, column=request.column)
        if found.figures is None:
            checks.append(not_measured(need, name, f"locale codes of {column}", found.reason, dataset=name))
            continue
        invalid = found.figures.invalid
        checks.append(
            outcome(
                need, name, passed=not invalid, dataset=name, observed=list(invalid) or "all valid",
                expected="BCP 47 codes such as fr-FR",
                message=f"{column} holds invalid locale codes: {', '.join(invalid[:5])}" if invalid
                else f"{column} locale codes are valid ({', '.join(sorted(found.figures.per_locale))})",
                remediation="normalise locale codes to BCP 47 (language-REGION)",
            )
        )
    return checks


@rule("locale_coverage", reads=[LocaleCoverage], threshold="ratio")
def locale_coverage(ctx: RuleContext, need: Need) -> list[Check]:
    minimum = need.threshold if need.threshold is not None else 0.8
    checks = []
    for request in ctx.plan.locales:
        name = request.dataset
        found = ctx.evidence.get(LocaleCoverage, name, column=request.column)
        if found.figures is None:
            checks.append(not_measured(need, name, f"locale coverage of {name}", found.reason, dataset=name))
            continue
        figures = found.figures
        for locale in sorted(request.targets):
            share = figures.per_locale.get(locale, 0) / figures.items if figures.items else 0.0
            checks.append(
                outcome(
                    need, f"{name}.{locale}", passed=share >= minimum, dataset=name, observed=round(share, 4),
                    expected={"min_coverage": minimum},
                    message=f"{share:.0%} of {figures.items} source items have a {locale} translation in {name}",
                    remediation=f"translate the missing items into {locale} or drop it from target_locales",
                )
            )
    if not ctx.use_case.target_locales:
        checks.append(
            outcome(need, "target_locales", passed=False, message="the use case names no target_locales",
                    remediation="list the locales this use case must serve in target_locales")
        )
    return checks


@rule("labels_complete_and_balanced", reads=[LabelBalance, ProfileEvidence], threshold="ratio")
def labels_complete_and_balanced(ctx: RuleContext, need: Need) -> list[Check]:
    minimum = need.threshold if need.threshold is not None else 0.05
    checks = []
    for name in ctx.datasets(need.params.get("roles", ["examples"])):
        label = ctx.use_case.datasets[name].label_column
        if label is None:
            checks.append(
                outcome(need, name, passed=False, dataset=name, message=f"{name} declares no label_column",
                        remediation="declare label_column for the examples dataset")
            )
            continue
        profile, balance = ctx.evidence.profile(name), ctx.evidence.get(LabelBalance, name, column=label)
        if profile.figures is None or balance.figures is None:
            checks.append(not_measured(need, name, f"labels of {name}", profile.reason or balance.reason,
                                       dataset=name, column=label))
            continue
        col = profile.figures.column(label)
        if col is None:
            checks.append(
                outcome(need, name, passed=False, dataset=name, column=label,
                        message=f"{name} has no column {label} to read labels from",
                        remediation="declare the label column the examples dataset really has")
            )
            continue
        rows = profile.figures.row_count
        null_ratio = col.null_count / rows if rows else 0.0
        checks.append(
            outcome(need, f"{name}.complete", passed=null_ratio == 0, dataset=name, column=label,
                    observed=round(null_ratio, 4), expected=0,
                    message=f"{null_ratio:.1%} of {name} examples have no label",
                    remediation="label or drop unlabelled examples")
        )
        smallest = balance.figures.smallest_share
        checks.append(
            outcome(need, f"{name}.balance", passed=smallest >= minimum, dataset=name, column=label,
                    observed=balance.figures.classes, expected={"min_class_share": minimum},
                    message=f"the smallest class of {name}.{label} is {smallest:.1%} of examples",
                    remediation="collect more examples of rare classes or rebalance")
        )
    return checks


RULES = (join_coverage, events_per_entity, locale_codes_valid, locale_coverage, labels_complete_and_balanced)

"""Requirements on who answers for the data and the use case: documented and owned
datasets, documented schemas, known lineage, a classification, an accountable sponsor."""

from __future__ import annotations

from preflight.judge.rules.base import Need, RuleContext, not_measured, outcome, rule
from preflight.model.evidence import Documentation, Lineage
from preflight.model.results import Check, Dimension

__all__ = ["RULES"]


@rule("documented_and_owned", reads=[Documentation])
def documented_and_owned(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        found = ctx.evidence.get(Documentation, name)
        if found.figures is None:
            checks.append(
                not_measured(need, name, f"the documentation of {name}", found.reason,
                             dimension=Dimension.DISCOVERABILITY, dataset=name)
            )
            continue
        described, owned = found.figures.described, found.figures.owned
        missing = [label for label, present in (("description", described), ("owner", owned)) if not present]
        checks.append(
            outcome(
                need,
                name,
                passed=not missing,
                dimension=Dimension.DISCOVERABILITY,
                dataset=name,
                observed=[f"a {m}" if m == "description" else f"an {m}" for m in missing] or "described and owned",
                expected=["a description", "an owner"],
                message=(
                    f"{name} has no {' and no '.join(missing)}: nobody can vouch for it"
                    if missing
                    else f"{name} is described and owned"
                ),
                remediation=f"add description and owner to datasets.{name} in the catalog",
            )
        )
    return checks


@rule("schemas_documented", reads=[Documentation])
def schemas_documented(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        found = ctx.evidence.get(Documentation, name)
        if found.figures is None:
            checks.append(
                not_measured(need, name, f"the column descriptions of {name}", found.reason,
                             dimension=Dimension.DISCOVERABILITY, dataset=name)
            )
            continue
        figures = found.figures
        checks.append(
            outcome(
                need,
                name,
                passed=figures.columns_described,
                dimension=Dimension.DISCOVERABILITY,
                dataset=name,
                observed=figures.column_coverage,
                expected="column descriptions",
                message=figures.columns_message,
                remediation=figures.columns_remediation or f"describe the columns of {name}",
            )
        )
    return checks


@rule("lineage_known", reads=[Lineage])
def lineage_known(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        found = ctx.evidence.get(Lineage, name)
        if found.figures is None:
            checks.append(
                not_measured(
                    need, name, f"the lineage of {name}", found.reason, dimension=Dimension.LINEAGE, dataset=name,
                    remediation=f"configure settings.lineage and emit OpenLineage events from the job that writes {name}",
                )
            )
            continue
        figures = found.figures
        known = bool(figures.producers) or figures.system_of_record
        checks.append(
            outcome(
                need,
                name,
                passed=known,
                dimension=Dimension.LINEAGE,
                dataset=name,
                observed=list(figures.producers) or None,
                expected="a known producing job",
                message=figures.message,
                remediation=figures.remediation or f"emit OpenLineage events from the job that writes {name}",
            )
        )
    return checks


@rule("access_classified")
def access_classified(ctx: RuleContext, need: Need) -> list[Check]:
    checks = []
    for name in ctx.datasets():
        classification = ctx.config.datasets[name].classification
        checks.append(
            outcome(
                need,
                name,
                passed=classification is not None,
                dimension=Dimension.PRIVACY,
                dataset=name,
                observed=classification,
                expected="a classification",
                message=(
                    f"{name} is classified {classification}"
                    if classification
                    else f"{name} has no classification, so nobody can tell who may query it"
                ),
                remediation=f"set classification for datasets.{name}",
            )
        )
    return checks


@rule("use_case_accountable")
def use_case_accountable(ctx: RuleContext, need: Need) -> list[Check]:
    """A GenAI initiative without a named business sponsor and owner is the first to stall."""
    missing = [
        label
        for label, value in (("a business sponsor", ctx.use_case.business_sponsor), ("an owner", ctx.use_case.owner))
        if not (value and value.strip())
    ]
    return [
        outcome(
            need,
            "",
            passed=not missing,
            dimension=Dimension.DISCOVERABILITY,
            observed=missing or {"business_sponsor": ctx.use_case.business_sponsor, "owner": ctx.use_case.owner},
            expected=["a business sponsor", "an owner"],
            message=(
                f"{ctx.name} names no {' and no '.join(m.split(' ', 1)[1] for m in missing)}: "
                "nobody is accountable for launching it"
                if missing
                else f"{ctx.name} is sponsored by {ctx.use_case.business_sponsor} and owned by {ctx.use_case.owner}"
            ),
            remediation=f"name business_sponsor and owner for use_cases.{ctx.name}",
        )
    ]


RULES = (documented_and_owned, schemas_documented, lineage_known, access_classified, use_case_accountable)

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
from typing import Any

from preflight.judge.kinds import KindProfile, Requirement, load_kind
from preflight.model.config import Config, UseCaseConfig
from preflight.model.results import (
    Check,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    TableProfile,
)

__all__ = ["RULES", "KindProfile", "Requirement", "UseCaseContext", "load_kind", "rule"]


@dataclass
class UseCaseContext:
    name: str
    use_case: UseCaseConfig
    config: Config
    audits: dict[str, DatasetAudit]
    today: date
    extra: dict[str, Any] = field(default_factory=dict)

    def columns_needed(self, dataset: str) -> tuple[str, ...]:
        """The columns the use case reads, its dataset's primary key included (ids must exist)."""
        entry = self.config.datasets[dataset]
        declared = self.use_case.datasets[dataset].columns or entry.required_columns
        return tuple(dict.fromkeys([*entry.primary_key, *declared]))

    def reachable(self) -> list[tuple[str, DatasetAudit, TableProfile]]:
        """(name, audit, profile) of each dataset that was read: rules need not re-check."""
        return [
            (n, a, a.profile) for n, a in self.audits.items() if a.status is DatasetStatus.OK and a.profile is not None
        ]


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
    for name, _audit, profile in ctx.reachable():
        needed = ctx.columns_needed(name)
        missing = [c for c in needed if profile.column(c) is None]
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
    for name, _audit, profile in ctx.reachable():
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
    for name, audit, _profile in ctx.reachable():
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
    for name, audit, _profile in ctx.reachable():
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
    for name, audit, _profile in ctx.reachable():
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
    for name, audit, _profile in ctx.reachable():
        producer = _dataset_check(audit, "lineage.producer")
        configured = _dataset_check(audit, "lineage.source_configured") or _dataset_check(
            audit, "lineage.source_readable"
        )
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
    for name, audit, _profile in ctx.reachable():
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
    for name, _audit, profile in ctx.reachable():
        role = ctx.use_case.datasets[name].role
        if role not in (None, "documents"):
            continue
        label = ctx.config.datasets[name].access_label_column
        col = profile.column(label) if label else None
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
        rows = profile.row_count
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


# --- text fed to a model -----------------------------------------------------------

_TEXT_METRICS = {
    "empty": ("empty documents", "drop or fill empty documents before indexing"),
    "bad_length": ("documents too short or too long", "filter out fragments and split very long documents"),
    "exact_duplicates": ("exact duplicates", "deduplicate documents before indexing"),
    "near_duplicates": ("near-duplicates", "collapse near-duplicate documents (templates, re-sent messages)"),
    "mojibake": ("documents with encoding errors", "fix the encoding at the source (e.g. re-decode as UTF-8)"),
    "boilerplate": ("mostly-boilerplate documents", "strip signatures, disclaimers and templates"),
}


def _text_columns(ctx: UseCaseContext) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(dataset, column, text facts) for every text column this use case reads."""
    found = []
    for name, audit, _profile in ctx.reachable():
        needed = set(ctx.use_case.datasets[name].columns)
        for column in ctx.config.datasets[name].text_columns:
            if not needed or column in needed:
                found.append((name, column, audit.facts.get("text", {}).get(column)))
    return found


@rule("text_metric")
def text_metric(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    metric = req.params["metric"]
    label, fix = _TEXT_METRICS[metric]
    limit = req.threshold if req.threshold is not None else 0.0
    checks = []
    for name, column, facts in _text_columns(ctx):
        if facts is None:
            checks.append(_check(req, f"{name}.{column}", passed=False, dimension=Dimension.CONTENT, dataset=name,
                                 column=column, message=f"{name}.{column} text was not measured (see the dataset's content checks)",
                                 remediation="make the column readable by the audit's account"))
            continue
        value = facts["too_short"] + facts["too_long"] if metric == "bad_length" else facts[metric]
        checks.append(
            _check(
                req, f"{name}.{column}", passed=value <= limit, dimension=Dimension.CONTENT, dataset=name, column=column,
                observed=round(value, 4), expected={"max_ratio": limit},
                message=(
                    f"{value:.1%} of sampled {name}.{column} are {label} (this use case tolerates {limit:.0%})"
                    if value > limit else f"{name}.{column}: {value:.1%} {label}, within {limit:.0%}"
                ),
                remediation=fix, sample=facts.get("documents"),
            )
        )
    return checks


@rule("text_present")
def text_present(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    """Datasets that provide documents must say which columns hold the text."""
    checks = []
    for name in ctx.use_case.datasets:
        role = ctx.use_case.datasets[name].role
        if role not in ("documents", "examples", "source_text", "target_text"):
            continue
        declared = ctx.config.datasets[name].text_columns
        checks.append(
            _check(req, name, passed=bool(declared), dimension=Dimension.CONTENT, dataset=name,
                   observed=list(declared) or None, expected="text_columns declared",
                   message=f"{name} text columns: {', '.join(declared)}" if declared
                   else f"{name} provides {role} but declares no text_columns, so its text is never checked",
                   remediation=f"declare text_columns for datasets.{name}")
        )
    return checks


@rule("language_match")
def language_match(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    targets = {lang.split("-")[0].lower() for lang in ctx.use_case.target_languages}
    minimum = req.threshold if req.threshold is not None else 0.9
    checks: list[Check] = []
    if not targets:
        return checks  # nothing promised, nothing to check
    for name, column, facts in _text_columns(ctx):
        if ctx.use_case.datasets[name].role == "target_text":
            continue  # translations are meant to be in other languages
        shares: dict[str, float] = (facts or {}).get("languages", {})
        share = sum(v for k, v in shares.items() if k.split("-")[0].lower() in targets)
        top = ", ".join(f"{k} {v:.0%}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])[:3])
        checks.append(
            _check(req, f"{name}.{column}", passed=share >= minimum, dimension=Dimension.CONTENT, dataset=name,
                   column=column, observed={"target_share": round(share, 4), "languages": shares},
                   expected={"min_share": minimum, "languages": sorted(targets)},
                   message=f"{share:.0%} of sampled {name}.{column} is in {', '.join(sorted(targets))} ({top or 'not measured'})",
                   remediation="filter documents to the target languages or add the missing languages to target_languages")
        )
    return checks


# --- cross-dataset measures (see preflight.measure.use_case) ----------------------------------


def _measures(ctx: UseCaseContext) -> Any:
    from preflight.measure.use_case import UseCaseMeasures

    return ctx.extra.get("measures") or UseCaseMeasures()


@rule("join_coverage")
def join_coverage(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for m in _measures(ctx).joins:
        dataset = m["from"].split(".")[0]
        if "error" in m:
            checks.append(_check(req, m["from"], passed=False, dataset=dataset, message=m["error"],
                                 remediation="make both datasets readable from one source"))
            continue
        limit = req.threshold if req.threshold is not None else m["min_coverage"]
        checks.append(
            _check(req, m["from"], passed=m["coverage"] >= limit, dataset=dataset, observed=round(m["coverage"], 4),
                   expected={"min_coverage": limit},
                   message=f"{m['coverage']:.1%} of {m['from']} values are found in {m['to']} ({m['matched']} of {m['rows']})",
                   remediation=f"load the missing {m['to'].split('.')[0]} rows or drop orphaned {dataset} rows")
        )
    return checks


@rule("events_per_entity")
def events_per_entity(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for m in _measures(ctx).events_per_entity:
        dataset = m["key"].split(".")[0]
        if "error" in m:
            checks.append(_check(req, m["key"], passed=False, dataset=dataset, message=m["error"]))
            continue
        limit = req.threshold if req.threshold is not None else m["min_share"]
        checks.append(
            _check(req, m["key"], passed=m["share"] >= limit, dataset=dataset, observed=round(m["share"], 4),
                   expected={"min_share": limit, "min_events": m["min_events"]},
                   message=(f"{m['share']:.0%} of {m['entities']} {m['key']} values have at least {m['min_events']} events "
                            f"(mean {m['mean']}, fewest {m['fewest']})"),
                   remediation="collect more history or lower min_events for cold-start entities")
        )
    return checks


@rule("events_timestamped")
def events_timestamped(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, _audit, profile in ctx.reachable():
        if ctx.use_case.datasets[name].role != "events":
            continue
        needed = ctx.columns_needed(name)
        temporal = [c for c in profile.columns if c.kind == "temporal" and (not needed or c.name in needed)]
        complete = [c.name for c in temporal if c.null_count == 0]
        checks.append(
            _check(req, name, passed=bool(complete), dataset=name, observed=complete or None,
                   expected="a complete timestamp column among the columns used",
                   message=f"{name} events are timestamped by {', '.join(complete)}" if complete
                   else f"{name} events have no complete timestamp column among the columns this use case reads",
                   remediation=f"add the event time to {name} and to the use case's columns")
        )
    return checks


@rule("locale_codes_valid")
def locale_codes_valid(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, m in _measures(ctx).locales.items():
        if "error" in m:
            checks.append(_check(req, name, passed=False, dataset=name, message=m["error"]))
            continue
        checks.append(
            _check(req, name, passed=not m["invalid"], dataset=name, observed=m["invalid"] or "all valid",
                   expected="BCP 47 codes such as fr-FR",
                   message=f"{m['column']} holds invalid locale codes: {', '.join(m['invalid'][:5])}" if m["invalid"]
                   else f"{m['column']} locale codes are valid ({', '.join(sorted(m['per_locale']))})",
                   remediation="normalise locale codes to BCP 47 (language-REGION)")
        )
    return checks


@rule("locale_coverage")
def locale_coverage(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    minimum = req.threshold if req.threshold is not None else 0.8
    checks = []
    for name, m in _measures(ctx).locales.items():
        if "error" in m:
            continue  # reported by locale_codes_valid
        for locale, share in sorted(m["coverage"].items()):
            checks.append(
                _check(req, f"{name}.{locale}", passed=share >= minimum, dataset=name, observed=round(share, 4),
                       expected={"min_coverage": minimum},
                       message=f"{share:.0%} of {m['items']} source items have a {locale} translation in {name}",
                       remediation=f"translate the missing items into {locale} or drop it from target_locales")
            )
    if not ctx.use_case.target_locales:
        checks.append(_check(req, "target_locales", passed=False, message="the use case names no target_locales",
                             remediation="list the locales this use case must serve in target_locales"))
    return checks


@rule("labels_complete_and_balanced")
def labels_complete_and_balanced(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    minimum = req.threshold if req.threshold is not None else 0.05
    checks = []
    for name, needs in ctx.use_case.datasets.items():
        if needs.role != "examples":
            continue
        m = _measures(ctx).labels.get(name)
        audit = ctx.audits[name]
        col = audit.profile.column(needs.label_column) if audit.profile and needs.label_column else None
        if m is None or col is None or "error" in m:
            checks.append(_check(req, name, passed=False, dataset=name,
                                 message=(m or {}).get("error") or f"{name} declares no readable label_column",
                                 remediation="declare label_column for the examples dataset"))
            continue
        rows = audit.profile.row_count if audit.profile else 0
        null_ratio = col.null_count / rows if rows else 0.0
        checks.append(_check(req, f"{name}.complete", passed=null_ratio == 0, dataset=name, column=needs.label_column,
                             observed=round(null_ratio, 4), expected=0,
                             message=f"{null_ratio:.1%} of {name} examples have no label",
                             remediation="label or drop unlabelled examples"))
        checks.append(_check(req, f"{name}.balance", passed=m["smallest_share"] >= minimum, dataset=name,
                             column=needs.label_column, observed=m["classes"],
                             expected={"min_class_share": minimum},
                             message=f"the smallest class of {m['column']} is {m['smallest_share']:.1%} of examples",
                             remediation="collect more examples of rare classes or rebalance"))
    return checks


@rule("min_rows")
def min_rows(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    minimum = int(req.threshold or 1)
    return [
        _check(req, name, passed=profile.row_count >= minimum, dataset=name, observed=profile.row_count,
               expected={"min_rows": minimum},
               message=f"{name} has {profile.row_count} rows; this use case needs at least {minimum}",
               remediation=f"collect more data for {name} or lower the volume threshold")
        for name, audit, profile in ctx.reachable()
    ]


@rule("schemas_documented")
def schemas_documented(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    checks = []
    for name, audit, _profile in ctx.reachable():
        found = _dataset_check(audit, "discoverability.column_descriptions")
        checks.append(
            _check(req, name, passed=bool(found and found.passed), dimension=Dimension.DISCOVERABILITY, dataset=name,
                   observed=found.observed if found else None, expected=found.expected if found else "column descriptions",
                   message=(found.message if found else f"{name}: column descriptions were not assessed"),
                   remediation=(found.remediation if found else None) or f"describe the columns of {name}")
        )
    return checks


@rule("access_classified")
def access_classified(ctx: UseCaseContext, req: Requirement) -> list[Check]:
    return [
        _check(req, name, passed=ctx.config.datasets[name].classification is not None, dimension=Dimension.PRIVACY,
               dataset=name, observed=ctx.config.datasets[name].classification, expected="a classification",
               message=(f"{name} is classified {ctx.config.datasets[name].classification}"
                        if ctx.config.datasets[name].classification
                        else f"{name} has no classification, so nobody can tell who may query it"),
               remediation=f"set classification for datasets.{name}")
        for name in ctx.audits
    ]

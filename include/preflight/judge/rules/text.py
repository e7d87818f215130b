"""Requirements on text fed to a model: declared text columns, and fitness figures
(emptiness, length, duplicates, encoding, boilerplate, language) on their samples."""

from __future__ import annotations

from preflight.judge.rules.base import Need, RuleContext, not_measured, outcome, rule
from preflight.model.evidence import TextFigures, TextFitness
from preflight.model.results import Check, Dimension

__all__ = ["RULES"]

_TEXT_METRICS = {
    "empty": ("empty documents", "drop or fill empty documents before indexing"),
    "bad_length": ("documents too short or too long", "filter out fragments and split very long documents"),
    "exact_duplicates": ("exact duplicates", "deduplicate documents before indexing"),
    "near_duplicates": ("near-duplicates", "collapse near-duplicate documents (templates, re-sent messages)"),
    "mojibake": ("documents with encoding errors", "fix the encoding at the source (e.g. re-decode as UTF-8)"),
    "boilerplate": ("mostly-boilerplate documents", "strip signatures, disclaimers and templates"),
}
_TEXT_ROLES = ["documents", "examples", "source_text", "target_text"]


def _metric(figures: TextFigures, metric: str) -> float:
    return figures.bad_length if metric == "bad_length" else float(getattr(figures, metric))


@rule("text_metric", reads=[TextFitness], threshold="ratio")
def text_metric(ctx: RuleContext, need: Need) -> list[Check]:
    metric = need.params["metric"]
    label, fix = _TEXT_METRICS[metric]
    limit = need.threshold if need.threshold is not None else 0.0
    checks = []
    for name in ctx.datasets():
        for column in ctx.text_columns(name):
            found = ctx.evidence.get(TextFitness, name, column=column)
            where = f"{name}.{column}"
            if found.figures is None:
                checks.append(
                    not_measured(need, where, f"{label} in {where}", found.reason, dimension=Dimension.CONTENT,
                                 dataset=name, column=column,
                                 remediation=f"make {where} readable by the audit (a sample must be drawn) and re-run it")
                )
                continue
            value = _metric(found.figures, metric)
            checks.append(
                outcome(
                    need, where, passed=value <= limit, dimension=Dimension.CONTENT, dataset=name, column=column,
                    observed=round(value, 4), expected={"max_ratio": limit},
                    message=(
                        f"{value:.1%} of sampled {where} are {label} (this use case tolerates {limit:.0%})"
                        if value > limit
                        else f"{where}: {value:.1%} {label}, within {limit:.0%}"
                    ),
                    remediation=fix,
                    sample=found.figures.documents,
                )
            )
    return checks


@rule("text_present")
def text_present(ctx: RuleContext, need: Need) -> list[Check]:
    """Datasets that provide text must say which columns hold it, or it is never checked."""
    checks = []
    for name in ctx.datasets(need.params.get("roles", _TEXT_ROLES)):
        role = ctx.use_case.datasets[name].role
        declared = ctx.config.datasets[name].text_columns
        checks.append(
            outcome(
                need, name, passed=bool(declared), dimension=Dimension.CONTENT, dataset=name,
                observed=list(declared) or None, expected="text_columns declared",
                message=f"{name} text columns: {', '.join(declared)}" if declared
                else f"{name} provides {role} but declares no text_columns, so its text is never checked",
                remediation=f"declare text_columns for datasets.{name}",
            )
        )
    return checks


@rule("language_match", reads=[TextFitness], threshold="ratio")
def language_match(ctx: RuleContext, need: Need) -> list[Check]:
    targets = {lang.split("-")[0].lower() for lang in ctx.use_case.target_languages}
    minimum = need.threshold if need.threshold is not None else 0.9
    if not targets:
        return []  # nothing promised, nothing to check
    skip = set(need.params.get("skip_roles", ["target_text"]))  # translations are meant to differ
    checks = []
    for name in ctx.datasets():
        if ctx.use_case.datasets[name].role in skip:
            continue
        for column in ctx.text_columns(name):
            where = f"{name}.{column}"
            found = ctx.evidence.get(TextFitness, name, column=column)
            if found.figures is None:
                checks.append(not_measured(need, where, f"the language of {where}", found.reason,
                                           dimension=Dimension.CONTENT, dataset=name, column=column))
                continue
            shares = found.figures.languages
            share = sum(v for k, v in shares.items() if k.split("-")[0].lower() in targets)
            top = ", ".join(f"{k} {v:.0%}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])[:3])
            checks.append(
                outcome(
                    need, where, passed=share >= minimum, dimension=Dimension.CONTENT, dataset=name, column=column,
                    observed={"target_share": round(share, 4), "languages": shares},
                    expected={"min_share": minimum, "languages": sorted(targets)},
                    message=f"{share:.0%} of sampled {where} is in {', '.join(sorted(targets))} ({top or 'no text'})",
                    remediation="filter documents to the target languages or add the missing languages to target_languages",
                )
            )
    return checks


RULES = (text_metric, text_present, language_match)

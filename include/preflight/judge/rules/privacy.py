"""Requirements on personal data and who may read what: no unapproved PII in the text a
use case reads, and access labels on the documents a retrieval system serves."""

from __future__ import annotations

from preflight.judge.evidence import ProfileEvidence
from preflight.judge.rules.base import Need, RuleContext, not_measured, outcome, rule
from preflight.model.evidence import PiiScan
from preflight.model.results import Check, Dimension

__all__ = ["RULES"]

_HANDLED = ("masked_before_indexing", "approved")
_CLASSIFIED = ("confidential", "restricted")


@rule("no_unapproved_pii", reads=[PiiScan])
def no_unapproved_pii(ctx: RuleContext, need: Need) -> list[Check]:
    """PII passes only when the use case declares handling and the data is classified.

    PII is looked for in the declared text columns the use case reads; a column whose
    sample could not be scanned is not met (absence that was not checked is no pass)."""
    handling = ctx.use_case.pii
    checks = []
    for name in ctx.datasets():
        entry = ctx.config.datasets[name]
        columns = ctx.text_columns(name)
        if not columns:
            checks.append(
                outcome(
                    need, name, passed=True, dimension=Dimension.PRIVACY, dataset=name,
                    message=f"{name} has no declared text column this use case reads; PII is looked for in text columns",
                )
            )
            continue
        classified = entry.classification in _CLASSIFIED
        allowed = handling in _HANDLED and classified
        for column in columns:
            scan = ctx.evidence.get(PiiScan, name, column=column)
            if scan.figures is None:
                checks.append(
                    not_measured(
                        need, f"{name}.{column}", f"personal data in {name}.{column}", scan.reason,
                        dimension=Dimension.PRIVACY, dataset=name, column=column,
                        remediation=f"make {name}.{column} readable by the audit (a sample must be drawn) and re-run it",
                    )
                )
                continue
            entities = {entity: share for entity, share in scan.figures.shares.items() if share > 0}
            if not entities:
                checks.append(
                    outcome(
                        need, f"{name}.{column}", passed=True, dimension=Dimension.PRIVACY, dataset=name, column=column,
                        observed={"rows_scanned": scan.figures.rows_scanned},
                        message=f"no PII found in {scan.figures.rows_scanned} sampled rows of {name}.{column}",
                    )
                )
                continue
            summary = ", ".join(f"{entity} in {share:.1%} of rows" for entity, share in sorted(entities.items()))
            if allowed:
                message = f"{name}.{column} holds PII ({summary}); allowed: handling '{handling}', classification '{entry.classification}'"
            elif not classified:
                message = f"{name}.{column} holds PII ({summary}) but is classified '{entry.classification or 'unclassified'}'"
            else:
                message = f"{name}.{column} holds PII ({summary}) and the use case declares no PII handling"
            checks.append(
                outcome(
                    need,
                    f"{name}.{column}",
                    passed=allowed,
                    dimension=Dimension.PRIVACY,
                    dataset=name,
                    column=column,
                    observed={e: round(s, 4) for e, s in entities.items()},
                    expected="no PII, or declared handling on classified data",
                    message=message,
                    remediation=(
                        f"mask or drop PII in {name}.{column} before use and declare `pii: masked_before_indexing`, "
                        "or classify the dataset confidential/restricted and get approval (`pii: approved`)"
                    ),
                )
            )
    return checks


@rule("access_labels_present", reads=[ProfileEvidence], threshold="ratio")
def access_labels_present(ctx: RuleContext, need: Need) -> list[Check]:
    limit = need.threshold or 0.0
    checks = []
    for name in ctx.datasets(need.params.get("roles", [None, "documents"])):
        label = ctx.config.datasets[name].access_label_column
        if label is None:
            checks.append(
                outcome(
                    need, name, passed=False, dimension=Dimension.PRIVACY, dataset=name,
                    observed="no access label column", expected="access_label_column declared and present",
                    message=f"{name} has no access labels, so retrieval cannot respect who may read what",
                    remediation=f"add an access-label column to {name} and declare access_label_column",
                )
            )
            continue
        found = ctx.evidence.profile(name)
        if found.figures is None:
            checks.append(not_measured(need, name, f"access labels of {name}", found.reason,
                                       dimension=Dimension.PRIVACY, dataset=name, column=label))
            continue
        col = found.figures.column(label)
        if col is None:
            checks.append(
                outcome(
                    need, name, passed=False, dimension=Dimension.PRIVACY, dataset=name, column=label,
                    observed="column missing", expected="access_label_column declared and present",
                    message=f"{name} declares access labels in {label}, which the table lacks",
                    remediation=f"add {label} to {name} or fix access_label_column",
                )
            )
            continue
        rows = found.figures.row_count
        ratio = col.null_count / rows if rows else 0.0
        checks.append(
            outcome(
                need, name, passed=ratio <= limit, dimension=Dimension.PRIVACY, dataset=name, column=label,
                observed=round(ratio, 4), expected={"max_null_ratio": limit},
                message=(
                    f"{name}.{label} labels every document" if ratio <= limit
                    else f"{ratio:.1%} of {name} rows have no access label"
                ),
                remediation=f"label every row of {name} with who may read it",
            )
        )
    return checks


RULES = (no_unapproved_pii, access_labels_present)

"""History-aware checks: compare this audit with the dataset's earlier audits.

Silent until the results store holds ``settings.history_min_audits`` (default 5)
earlier successful audits of the dataset; then it flags
- a row count outside the band of recent history: median ± max(3 robust standard
  deviations (1.4826 × MAD), 10% of the median) over the last 10 audits;
- a jump in a column's NULL ratio of more than 10 percentage points since the last audit;
- a schema change since the last audit (columns added, removed, or retyped).
Each finding carries the previous and the current values.
"""

from __future__ import annotations

from statistics import median

from preflight.measure.registry import ProbeContext, probe
from preflight.model.evidence import RuleResult
from preflight.model.results import Check, DatasetAudit, Dimension, Severity, TableProfile

__all__ = ["NULL_JUMP", "WINDOW", "row_count_band"]

WINDOW = 10
NULL_JUMP = 0.10
MIN_RELATIVE_BAND = 0.10
H = Dimension.HISTORY


def row_count_band(counts: list[int]) -> tuple[float, float]:
    mid = median(counts)
    mad = median(abs(c - mid) for c in counts)
    half = max(3 * 1.4826 * mad, MIN_RELATIVE_BAND * mid)
    return max(0.0, mid - half), mid + half


def _null_ratios(profile: TableProfile) -> dict[str, float]:
    rows = profile.row_count
    return {c.name: (c.null_count / rows if rows else 0.0) for c in profile.columns}


def _row_count_check(ctx: ProbeContext, earlier: list[DatasetAudit]) -> Check:
    counts = [a.profile.row_count for a in earlier[:WINDOW] if a.profile]
    low, high = row_count_band(counts)
    current = ctx.profile.row_count
    previous = counts[0]
    inside = low <= current <= high
    change = (current - previous) / previous if previous else 0.0
    return Check(
        id="history.row_count",
        dimension=H,
        severity=Severity.WARNING,
        passed=inside,
        dataset=ctx.name,
        observed={"current": current, "previous": previous, "change": round(change, 4)},
        expected={"min": round(low), "max": round(high), "from_audits": len(counts)},
        message=(
            f"{ctx.name} has {current} rows, within its recent band {round(low)}–{round(high)}"
            if inside
            else f"{ctx.name} has {current} rows, outside its recent band {round(low)}–{round(high)} "
            f"(previous audit: {previous}, {change:+.0%})"
        ),
        remediation=f"check the load of {ctx.dataset.table}: a partial or duplicated load changes volume like this",
    )


def _null_jump_checks(ctx: ProbeContext, last: TableProfile) -> list[Check]:
    before = _null_ratios(last)
    now = _null_ratios(ctx.profile)
    checks = []
    for column, ratio in now.items():
        if column in before and ratio - before[column] > NULL_JUMP:
            checks.append(
                Check(
                    id=f"history.null_ratio.{column}",
                    dimension=H,
                    severity=Severity.WARNING,
                    passed=False,
                    dataset=ctx.name,
                    column=column,
                    observed={"current": round(ratio, 4), "previous": round(before[column], 4)},
                    expected={"max_increase": NULL_JUMP},
                    message=(
                        f"{ctx.name}.{column} NULL ratio jumped from {before[column]:.1%} to {ratio:.1%} "
                        "since the last audit"
                    ),
                    remediation=f"find the change upstream that stopped filling {column}",
                )
            )
    if not checks:
        checks.append(
            Check(
                id="history.null_ratio",
                dimension=H,
                severity=Severity.WARNING,
                passed=True,
                dataset=ctx.name,
                message=f"no column of {ctx.name} gained more than {NULL_JUMP:.0%} NULLs since the last audit",
            )
        )
    return checks


def _schema_check(ctx: ProbeContext, last: TableProfile) -> Check:
    before = {c.name: c.type for c in last.columns}
    now = {c.name: c.type for c in ctx.profile.columns}
    added = sorted(set(now) - set(before))
    removed = sorted(set(before) - set(now))
    retyped = sorted(f"{c}: {before[c]} → {now[c]}" for c in set(now) & set(before) if now[c] != before[c])
    changes = [*(f"added {c}" for c in added), *(f"removed {c}" for c in removed), *(f"retyped {r}" for r in retyped)]
    return Check(
        id="history.schema",
        dimension=H,
        severity=Severity.WARNING,
        passed=not changes,
        dataset=ctx.name,
        observed={"added": added, "removed": removed, "retyped": retyped},
        expected="the schema of the previous audit",
        message=(
            f"{ctx.name} schema changed since the last audit: " + "; ".join(changes)
            if changes
            else f"{ctx.name} schema is unchanged since the last audit"
        ),
        remediation="confirm the change was intended and update consumers, the catalog and the GX suite",
        details={"previous_columns": before, "current_columns": now},
    )


@probe("history", H, order=90, produces=[RuleResult])
def history(ctx: ProbeContext) -> list[Check]:
    if ctx.store is None:
        return []
    needed = ctx.config.settings.history_min_audits
    earlier = [
        a for a in ctx.store.dataset_history(ctx.name, before=ctx.run_id, limit=max(WINDOW, needed)) if a.profile
    ]
    ctx.facts["history"] = {"earlier_audits": len(earlier), "needed": needed}
    if len(earlier) < needed:
        return []
    last = earlier[0].profile
    assert last is not None
    checks = [_row_count_check(ctx, earlier), *_null_jump_checks(ctx, last), _schema_check(ctx, last)]
    return [ctx.record_rule(check, origin="history") for check in checks]


PROBES = (history,)

"""Scores: 0–100 as the weighted share of passing checks.

A check's weight is ``details["weight"]`` when its probe sets one (discoverability
does, per sub-check), else by severity: blocker 3, warning 2, info 1. A waived
failure counts as passing. The three reported dimensions are always present: one with
no checks scores 0, and every dimension of an unreachable dataset scores 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from preflight.model.results import SCORED_DIMENSIONS, Check, DatasetStatus, Dimension, Severity

__all__ = ["check_weight", "dataset_scores", "weighted_score"]

SEVERITY_WEIGHT = {Severity.BLOCKER: 3, Severity.WARNING: 2, Severity.INFO: 1}

# Which check dimensions feed which reported score.
SCORE_OF = {
    Dimension.QUALITY: "quality",
    Dimension.HISTORY: "quality",
    Dimension.DISCOVERABILITY: "discoverability",
    Dimension.LINEAGE: "lineage",
    Dimension.PRIVACY: "privacy",
    Dimension.CONTENT: "content",
}


def check_weight(check: Check) -> float:
    weight = check.details.get("weight")
    if isinstance(weight, int | float) and weight > 0:
        return float(weight)
    return float(SEVERITY_WEIGHT[check.severity])


def weighted_score(checks: Iterable[Check]) -> int | None:
    total = passed = 0.0
    for check in checks:
        weight = check_weight(check)
        total += weight
        if check.passed or check.waived:
            passed += weight
    if total == 0:
        return None
    return round(100 * passed / total)


def dataset_scores(checks: Iterable[Check], status: DatasetStatus) -> dict[str, int]:
    """``{"discoverability": .., "quality": .., "lineage": .., ...}`` for one dataset."""
    by_score: dict[str, list[Check]] = {}
    for check in checks:
        if name := SCORE_OF.get(check.dimension):
            by_score.setdefault(name, []).append(check)
    scores: dict[str, int] = {}
    for name, group in by_score.items():
        score = weighted_score(group)
        if score is not None:
            scores[name] = score
    if status is not DatasetStatus.OK:
        # Nothing about an unreachable dataset can be trusted, whatever the catalog says.
        scores = {name: 0 for name in {*scores, *(d.value for d in SCORED_DIMENSIONS)}}
    for dimension in SCORED_DIMENSIONS:
        scores.setdefault(dimension.value, 0)
    return scores

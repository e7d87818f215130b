"""Evaluate use cases against their kind's requirements: verdict, score, band, fixes.

- verdict: ``blocked`` if a non-waived blocker fails, ``at_risk`` if a warning
  fails, else ``ready``;
- score: the weighted share of passing requirement checks (see :mod:`scoring`);
- readiness band (after Lawrence's data-readiness levels): ``C`` when every band-C
  requirement passes (the data exists, is reachable and may be used), ``B`` when band B
  passes too (faithful: quality and representation), ``A`` when the kind's own band-A
  requirements pass as well; ``none`` below C. Info-severity checks never hold a band back.
- fixes: each failing check, ranked by how much fixing it alone would raise the verdict
  and the score; platform fixes: datasets whose fixes would unblock the most use cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from preflight.judge.rules import RULES, UseCaseContext, load_kind
from preflight.measure.use_case import UseCaseMeasures
from preflight.model.config import Config, Waiver
from preflight.model.results import (
    Check,
    DatasetAudit,
    DatasetStatus,
    Severity,
    Verdict,
    VerdictLevel,
)
from preflight.model.scoring import weighted_score

__all__ = ["evaluate_all", "evaluate_use_case", "platform_fixes", "verdict_of"]

BANDS = ("C", "B", "A")


def verdict_of(checks: Iterable[Check]) -> VerdictLevel:
    failing = [c for c in checks if c.failing]
    if any(c.severity is Severity.BLOCKER for c in failing):
        return VerdictLevel.BLOCKED
    if any(c.severity is Severity.WARNING for c in failing):
        return VerdictLevel.AT_RISK
    return VerdictLevel.READY


def _apply_waivers(checks: list[Check], waivers: Sequence[Waiver], today: date) -> list[Check]:
    result = []
    for check in checks:
        waiver = next(
            (
                w
                for w in waivers
                if fnmatchcase(check.id, w.check) and (w.dataset is None or w.dataset == check.dataset)
            ),
            None,
        )
        if check.passed or waiver is None:
            result.append(check)
            continue
        record = {
            "reason": waiver.reason,
            "approver": waiver.approver,
            "expires": waiver.expires.isoformat(),
            "expired": waiver.expires < today,
        }
        if waiver.expires < today:
            message = f"{check.message} (waiver by {waiver.approver} expired on {waiver.expires})"
            result.append(check.model_copy(update={"waiver": record, "message": message}))
        else:
            result.append(check.model_copy(update={"waived": True, "waiver": record}))
    return result


def _band(checks: Sequence[Check]) -> tuple[str, tuple[str, ...]]:
    """The highest band whose (and lower bands') requirements pass, and the gaps to the next."""
    level = "none"
    for band in BANDS:
        gaps = [
            c for c in checks
            if c.failing and c.severity is not Severity.INFO and c.details.get("band") == band
        ]
        if gaps:
            return level, tuple(dict.fromkeys(f"[{band}] {c.message}" for c in gaps))
        level = band
    return level, ()


def _blocker_line(check: Check) -> str:
    return f"{check.message} — fix: {check.remediation}" if check.remediation else check.message


def _ranked_fixes(checks: Sequence[Check]) -> tuple[dict[str, Any], ...]:
    """Failing checks ordered by what fixing each one alone would gain."""
    base_verdict = verdict_of(checks)
    base_score = weighted_score(checks) or 0
    fixes: list[dict[str, Any]] = []
    for i, check in enumerate(checks):
        if not check.failing:
            continue
        fixed = [*checks[:i], check.model_copy(update={"passed": True}), *checks[i + 1 :]]
        after = verdict_of(fixed)
        fixes.append(
            {
                "check_id": check.id,
                "dataset": check.dataset,
                "severity": check.severity.value,
                "message": check.message,
                "remediation": check.remediation,
                "score_gain": (weighted_score(fixed) or 0) - base_score,
                "verdict_after": after.value,
                "verdict_gain": after.rank - base_verdict.rank,
            }
        )
    fixes.sort(key=lambda f: (-f["verdict_gain"], Severity(f["severity"]).rank, -f["score_gain"], f["check_id"]))
    return tuple({"rank": n, **fix} for n, fix in enumerate(fixes, start=1))


def evaluate_use_case(
    name: str,
    config: Config,
    audits: dict[str, DatasetAudit],
    *,
    today: date,
    measures: UseCaseMeasures | None = None,
) -> Verdict:
    use_case = config.use_cases[name]
    profile = load_kind(use_case.kind)
    needed = {d: audits[d] for d in use_case.datasets}
    ctx = UseCaseContext(name=name, use_case=use_case, config=config, audits=needed, today=today)
    ctx.extra["measures"] = measures
    checks: list[Check] = []
    for requirement in profile.requirements:
        overrides: dict[str, Any] = {}
        if requirement.id in use_case.thresholds:
            overrides["threshold"] = use_case.thresholds[requirement.id]
        if requirement.id in use_case.severities:
            overrides["severity"] = Severity(use_case.severities[requirement.id])
        req = requirement.model_copy(update=overrides) if overrides else requirement
        checks.extend(RULES[req.rule](ctx, req))
    checks = _apply_waivers(checks, use_case.waivers, today)
    verdict = verdict_of(checks)
    level, gaps = _band(checks)
    failing_blockers = [c for c in checks if c.failing and c.severity is Severity.BLOCKER]
    return Verdict(
        use_case=name,
        kind=use_case.kind,
        verdict=verdict,
        score=weighted_score(checks) or 0,
        blockers=tuple(_blocker_line(c) for c in failing_blockers),
        checks=tuple(checks),
        datasets=tuple(use_case.datasets),
        readiness_level=level,
        next_level_gaps=gaps,
        fixes=_ranked_fixes(checks) if verdict is not VerdictLevel.READY else (),
        description=use_case.description,
        owner=use_case.owner,
    )


def platform_fixes(verdicts: Sequence[Verdict]) -> tuple[dict[str, Any], ...]:
    """Per dataset: fixing all of its failing checks would unblock / improve which use cases."""
    by_dataset: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"unblocks": [], "improves": [], "fixes": {}}
    )
    for verdict in verdicts:
        datasets = {c.dataset for c in verdict.checks if c.failing and c.dataset}
        for dataset in datasets:
            fixed = [
                c.model_copy(update={"passed": True}) if c.failing and c.dataset == dataset else c
                for c in verdict.checks
            ]
            after = verdict_of(fixed)
            entry = by_dataset[dataset]
            if verdict.verdict is VerdictLevel.BLOCKED and after is not VerdictLevel.BLOCKED:
                entry["unblocks"].append(verdict.use_case)
            elif after.rank > verdict.verdict.rank:
                entry["improves"].append(verdict.use_case)
            for c in verdict.checks:
                if c.failing and c.dataset == dataset:
                    key = c.details.get("requirement", c.id)
                    entry["fixes"].setdefault(key, c.remediation or c.message)
    rows = [
        {
            "dataset": dataset,
            "fix": "; ".join(entry["fixes"].values()),
            "unblocks": sorted(entry["unblocks"]),
            "improves": sorted(entry["improves"]),
        }
        for dataset, entry in by_dataset.items()
        if entry["unblocks"] or entry["improves"]
    ]
    rows.sort(key=lambda r: (-len(r["unblocks"]), -len(r["improves"]), r["dataset"]))
    return tuple(rows)


def evaluate_all(
    config: Config,
    audits: Iterable[DatasetAudit],
    *,
    today: date,
    measures: dict[str, UseCaseMeasures] | None = None,
) -> tuple[list[Verdict], tuple[dict[str, Any], ...]]:
    by_name = {a.name: a for a in audits}
    measures = measures or {}
    verdicts = []
    for name in config.use_cases:
        missing = [d for d in config.use_cases[name].datasets if d not in by_name]
        for dataset in missing:  # never audited (e.g. its task failed): treat as unreachable
            by_name[dataset] = _not_audited(dataset, config)
        verdicts.append(evaluate_use_case(name, config, by_name, today=today, measures=measures.get(name)))
    return verdicts, platform_fixes(verdicts)


def _not_audited(name: str, config: Config) -> DatasetAudit:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return DatasetAudit(
        name=name,
        source=config.datasets[name].source,
        status=DatasetStatus.ERROR,
        reason="no audit result for this dataset in this run",
        scores={"discoverability": 0, "quality": 0, "lineage": 0},
        started_at=now,
        finished_at=now,
    )

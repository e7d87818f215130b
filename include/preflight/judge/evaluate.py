"""Evaluate use cases against their kind's requirements: verdict, score, band, fixes.

- verdict: ``blocked`` if a non-waived blocker fails, ``at_risk`` if a warning
  fails, else ``ready``;
- score: 0–100, inside the verdict's own range (blocked 0–49, at risk 50–79, ready
  80–100), placed by the weighted share of passing requirement checks, so a blocked use
  case never looks nearly ready (see :func:`verdict_score`);
- readiness band (after Lawrence's data-readiness levels): ``C`` when every band-C
  requirement passes (the data exists, is reachable and may be used), ``B`` when band B
  passes too (faithful: quality and representation), ``A`` when the kind's own band-A
  requirements pass as well; ``none`` below C. Info-severity checks never hold a band back.
- fixes: each failing check, ranked by how much fixing it alone would raise the verdict
  and the score; platform fixes: datasets whose fixes would unblock the most use cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from preflight.judge.evidence import EvidenceSet
from preflight.judge.kinds import load_kind
from preflight.judge.plan import cross_plan
from preflight.judge.rules import Need, Rule, RuleContext, builtin_rules
from preflight.model.config import Config, Waiver
from preflight.model.evidence import (
    CrossPlan,
    EventsPerEntity,
    Evidence,
    JoinCoverage,
    LabelBalance,
    LocaleCoverage,
)
from preflight.model.results import (
    Check,
    DatasetAudit,
    Severity,
    Verdict,
    VerdictLevel,
)
from preflight.model.scoring import weighted_score

__all__ = ["SCORE_RANGES", "evaluate_all", "evaluate_use_case", "platform_fixes", "verdict_of", "verdict_score"]

BANDS = ("C", "B", "A")
# Each verdict owns a range of scores: the score says the verdict first, progress second.
SCORE_RANGES = {VerdictLevel.BLOCKED: (0, 49), VerdictLevel.AT_RISK: (50, 79), VerdictLevel.READY: (80, 100)}


def verdict_of(checks: Iterable[Check]) -> VerdictLevel:
    failing = [c for c in checks if c.failing]
    if any(c.severity is Severity.BLOCKER for c in failing):
        return VerdictLevel.BLOCKED
    if any(c.severity is Severity.WARNING for c in failing):
        return VerdictLevel.AT_RISK
    return VerdictLevel.READY


def verdict_score(checks: Sequence[Check], verdict: VerdictLevel | None = None) -> int:
    """The score of ``checks``: the weighted share of passing checks, placed inside the
    verdict's range of :data:`SCORE_RANGES`."""
    verdict = verdict or verdict_of(checks)
    low, high = SCORE_RANGES[verdict]
    share = weighted_score(checks)
    return low + round((high - low) * (share if share is not None else 100) / 100)


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
    base_score = verdict_score(checks, base_verdict)
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
                "score_gain": verdict_score(fixed, after) - base_score,
                "verdict_after": after.value,
                "verdict_gain": after.rank - base_verdict.rank,
            }
        )
    fixes.sort(key=lambda f: (-f["verdict_gain"], Severity(f["severity"]).rank, -f["score_gain"], f["check_id"]))
    return tuple({"rank": n, **fix} for n, fix in enumerate(fixes, start=1))


def evaluate_use_case(
    name: str,
    config: Config,
    evidence: EvidenceSet,
    *,
    today: date,
    plan: CrossPlan | None = None,
    rules: Mapping[str, Rule] | None = None,
) -> Verdict:
    """The verdict of use case ``name`` on ``evidence``; ``today`` is the only clock."""
    use_case = config.use_cases[name]
    profile = load_kind(use_case.kind)
    plan = plan if plan is not None else cross_plan(config, name)
    rules = rules if rules is not None else builtin_rules()
    ctx = RuleContext(name=name, use_case=use_case, config=config, evidence=evidence, plan=plan, today=today)
    checks: list[Check] = []
    for requirement in profile.requirements:
        checks.extend(rules[requirement.rule](ctx, Need.of(requirement, name, use_case)))
    checks = _apply_waivers(checks, use_case.waivers, today)
    verdict = verdict_of(checks)
    level, gaps = _band(checks)
    failing_blockers = [c for c in checks if c.failing and c.severity is Severity.BLOCKER]
    return Verdict(
        use_case=name,
        kind=use_case.kind,
        verdict=verdict,
        score=verdict_score(checks, verdict),
        blockers=tuple(_blocker_line(c) for c in failing_blockers),
        checks=tuple(checks),
        datasets=tuple(use_case.datasets),
        readiness_level=level,
        next_level_gaps=gaps,
        fixes=_ranked_fixes(checks) if verdict is not VerdictLevel.READY else (),
        description=use_case.description,
        owner=use_case.owner,
        complete=all(d in evidence.audits for d in use_case.datasets),
        measured_at=min((a.started_at for a in evidence.audits.values()), default=None),
        evidence=tuple(_planned(evidence, plan)),  # type: ignore[arg-type]  # cross kinds are in AnyEvidence
    )


def _planned(evidence: EvidenceSet, plan: CrossPlan) -> list[Evidence[Any]]:
    """The cross-dataset records this verdict read, to store beside it."""
    records: list[Evidence[Any]] = []
    records += [evidence.get(JoinCoverage, j.source.dataset, source=j.source, target=j.target) for j in plan.joins]
    records += [evidence.get(EventsPerEntity, e.entity.dataset, entity=e.entity, min_events=e.min_events) for e in plan.events]
    records += [evidence.get(LocaleCoverage, r.dataset, column=r.column) for r in plan.locales]
    records += [evidence.get(LabelBalance, r.dataset, column=r.column) for r in plan.labels]
    return records


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
    cross: Iterable[Evidence[Any]] = (),
    use_cases: Iterable[str] | None = None,
) -> tuple[list[Verdict], tuple[dict[str, Any], ...]]:
    """Every use case of ``config`` (or of ``use_cases``) on the run's audits and
    cross-dataset evidence. A needed dataset with no audit reads "not audited in this run"
    to every requirement."""
    by_name = {a.name: a for a in audits}
    cross = list(cross)
    verdicts = []
    for name in use_cases if use_cases is not None else config.use_cases:
        use_case = config.use_cases[name]
        needed = {d: by_name[d] for d in use_case.datasets if d in by_name}
        evidence = EvidenceSet(needed, cross)
        verdicts.append(evaluate_use_case(name, config, evidence, today=today))
    return verdicts, platform_fixes(verdicts)

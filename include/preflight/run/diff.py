"""What changed between two audits: verdict flips, newly failing and newly fixed checks,
score changes with the checks that caused them, per use case and per dataset.

``preflight diff [RUN_A] [RUN_B]`` and the UI's changes page both call
:func:`diff_runs`; by default it compares the two newest finished runs (by start). A
check is matched across runs by its id (and, for use cases, the use case), so a renamed
requirement shows as one check fixed and another failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from preflight.errors import StoreError
from preflight.model.results import Check, DatasetAudit, RunResult, Verdict, check_status
from preflight.run.store import ResultsStore

__all__ = ["CheckChange", "DatasetDiff", "RunDiff", "UseCaseDiff", "diff_runs", "runs_to_compare"]


@dataclass(frozen=True)
class CheckChange:
    id: str
    before: str | None  # passed | failed | waived | None (absent)
    after: str | None
    severity: str
    message: str  # the newer message (or the older one if the check is gone)
    dataset: str | None = None
    measured: bool = True

    @property
    def newly_failing(self) -> bool:
        return self.after == "failed" and self.before != "failed"

    @property
    def newly_fixed(self) -> bool:
        return self.before == "failed" and self.after != "failed"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "before": self.before, "after": self.after, "severity": self.severity,
                "message": self.message, "dataset": self.dataset, "measured": self.measured}


def _check_changes(before: tuple[Check, ...], after: tuple[Check, ...]) -> list[CheckChange]:
    old = {c.id: c for c in before}
    new = {c.id: c for c in after}
    changes = []
    for check_id in sorted({*old, *new}):
        a, b = old.get(check_id), new.get(check_id)
        status_a = check_status(a) if a else None
        status_b = check_status(b) if b else None
        if status_a == status_b:
            continue
        latest = b or a
        assert latest is not None
        changes.append(
            CheckChange(check_id, status_a, status_b, latest.severity.value, latest.message, latest.dataset, latest.measured)
        )
    # Newly failing first (what to look at), then newly fixed, then the rest.
    return sorted(changes, key=lambda c: (not c.newly_failing, not c.newly_fixed, c.id))


@dataclass(frozen=True)
class UseCaseDiff:
    name: str
    verdict_before: str | None
    verdict_after: str | None
    score_before: int | None
    score_after: int | None
    band_before: str | None
    band_after: str | None
    checks: tuple[CheckChange, ...] = ()

    @property
    def flipped(self) -> bool:
        return self.verdict_before != self.verdict_after

    @property
    def score_change(self) -> int | None:
        if self.score_before is None or self.score_after is None:
            return None
        return self.score_after - self.score_before

    @property
    def changed(self) -> bool:
        return self.flipped or bool(self.score_change) or bool(self.checks) or self.band_before != self.band_after

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "verdict_before": self.verdict_before, "verdict_after": self.verdict_after,
            "score_before": self.score_before, "score_after": self.score_after, "score_change": self.score_change,
            "band_before": self.band_before, "band_after": self.band_after,
            "newly_failing": [c.as_dict() for c in self.checks if c.newly_failing],
            "newly_fixed": [c.as_dict() for c in self.checks if c.newly_fixed],
            "other_changes": [c.as_dict() for c in self.checks if not c.newly_failing and not c.newly_fixed],
        }


@dataclass(frozen=True)
class DatasetDiff:
    name: str
    status_before: str | None
    status_after: str | None
    scores_before: dict[str, int] = field(default_factory=dict)
    scores_after: dict[str, int] = field(default_factory=dict)
    checks: tuple[CheckChange, ...] = ()

    @property
    def score_changes(self) -> dict[str, int]:
        return {
            k: self.scores_after.get(k, 0) - self.scores_before.get(k, 0)
            for k in sorted({*self.scores_before, *self.scores_after})
            if self.scores_after.get(k) != self.scores_before.get(k)
        }

    @property
    def changed(self) -> bool:
        return self.status_before != self.status_after or bool(self.checks) or bool(self.score_changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "status_before": self.status_before, "status_after": self.status_after,
            "score_changes": self.score_changes,
            "newly_failing": [c.as_dict() for c in self.checks if c.newly_failing],
            "newly_fixed": [c.as_dict() for c in self.checks if c.newly_fixed],
            "other_changes": [c.as_dict() for c in self.checks if not c.newly_failing and not c.newly_fixed],
        }


@dataclass(frozen=True)
class RunDiff:
    before: str
    after: str
    use_cases: tuple[UseCaseDiff, ...]
    datasets: tuple[DatasetDiff, ...]

    @property
    def changed(self) -> bool:
        return any(u.changed for u in self.use_cases) or any(d.changed for d in self.datasets)

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "changed": self.changed,
            "use_cases": [u.as_dict() for u in self.use_cases if u.changed],
            "datasets": [d.as_dict() for d in self.datasets if d.changed],
        }


def _use_case(name: str, a: Verdict | None, b: Verdict | None) -> UseCaseDiff:
    return UseCaseDiff(
        name,
        a.verdict.value if a else None,
        b.verdict.value if b else None,
        a.score if a else None,
        b.score if b else None,
        a.readiness_level if a else None,
        b.readiness_level if b else None,
        tuple(_check_changes(a.checks if a else (), b.checks if b else ())),
    )


def _dataset(name: str, a: DatasetAudit | None, b: DatasetAudit | None) -> DatasetDiff:
    return DatasetDiff(
        name,
        a.status.value if a else None,
        b.status.value if b else None,
        dict(a.scores) if a else {},
        dict(b.scores) if b else {},
        tuple(_check_changes(a.checks if a else (), b.checks if b else ())),
    )


def diff(before: RunResult, after: RunResult) -> RunDiff:
    """The changes from ``before`` to ``after``."""
    verdicts_a = {v.use_case: v for v in before.use_cases}
    verdicts_b = {v.use_case: v for v in after.use_cases}
    audits_a = {a.name: a for a in before.datasets}
    audits_b = {a.name: a for a in after.datasets}
    use_cases = tuple(_use_case(n, verdicts_a.get(n), verdicts_b.get(n)) for n in sorted({*verdicts_a, *verdicts_b}))
    datasets = tuple(_dataset(n, audits_a.get(n), audits_b.get(n)) for n in sorted({*audits_a, *audits_b}))
    # Flips first, then the largest score moves.
    use_cases = tuple(sorted(use_cases, key=lambda u: (not u.flipped, -abs(u.score_change or 0), u.name)))
    return RunDiff(before.run_id, after.run_id, use_cases, datasets)


def runs_to_compare(store: ResultsStore, run_a: str | None = None, run_b: str | None = None) -> tuple[str, str]:
    """(older, newer): the given runs, else the newest finished run and the one before it
    (or before ``run_b``)."""
    if run_a and run_b:
        return run_a, run_b
    finished = store.finished_run_ids()
    if run_b is None and run_a is not None:
        newer = [r for r in finished if r != run_a]
        if not newer:
            raise StoreError(f"no other finished run to compare {run_a!r} with")
        return run_a, newer[0]
    anchor = run_b or (finished[0] if finished else None)
    if anchor is None:
        raise StoreError("no finished audit in the results store yet: run `preflight audit` first")
    earlier = finished[finished.index(anchor) + 1 :] if anchor in finished else []
    if not earlier:
        raise StoreError(f"no finished run before {anchor!r} to compare with")
    return earlier[0], anchor


def diff_runs(store: ResultsStore, run_a: str | None = None, run_b: str | None = None) -> RunDiff:
    older, newer = runs_to_compare(store, run_a, run_b)
    return diff(store.load_run(older), store.load_run(newer))

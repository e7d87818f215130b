"""What each page shows, read from the results store and shaped for its template.

No judgement happens here: verdicts, scores, bands, fixes and checks are exactly what
the audit stored. This module only orders, groups and pairs them with history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from preflight.model.results import Check, DatasetAudit, RunResult, Verdict
from preflight.run.readable import (
    UseCaseLink,
    check_state,
    failing_first,
    first_blocker,
    use_case_links,
)
from preflight.run.store import ResultsStore
from preflight.ui.charts import LineageGraph, TrendChart, lineage_graph, trend_chart

__all__ = [
    "DatasetView",
    "UseCaseRow",
    "UseCaseView",
    "dataset_view",
    "is_airflow_run",
    "dataset_users",
    "overview_rows",
    "use_case_view",
]

# Check groups in reading order; dimensions not listed follow alphabetically.
DIMENSION_ORDER = (
    "access",
    "quality",
    "discoverability",
    "lineage",
    "privacy",
    "content",
    "history",
)
DIMENSION_TITLES = {
    "access": "Access",
    "quality": "Quality",
    "discoverability": "Discoverability",
    "lineage": "Lineage",
    "privacy": "Privacy",
    "content": "Text fitness",
    "history": "History",
}


def is_airflow_run(run_id: str) -> bool:
    """Runs started by the CLI are named ``cli__…``; every other run id is a DAG run's."""
    return not run_id.startswith("cli__")


def _previous(history: list[dict[str, Any]], run_id: str) -> dict[str, Any] | None:
    """The audit before ``run_id`` in a use case's history (oldest first)."""
    index = next((i for i, row in enumerate(history) if row["run_id"] == run_id), len(history))
    return history[index - 1] if index > 0 else None


# --------------------------------------------------------------------------- overview


@dataclass(frozen=True)
class UseCaseRow:
    verdict: Verdict
    previous: dict[str, Any] | None
    audited_at: datetime | None

    @property
    def headline(self) -> str | None:
        """The first blocker's message (without its fix), else the top-ranked fix's."""
        blocker = first_blocker(self.verdict)
        if blocker is not None:
            return blocker.message
        if self.verdict.blockers:
            return self.verdict.blockers[0]
        return str(self.verdict.fixes[0].get("message")) if self.verdict.fixes else None

    @property
    def delta(self) -> int | None:
        return (
            None if self.previous is None else self.verdict.score - int(self.previous["score"] or 0)
        )

    @property
    def verdict_changed(self) -> bool:
        return self.previous is not None and self.previous["verdict"] != self.verdict.verdict.value


def overview_rows(run: RunResult, store: ResultsStore) -> list[UseCaseRow]:
    rows = []
    for verdict in run.use_cases:
        history = store.use_case_history(verdict.use_case)
        this = next((row for row in history if row["run_id"] == run.run_id), None)
        audited_at = this["decided_at"] if this else run.finished_at
        rows.append(UseCaseRow(verdict, _previous(history, run.run_id), audited_at))
    order = {"blocked": 0, "at_risk": 1, "ready": 2}
    rows.sort(key=lambda r: (order.get(r.verdict.verdict.value, 3), r.verdict.use_case))
    return rows


def dataset_users(run: RunResult) -> dict[str, list[str]]:
    """Dataset name → the use cases (of this run) that read it."""
    users: dict[str, list[str]] = {}
    for verdict in run.use_cases:
        for dataset in verdict.datasets:
            users.setdefault(dataset, []).append(verdict.use_case)
    return users


# --------------------------------------------------------------------------- use case


@dataclass(frozen=True)
class Blocker:
    check: Check | None
    text: str  # the verdict's own blocker line (message — fix: remediation)


@dataclass(frozen=True)
class UseCaseView:
    verdict: Verdict
    blockers: tuple[Blocker, ...]
    checks: tuple[Check, ...]  # failing first
    counts: dict[str, int]  # not_measured / failed / waived / passed
    datasets: tuple[DatasetAudit | str, ...]  # the audit, or just the name if it was not audited
    history: list[dict[str, Any]]
    previous: dict[str, Any] | None
    trend: TrendChart | None


def use_case_view(run: RunResult, store: ResultsStore, name: str) -> UseCaseView | None:
    verdict = next((v for v in run.use_cases if v.use_case == name), None)
    if verdict is None:
        return None
    failing_blockers = [c for c in verdict.checks if c.failing and c.severity.value == "blocker"]
    # The verdict's blocker lines are authoritative; pair each with its check for the
    # dataset and remediation where they line up one to one (as the evaluator writes them).
    if len(failing_blockers) == len(verdict.blockers):
        blockers = tuple(
            Blocker(c, line) for c, line in zip(failing_blockers, verdict.blockers, strict=True)
        )
    else:
        blockers = tuple(Blocker(None, line) for line in verdict.blockers)
    counts = {"not_measured": 0, "failed": 0, "waived": 0, "passed": 0}
    for check in verdict.checks:
        counts[check_state(check)] += 1
    audits = {a.name: a for a in run.datasets}
    history = store.use_case_history(name)
    return UseCaseView(
        verdict=verdict,
        blockers=blockers,
        checks=tuple(failing_first(verdict.checks)),
        counts=counts,
        datasets=tuple(audits.get(d, d) for d in verdict.datasets),
        history=history,
        previous=_previous(history, run.run_id),
        trend=trend_chart(history, current_run=run.run_id) if history else None,
    )


# --------------------------------------------------------------------------- dataset


@dataclass(frozen=True)
class CheckGroup:
    dimension: str
    title: str
    score: int | None
    checks: tuple[Check, ...]
    failing: int
    subgroups: tuple[tuple[str, tuple[Check, ...]], ...]  # (heading, checks), e.g. the GX suite


@dataclass(frozen=True)
class DatasetView:
    audit: DatasetAudit
    groups: tuple[CheckGroup, ...]
    used_by: tuple[Verdict, ...]
    lineage: dict[str, Any] | None
    graph: LineageGraph | None
    history: list[DatasetAudit]
    # (dataset, check id) -> the use-case requirements judged from that check
    links: dict[tuple[str, str], list[UseCaseLink]]


def _subgroups(dimension: str, checks: list[Check]) -> tuple[tuple[str, tuple[Check, ...]], ...]:
    if dimension != "quality":
        return (("", tuple(checks)),)
    gx = [c for c in checks if c.id.startswith("quality.gx.")]
    builtin = [c for c in checks if not c.id.startswith("quality.gx.")]
    groups = []
    if builtin:
        groups.append(("Built-in quality checks", tuple(builtin)))
    if gx:
        groups.append(("Great Expectations suite", tuple(gx)))
    return tuple(groups)


def dataset_view(run: RunResult, store: ResultsStore, name: str) -> DatasetView | None:
    audit = next((a for a in run.datasets if a.name == name), None)
    if audit is None:
        return None
    by_dimension: dict[str, list[Check]] = {}
    for check in failing_first(audit.checks):
        by_dimension.setdefault(check.dimension.value, []).append(check)
    ordered = sorted(
        by_dimension,
        key=lambda d: (
            DIMENSION_ORDER.index(d) if d in DIMENSION_ORDER else len(DIMENSION_ORDER),
            d,
        ),
    )
    groups = tuple(
        CheckGroup(
            dimension=d,
            title=DIMENSION_TITLES.get(d, d.replace("_", " ").capitalize()),
            score=audit.scores.get(d),
            checks=tuple(by_dimension[d]),
            failing=sum(1 for c in by_dimension[d] if c.failing),
            subgroups=_subgroups(d, by_dimension[d]),
        )
        for d in ordered
    )
    lineage = audit.facts.get("lineage")
    lineage = lineage if isinstance(lineage, dict) else None
    return DatasetView(
        audit=audit,
        groups=groups,
        used_by=tuple(v for v in run.use_cases if name in v.datasets),
        lineage=lineage,
        graph=lineage_graph(name, lineage),
        history=store.dataset_history(name, before=run.run_id, limit=10),
        links=use_case_links(run),
    )

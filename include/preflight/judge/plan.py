"""What a use case needs measured across datasets, planned from configuration alone.

The plan is the one answer to "which joins, entity counts, locales and labels does this
use case need?": the run measures exactly it before judging, and the rules read the
evidence it names, so a measurement that was planned and is missing reads "not measured".
Declared ``cross_checks`` come first; a kind may derive more from its data with a
requirement parameter (``derive_from_role: events``: every catalog related key of the
use case's ``events`` datasets that references another of its datasets).
"""

from __future__ import annotations

from preflight.judge.kinds import load_kind
from preflight.model.config import Config, KeyRef
from preflight.model.evidence import (
    CrossPlan,
    EventsRequest,
    JoinRequest,
    LabelRequest,
    LocaleRequest,
)

__all__ = ["cross_plan"]

_JOIN_DEFAULT = 0.99
_EVENTS_DEFAULT = (3, 0.8)  # min events per entity, min share of entities with enough


def _derived_keys(config: Config, use_case_name: str, role: str) -> list[tuple[KeyRef, KeyRef]]:
    use_case = config.use_cases[use_case_name]
    found = []
    for name, needs in use_case.datasets.items():
        if needs.role != role:
            continue
        for key in config.datasets[name].related_keys:
            if key.ref_dataset in use_case.datasets:
                found.append((KeyRef(dataset=name, columns=key.columns), key.references))
    return found


def cross_plan(config: Config, use_case_name: str) -> CrossPlan:
    use_case = config.use_cases[use_case_name]
    kind = load_kind(use_case.kind)
    joins: dict[tuple[KeyRef, KeyRef], JoinRequest] = {}
    events: dict[KeyRef, EventsRequest] = {}
    for cross in use_case.cross_checks:
        if cross.type == "join_coverage" and cross.target is not None:
            joins[(cross.source, cross.target)] = JoinRequest(
                source=cross.source, target=cross.target, min_coverage=cross.min_coverage
            )
        elif cross.type == "events_per_entity":
            events[cross.source] = EventsRequest(
                entity=cross.source, min_events=cross.min_events, min_share=cross.min_share
            )
    declared_joins = {source for source, _ in joins}
    for requirement in kind.requirements:
        role = requirement.params.get("derive_from_role")
        if not role:
            continue
        for source, target in _derived_keys(config, use_case_name, role):
            if requirement.rule == "join_coverage" and source not in declared_joins:
                joins.setdefault((source, target), JoinRequest(source=source, target=target, min_coverage=_JOIN_DEFAULT))
            if requirement.rule == "events_per_entity" and source not in events:
                events[source] = EventsRequest(entity=source, min_events=_EVENTS_DEFAULT[0], min_share=_EVENTS_DEFAULT[1])

    coverage = next((r for r in kind.requirements if r.rule == "locale_coverage"), None)
    base_role = coverage.params.get("base_role") if coverage else None
    base = next((n for n, needs in use_case.datasets.items() if base_role and needs.role == base_role), None)
    locales = tuple(
        LocaleRequest(dataset=name, column=needs.locale_column, targets=use_case.target_locales, base=base)
        for name, needs in use_case.datasets.items()
        if needs.locale_column
    )
    labels = tuple(
        LabelRequest(dataset=name, column=needs.label_column)
        for name, needs in use_case.datasets.items()
        if needs.label_column
    )
    return CrossPlan(joins=tuple(joins.values()), events=tuple(events.values()), locales=locales, labels=labels)

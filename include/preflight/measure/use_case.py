"""Measurements across datasets that a use case needs and no single dataset audit has.

Join-key coverage (events → items), events per entity, locale codes and coverage,
label balance: each is one aggregate query on SQLAlchemy Core over reflected tables
(quoted identifiers), keys composite or not. What to measure comes from the use case's
:class:`~preflight.model.evidence.CrossPlan` (planned by ``preflight.judge.plan``); what
comes back is typed evidence. A query that cannot run is evidence *not measured*, with
a safe reason, never a silent gap and never an exception that stops the run.

Join coverage is set-based (never a correlated subquery per row), in the query shape
each engine runs fastest, with or without an index on either side: the engine seam
chooses it (:mod:`preflight.engines.coverage`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa

from preflight.engines import engine_for_dataset, safe_reason, spec_for
from preflight.errors import PreflightError
from preflight.measure.profile import reflect_table
from preflight.model.config import Config, KeyRef
from preflight.model.evidence import (
    CrossPlan,
    EventsFigures,
    EventsPerEntity,
    Evidence,
    JoinCoverage,
    JoinFigures,
    LabelBalance,
    LabelFigures,
    LocaleCoverage,
    LocaleFigures,
    LocaleRequest,
)

__all__ = ["LOCALE_CODE", "measure_cross"]

log = logging.getLogger(__name__)

# BCP 47 in the shape localisation pipelines use: language[-Script][-REGION].
LOCALE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")

E = TypeVar("E", bound=Evidence[Any])


def _table(config: Config, dataset: str) -> tuple[sa.Engine, sa.Table]:
    entry = config.datasets[dataset]
    engine = engine_for_dataset(config, dataset)
    return engine, reflect_table(engine, entry.table, entry.schema_name)


def _columns(table: sa.FromClause, key: KeyRef) -> list[sa.ColumnElement[Any]]:
    missing = [c for c in key.columns if c not in table.c]
    if missing:
        raise LookupError(f"{key.dataset} has no column {missing[0]!r}")
    return [table.c[c] for c in key.columns]


def _join_coverage(config: Config, source: KeyRef, target: KeyRef) -> JoinFigures:
    if config.datasets[source.dataset].source != config.datasets[target.dataset].source:
        raise LookupError("the two datasets live in different sources; coverage cannot be joined in SQL")
    engine, child = _table(config, source.dataset)
    _, parent_table = _table(config, target.dataset)
    parent = parent_table.alias("parent")  # a self-reference joins the table to itself
    child_keys, parent_cols = _columns(child, source), _columns(parent, target)
    # Each engine runs the shape it runs fastest (see preflight.engines.coverage).
    query = spec_for(engine).join_coverage(child, child_keys, parent_cols)
    with engine.connect() as conn:
        rows, matched = conn.execute(query).one()
    return JoinFigures(rows=int(rows), matched=int(matched))


def _events_per_entity(config: Config, entity: KeyRef, min_events: int) -> EventsFigures:
    engine, table = _table(config, entity.dataset)
    keys = _columns(table, entity)
    per_key = (
        sa.select(sa.func.count().label("n"))
        .where(*(key.is_not(None) for key in keys))
        .group_by(*keys)
        .subquery()
    )
    query = sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((per_key.c.n >= min_events, 1), else_=0)), 0),
        sa.func.min(per_key.c.n),
        sa.func.avg(sa.cast(per_key.c.n, sa.Double)),
    )
    with engine.connect() as conn:
        entities, enough, fewest, mean = conn.execute(query).one()
    return EventsFigures(
        entities=int(entities),
        with_enough=int(enough),
        fewest=int(fewest) if fewest is not None else None,
        mean=round(float(mean), 2) if mean is not None else None,
    )


def _locales(config: Config, request: LocaleRequest, base_rows: int | None) -> LocaleFigures:
    engine, table = _table(config, request.dataset)
    locale = table.c[request.column]
    related = next(iter(config.datasets[request.dataset].related_keys), None)
    if related is not None:
        # Items per locale: distinct related keys (e.g. articles translated), composite or not.
        keys = _columns(table, KeyRef(dataset=request.dataset, columns=related.columns))
        per_item = sa.select(locale.label("loc"), *keys).where(locale.is_not(None)).distinct().subquery()
        query = sa.select(per_item.c.loc, sa.func.count()).group_by(per_item.c.loc)
        per = related.label
    else:
        query = sa.select(locale, sa.func.count()).where(locale.is_not(None)).group_by(locale)
        per = "row"
    with engine.connect() as conn:
        counts = {str(value): int(n) for value, n in conn.execute(query)}
    invalid = tuple(sorted(code for code in counts if not LOCALE_CODE.match(code)))
    items = base_rows if base_rows else max(counts.values(), default=0)
    return LocaleFigures(per_locale=counts, invalid=invalid, items=items, per=per)


def _labels(config: Config, dataset: str, column: str) -> LabelFigures:
    engine, table = _table(config, dataset)
    label = table.c[column]
    query = sa.select(label, sa.func.count()).where(label.is_not(None)).group_by(label)
    with engine.connect() as conn:
        return LabelFigures(classes={str(v): int(n) for v, n in conn.execute(query)})


def _measured(kind: type[E], what: str, about: dict[str, Any], measure: Callable[[], Any]) -> E:
    """``kind`` with the figures ``measure()`` returns, or not measured with a safe reason."""
    try:
        return kind.model_validate({**about, "figures": measure()})
    except PreflightError as exc:  # a source that cannot be opened, a missing table
        reason = str(exc)
    except LookupError as exc:  # a missing column, datasets in different sources
        reason = str(exc.args[0]) if exc.args else type(exc).__name__
    except sa.exc.SQLAlchemyError as exc:  # the query failed or timed out
        reason = safe_reason(exc)
    log.warning("could not measure %s: %s", what, reason)
    return kind.model_validate({**about, "reason": f"could not measure {what}: {reason}"})


def measure_cross(
    config: Config, plan: CrossPlan, *, row_counts: Mapping[str, int | None] | None = None
) -> list[Evidence[Any]]:
    """Every measurement of ``plan``, as evidence (``row_counts``: the run's audited
    datasets, for locale coverage over the source texts)."""
    row_counts = row_counts or {}
    found: list[Evidence[Any]] = []
    for join in plan.joins:
        about = {"dataset": join.source.dataset, "source": join.source, "target": join.target}
        found.append(
            _measured(
                JoinCoverage, f"{join.source} → {join.target}", about,
                lambda j=join: _join_coverage(config, j.source, j.target),  # type: ignore[misc]
            )
        )
    for events in plan.events:
        about = {"dataset": events.entity.dataset, "entity": events.entity, "min_events": events.min_events}
        found.append(
            _measured(
                EventsPerEntity, f"events per {events.entity}", about,
                lambda e=events: _events_per_entity(config, e.entity, e.min_events),  # type: ignore[misc]
            )
        )
    for locale in plan.locales:
        about = {"dataset": locale.dataset, "column": locale.column}
        base_rows = row_counts.get(locale.base) if locale.base else None
        if locale.base and base_rows is None:
            found.append(
                LocaleCoverage(
                    dataset=locale.dataset,
                    column=locale.column,
                    reason=f"{locale.base}, whose items the coverage counts, could not be read",
                )
            )
            continue
        found.append(
            _measured(
                LocaleCoverage, f"locales of {locale.dataset}", about,
                lambda r=locale, b=base_rows: _locales(config, r, b),  # type: ignore[misc]
            )
        )
    for labels in plan.labels:
        about = {"dataset": labels.dataset, "column": labels.column}
        found.append(
            _measured(
                LabelBalance, f"labels of {labels.dataset}", about,
                lambda r=labels: _labels(config, r.dataset, r.column),  # type: ignore[misc]
            )
        )
    return found

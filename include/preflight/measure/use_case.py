"""Measurements across datasets that a use case needs and no single dataset audit has.

Join-key coverage (events → items), events per entity, locale codes and coverage,
label balance. Each is one aggregate query on SQLAlchemy Core (quoted identifiers),
run once per use case when the run is evaluated. A query that cannot run becomes a
measurement with an ``error``, which the requirement rules report as a failed check.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from preflight.engines import db_reason, engine_for_dataset
from preflight.model.config import Config, CrossCheck, UseCaseConfig

__all__ = ["LOCALE_CODE", "UseCaseMeasures", "measure_use_case"]

log = logging.getLogger(__name__)

# BCP 47 in the shape localisation pipelines use: language[-Script][-REGION].
LOCALE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")


@dataclass
class UseCaseMeasures:
    """Measurements keyed by what they are about; every value is JSON-friendly."""

    joins: list[dict[str, Any]] = field(default_factory=list)
    events_per_entity: list[dict[str, Any]] = field(default_factory=list)
    locales: dict[str, dict[str, Any]] = field(default_factory=dict)  # dataset -> measurement
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # dataset -> measurement


def _table(config: Config, dataset: str) -> tuple[sa.Engine, sa.Table]:
    entry = config.datasets[dataset]
    engine = engine_for_dataset(config, dataset)
    return engine, sa.Table(entry.table, sa.MetaData(), schema=entry.schema_name, autoload_with=engine)


def _join_coverage(config: Config, source: str, target: str) -> dict[str, Any]:
    (src_ds, src_col), (dst_ds, dst_col) = source.split("."), target.split(".")
    result: dict[str, Any] = {"from": source, "to": target}
    if config.datasets[src_ds].source != config.datasets[dst_ds].source:
        result["error"] = "the two datasets live in different sources; coverage cannot be joined in SQL"
        return result
    engine, child = _table(config, src_ds)
    _, parent = _table(config, dst_ds)
    fk, key = child.c[src_col], parent.c[dst_col]
    matched = sa.exists().where(key == fk)
    query = sa.select(
        sa.func.count(fk),
        sa.func.coalesce(sa.func.sum(sa.case((matched, 1), else_=0)), 0),
    ).where(fk.is_not(None))
    with engine.connect() as conn:
        total, found = conn.execute(query).one()
    total, found = int(total), int(found)
    result.update(rows=total, matched=found, coverage=(found / total) if total else 1.0)
    return result


def _events_per_entity(config: Config, source: str, min_events: int) -> dict[str, Any]:
    dataset, column = source.split(".")
    engine, table = _table(config, dataset)
    key = table.c[column]
    per_key = sa.select(key.label("k"), sa.func.count().label("n")).where(key.is_not(None)).group_by(key).subquery()
    query = sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((per_key.c.n >= min_events, 1), else_=0)), 0),
        sa.func.min(per_key.c.n),
        sa.func.avg(per_key.c.n),
    )
    with engine.connect() as conn:
        entities, enough, fewest, mean = conn.execute(query).one()
    entities, enough = int(entities), int(enough)
    return {
        "key": source,
        "min_events": min_events,
        "entities": entities,
        "with_enough": enough,
        "share": (enough / entities) if entities else 0.0,
        "fewest": int(fewest) if fewest is not None else None,
        "mean": round(float(mean), 2) if mean is not None else None,
    }


def _locales(config: Config, dataset: str, column: str, targets: tuple[str, ...], source_rows: int | None) -> dict[str, Any]:
    engine, table = _table(config, dataset)
    locale = table.c[column]
    related = next((k for k in config.datasets[dataset].related_keys), None)
    counted = sa.func.count(sa.distinct(table.c[related.column])) if related else sa.func.count()
    query = sa.select(locale, counted).where(locale.is_not(None)).group_by(locale)
    with engine.connect() as conn:
        rows = {str(value): int(n) for value, n in conn.execute(query)}
    invalid = sorted(code for code in rows if not LOCALE_CODE.match(code))
    base = source_rows or max(rows.values(), default=0)
    coverage = {code: (rows.get(code, 0) / base if base else 0.0) for code in targets}
    return {
        "column": f"{dataset}.{column}",
        "per_locale": rows,
        "invalid": invalid,
        "coverage": coverage,
        "items": base,
        "per": related.column if related else "row",
    }


def _labels(config: Config, dataset: str, column: str) -> dict[str, Any]:
    engine, table = _table(config, dataset)
    label = table.c[column]
    with engine.connect() as conn:
        counts = {str(v): int(n) for v, n in conn.execute(sa.select(label, sa.func.count()).where(label.is_not(None)).group_by(label))}
    total = sum(counts.values())
    return {
        "column": f"{dataset}.{column}",
        "classes": counts,
        "smallest_share": (min(counts.values()) / total) if total else 0.0,
    }


def _guarded(what: str, func: Any, *args: Any) -> dict[str, Any]:
    try:
        return func(*args)
    except Exception as exc:  # one bad measurement is a failed check, not a failed run
        log.warning("could not measure %s: %s", what, type(exc).__name__)
        return {"error": f"could not measure {what}: {db_reason(exc, None)}"}


def _derived_cross_checks(config: Config, use_case: UseCaseConfig) -> list[CrossCheck]:
    """Recommendation use cases get join coverage and events-per-entity for every key of their
    events dataset that references another dataset of the use case, unless declared."""
    if use_case.kind != "recommendation":
        return []
    declared = {(c.type, c.source) for c in use_case.cross_checks}
    derived = []
    for name, needs in use_case.datasets.items():
        if needs.role != "events":
            continue
        for key in config.datasets[name].related_keys:
            if key.ref_dataset not in use_case.datasets:
                continue
            source = f"{name}.{key.column}"
            if ("join_coverage", source) not in declared:
                derived.append(CrossCheck.model_validate({"type": "join_coverage", "from": source, "to": key.references}))
            if ("events_per_entity", source) not in declared:
                derived.append(CrossCheck.model_validate({"type": "events_per_entity", "from": source}))
    return derived


def measure_use_case(config: Config, name: str, *, row_counts: dict[str, int | None] | None = None) -> UseCaseMeasures:
    use_case = config.use_cases[name]
    row_counts = row_counts or {}
    measures = UseCaseMeasures()
    for cross in (*use_case.cross_checks, *_derived_cross_checks(config, use_case)):
        if cross.type == "join_coverage":
            found = _guarded(f"{cross.source} → {cross.target}", _join_coverage, config, cross.source, cross.target)
            measures.joins.append({"from": cross.source, "to": cross.target, "min_coverage": cross.min_coverage, **found})
        else:
            found = _guarded(f"events per {cross.source}", _events_per_entity, config, cross.source, cross.min_events)
            measures.events_per_entity.append(
                {"key": cross.source, "min_events": cross.min_events, "min_share": cross.min_share, **found}
            )
    sources = [d for d, needs in use_case.datasets.items() if needs.role == "source_text"]
    for dataset, needs in use_case.datasets.items():
        if needs.locale_column:
            source_rows = row_counts.get(sources[0]) if sources else None
            measures.locales[dataset] = _guarded(
                f"locales of {dataset}", _locales, config, dataset, needs.locale_column, use_case.target_locales, source_rows
            )
        if needs.label_column:
            measures.labels[dataset] = _guarded(f"labels of {dataset}", _labels, config, dataset, needs.label_column)
    return measures

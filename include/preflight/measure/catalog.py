"""The catalog held against the sources: every column the configuration names must exist.

``preflight validate`` calls :func:`check_columns` after the configuration loaded. Each
dataset's table is reflected (one read-only, time-bounded connection per source); every
column a catalog entry or a use case names is looked up, and a misspelt one becomes a
:class:`~preflight.errors.ConfigError` naming the file, the field and the closest real
column. A source or table that cannot be read is a note, not an error: the audit will
report it as unreachable, and nothing was proven wrong with the configuration.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from preflight.engines.connect import engine_for
from preflight.engines.reasons import safe_reason
from preflight.errors import ConfigError, PreflightError, did_you_mean
from preflight.measure.profile import reflect_table
from preflight.model.config import Config, DatasetConfig

__all__ = ["check_columns"]


def _dataset_columns(entry: DatasetConfig) -> Iterator[tuple[str, str]]:
    """(field, column) for every column a catalog entry names."""
    yield from (("primary_key", c) for c in entry.primary_key)
    yield from (("unique_columns", c) for c in entry.unique_columns)
    yield from (("required_columns", c) for c in entry.required_columns)
    yield from (("text_columns", c) for c in entry.text_columns)
    if entry.freshness:
        yield "freshness.column", entry.freshness.column
    if entry.access_label_column:
        yield "access_label_column", entry.access_label_column
    for section in ("accepted_values", "ranges", "patterns", "columns", "column_descriptions"):
        yield from ((f"{section}.{c}", c) for c in getattr(entry, section))
    for i, key in enumerate(entry.related_keys):
        yield from ((f"related_keys.{i}.columns", c) for c in key.columns)


def check_columns(config: Config) -> tuple[list[ConfigError], list[str]]:
    """(problems, notes): columns the configuration names that the tables lack, and the
    datasets that could not be checked (with why)."""
    problems: list[ConfigError] = []
    notes: list[str] = []
    tables: dict[str, set[str] | None] = {}
    for name, entry in config.datasets.items():
        try:
            engine = engine_for(config.sources[entry.source])
            tables[name] = {str(c.name) for c in reflect_table(engine, entry.table, entry.schema_name).columns}
        except (PreflightError, sa.exc.SQLAlchemyError) as exc:
            reason = str(exc) if isinstance(exc, PreflightError) else safe_reason(exc)
            notes.append(f"datasets.{name}: columns not checked: {reason}")
            tables[name] = None

    def missing(dataset: str, column: str, *, file: str, field: str) -> None:
        known = tables.get(dataset)
        if known is not None and column not in known:
            problems.append(
                ConfigError(f"{dataset} has no column {column!r}{did_you_mean(column, known)}", file=file, field=field)
            )

    for name, entry in config.datasets.items():
        file = config.origin("datasets", name)
        for field, column in _dataset_columns(entry):
            missing(name, column, file=file, field=f"datasets.{name}.{field}")
        for i, key in enumerate(entry.related_keys):
            for column in key.references.columns:
                missing(key.ref_dataset, column, file=file, field=f"datasets.{name}.related_keys.{i}.references")
    for name, use_case in config.use_cases.items():
        file = config.origin("use_cases", name)
        for dataset, needs in use_case.datasets.items():
            where = f"use_cases.{name}.datasets.{dataset}"
            for column in needs.columns:
                missing(dataset, column, file=file, field=f"{where}.columns")
            for field in ("locale_column", "label_column"):
                if (column := getattr(needs, field)) is not None:
                    missing(dataset, column, file=file, field=f"{where}.{field}")
        for i, cross in enumerate(use_case.cross_checks):
            for end, ref in (("from", cross.source), ("to", cross.target)):
                if ref is None:
                    continue
                for column in ref.columns:
                    missing(ref.dataset, column, file=file, field=f"use_cases.{name}.cross_checks.{i}.{end}")
    return problems, notes

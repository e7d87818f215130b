"""Built-in quality checks along the DAMA dimensions, and the evidence they record.

Completeness, single-column uniqueness and timeliness come straight from the one-pass
profile; validity rules are batched into one aggregate statement per dataset; composite
keys and related-key consistency need one query each. All SQL is SQLAlchemy Core on
reflected tables: identifiers are quoted by the dialect.

Evidence recorded (see :mod:`preflight.model.evidence`): :class:`KeyUniqueness` per key
(the primary key, composite or not, and each unique column), :class:`Freshness` for the
declared freshness column, and a :class:`RuleResult` per validity, volume, consistency
and schema rule. A rule whose query fails is recorded *not measured* with a safe reason,
and its check fails; the other rules still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from preflight.engines.reasons import safe_reason
from preflight.measure.profile import codepoint_text, column_kind, reflect_table
from preflight.measure.registry import ProbeContext, probe
from preflight.model.config import DatasetConfig, RelatedKey
from preflight.model.evidence import (
    Freshness,
    FreshnessFigures,
    KeyFigures,
    KeyUniqueness,
    RuleResult,
)
from preflight.model.results import Check, Dimension, Severity, TableProfile

__all__ = ["PROBES", "as_utc", "null_ratio", "type_family"]

Q = Dimension.QUALITY


def null_ratio(profile: TableProfile, column: str) -> float | None:
    col = profile.column(column)
    if col is None:
        return None
    return col.null_count / profile.row_count if profile.row_count else 0.0


def as_utc(value: Any) -> datetime | None:
    """A profile's newest value as an aware UTC datetime (naive values are UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _table(ctx: ProbeContext) -> sa.Table:
    """The dataset's table, reflected once per audit with quoted identifiers."""
    cached = ctx.cache.get("table")
    if cached is None:
        cached = reflect_table(ctx.engine, ctx.dataset.table, ctx.dataset.schema_name)
        ctx.cache["table"] = cached
    return cached


def _reason(ctx: ProbeContext, exc: BaseException, *names: str) -> str:
    secrets = [ctx.engine.url.password] if ctx.engine.url.password else []
    return safe_reason(exc, secrets=secrets, names=[ctx.dataset.table, *names])


def _missing_column(ctx: ProbeContext, check_id: str, column: str, why: str) -> Check:
    return Check(
        id=check_id,
        dimension=Q,
        severity=Severity.WARNING,
        passed=False,
        dataset=ctx.name,
        column=column,
        observed="column missing",
        expected=f"column {column!r}",
        message=f"{ctx.name}.{column} is declared as {why} but the table has no such column",
        remediation=f"fix datasets.{ctx.name} in the catalog or add the column to {ctx.dataset.table}",
    )


def _not_run(
    ctx: ProbeContext, check_id: str, what: str, reason: str, column: str | None = None
) -> Check:
    return Check(
        id=check_id,
        dimension=Q,
        severity=Severity.WARNING,
        passed=False,
        measured=False,
        dataset=ctx.name,
        column=column,
        observed=None,
        message=f"{ctx.name}: {what} could not be measured: {reason}",
        remediation="see the task log; re-run the audit once the source answers (a timeout, a lock, a permission)",
    )


@probe("completeness", Q, order=10)
def completeness(ctx: ProbeContext) -> list[Check]:
    """Declared required columns (and the primary key) must have no NULLs (judging reads
    the null counts from the profile itself)."""
    columns = dict.fromkeys([*ctx.dataset.primary_key, *ctx.dataset.required_columns])
    checks = []
    for column in columns:
        ratio = null_ratio(ctx.profile, column)
        profiled = ctx.profile.column(column)
        check_id = f"quality.completeness.{column}"
        if ratio is None or profiled is None:
            checks.append(_missing_column(ctx, check_id, column, "required"))
            continue
        nulls = profiled.null_count
        checks.append(
            Check(
                id=check_id,
                dimension=Q,
                severity=Severity.WARNING,
                passed=nulls == 0,
                dataset=ctx.name,
                column=column,
                observed=round(ratio, 4),
                expected=0,
                message=(
                    f"{ctx.name}.{column}: {nulls} of {ctx.profile.row_count} rows are NULL ({ratio:.1%})"
                    if nulls
                    else f"{ctx.name}.{column} has no NULLs"
                ),
                remediation=f"backfill the NULL {column} values in {ctx.dataset.table} or drop those rows upstream",
                details={"null_count": nulls, "row_count": ctx.profile.row_count},
            )
        )
    return checks


def _duplicate_keys(ctx: ProbeContext, columns: Sequence[str]) -> int:
    """Rows beyond the first for each duplicated key value, among rows whose key has no
    NULL (NULL keys are the completeness check's business); 0 when unique."""
    if len(columns) == 1:
        col = ctx.profile.column(columns[0])
        if col is not None and col.distinct_count is not None and not col.distinct_approximate:
            return ctx.profile.row_count - col.null_count - col.distinct_count
    table = _table(ctx)
    # Text keys compare by code point, as the profile's distinct counts do (a case-insensitive
    # collation would otherwise call 'a' and 'A' one key).
    keys = [
        codepoint_text(table.c[c], ctx.engine.dialect) if column_kind(table.c[c].type) == "text" else table.c[c]
        for c in columns
    ]
    grouped = (
        sa.select(sa.func.count().label("n"))
        .select_from(table)
        .where(*(key.is_not(None) for key in keys))
        .group_by(*keys)
        .having(sa.func.count() > 1)
        .subquery()
    )
    with ctx.engine.connect() as conn:
        extra = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(grouped.c.n - 1), 0))
        ).scalar_one()
    return int(extra)


@probe("uniqueness", Q, order=15, produces=[KeyUniqueness])
def uniqueness(ctx: ProbeContext) -> list[Check]:
    checks = []
    keys: list[tuple[str, tuple[str, ...], bool]] = []
    if ctx.dataset.primary_key:
        keys.append(("primary_key", tuple(ctx.dataset.primary_key), True))
    keys.extend((column, (column,), False) for column in ctx.dataset.unique_columns)
    for label, columns, primary in keys:
        check_id = f"quality.uniqueness.{label}"
        key = ", ".join(columns)
        missing = [c for c in columns if ctx.profile.column(c) is None]
        # A declared unique column is a data rule too (the primary key has its own requirement).
        def add(check: Check, primary: bool = primary) -> None:
            checks.append(check if primary else ctx.record_rule(check))

        if missing:
            add(_missing_column(ctx, check_id, missing[0], "a key"))
            ctx.record(
                KeyUniqueness(
                    dataset=ctx.name,
                    columns=columns,
                    primary=primary,
                    reason=f"key column {missing[0]!r} is not in the table",
                )
            )
            continue
        try:
            duplicates = _duplicate_keys(ctx, columns)
        except sa.exc.SQLAlchemyError as exc:
            reason = _reason(ctx, exc, *columns)
            add(_not_run(ctx, check_id, f"uniqueness of ({key})", reason, key))
            ctx.record(
                KeyUniqueness(dataset=ctx.name, columns=columns, primary=primary, reason=reason)
            )
            continue
        ctx.record(
            KeyUniqueness(
                dataset=ctx.name,
                columns=columns,
                primary=primary,
                figures=KeyFigures(rows=ctx.profile.row_count, duplicate_rows=duplicates),
            )
        )
        check = Check(
                id=check_id,
                dimension=Q,
                severity=Severity.WARNING,
                passed=duplicates == 0,
                dataset=ctx.name,
                column=key,
                observed=duplicates,
                expected=0,
                message=(
                    f"{ctx.name}: {duplicates} duplicate rows on ({key})"
                    if duplicates
                    else f"{ctx.name}: ({key}) is unique"
                ),
                remediation=f"deduplicate {ctx.dataset.table} on ({key}) and enforce a unique constraint",
                details={"duplicate_rows": duplicates, "key": list(columns)},
            )
        add(check)
    return checks


def _validity_rules(
    dataset: DatasetConfig, table: sa.Table
) -> list[tuple[str, str, Any, sa.ColumnElement[bool]]]:
    """(check id, column, expected, SQL expression counting invalid rows)."""
    rules: list[tuple[str, str, Any, sa.ColumnElement[bool]]] = []
    for column, values in dataset.accepted_values.items():
        if column in table.c:
            col = table.c[column]
            bad = sa.and_(col.is_not(None), col.not_in(list(values)))
            rules.append((f"quality.validity.accepted_values.{column}", column, list(values), bad))
    for column, bounds in dataset.ranges.items():
        if column in table.c:
            col = table.c[column]
            outside = []
            if bounds.min is not None:
                outside.append(col < bounds.min)
            if bounds.max is not None:
                outside.append(col > bounds.max)
            if outside:
                expected = {"min": bounds.min, "max": bounds.max}
                rules.append(
                    (f"quality.validity.range.{column}", column, expected, sa.or_(*outside))
                )
    for column, pattern in dataset.patterns.items():
        if column in table.c:
            col = table.c[column]
            # SQLAlchemy compiles regexp_match per dialect (SQLite gets a Python REGEXP).
            bad = sa.and_(col.is_not(None), sa.not_(col.regexp_match(pattern)))
            rules.append((f"quality.validity.pattern.{column}", column, pattern, bad))
    return rules


@probe("validity", Q, order=20, produces=[RuleResult])
def validity(ctx: ProbeContext) -> list[Check]:
    declared = [*ctx.dataset.accepted_values, *ctx.dataset.ranges, *ctx.dataset.patterns]
    table = _table(ctx)
    checks = [
        ctx.record_rule(_missing_column(ctx, f"quality.validity.{column}", column, "validated"))
        for column in dict.fromkeys(declared)
        if column not in table.c
    ]
    rules = _validity_rules(ctx.dataset, table)
    if not rules:
        return checks
    # One statement for every validity rule of the dataset.
    counts = [sa.func.coalesce(sa.func.sum(sa.case((bad, 1), else_=0)), 0) for *_, bad in rules]
    try:
        with ctx.engine.connect() as conn:
            row = conn.execute(sa.select(*counts).select_from(table)).one()
    except sa.exc.SQLAlchemyError as exc:
        reason = _reason(ctx, exc, *(column for _, column, _, _ in rules))
        return checks + [
            ctx.record_rule(_not_run(
                    ctx,
                    check_id,
                    f"the {check_id.split('.')[2].replace('_', ' ')} rule on {column}",
                    reason,
                    column,
                ),
            )
            for check_id, column, _, _ in rules
        ]
    for (check_id, column, expected, _), invalid in zip(rules, row, strict=True):
        invalid = int(invalid)
        rule = check_id.split(".")[2].replace("_", " ")
        checks.append(
            ctx.record_rule(Check(
                    id=check_id,
                    dimension=Q,
                    severity=Severity.WARNING,
                    passed=invalid == 0,
                    dataset=ctx.name,
                    column=column,
                    observed=invalid,
                    expected=expected,
                    message=(
                        f"{ctx.name}.{column}: {invalid} rows break the {rule} rule (expected {expected})"
                        if invalid
                        else f"{ctx.name}.{column} satisfies its {rule} rule"
                    ),
                    remediation=f"correct the invalid {column} values at the source or widen the rule in the catalog",
                    details={"invalid_rows": invalid},
                ),
            )
        )
    return checks


@probe("timeliness", Q, order=25, produces=[Freshness])
def timeliness(ctx: ProbeContext) -> list[Check]:
    freshness = ctx.dataset.freshness
    if freshness is None:
        return []
    col = ctx.profile.column(freshness.column)
    if col is None:
        ctx.record(
            Freshness(
                dataset=ctx.name,
                column=freshness.column,
                reason=f"freshness column {freshness.column!r} is not in the table",
            )
        )
        return [
            _missing_column(ctx, "quality.timeliness", freshness.column, "the freshness column")
        ]
    newest = as_utc(col.max)
    slo_hours = freshness.slo.total_seconds() / 3600
    if newest is None:
        reason = (
            f"{freshness.column} holds no value to measure freshness by"
            if col.max is None
            else f"{freshness.column}'s newest value is not a date or time"
        )
        ctx.record(Freshness(dataset=ctx.name, column=freshness.column, reason=reason))
        ctx.facts["freshness"] = {"newest": None, "age_hours": None}
        return [
            Check(
                id="quality.timeliness",
                dimension=Q,
                severity=Severity.WARNING,
                passed=False,
                measured=False,
                dataset=ctx.name,
                column=freshness.column,
                observed={"age_hours": None, "newest": None},
                expected={"max_age_hours": slo_hours},
                message=f"{ctx.name}: freshness could not be measured: {reason}",
                remediation=f"load {ctx.dataset.table} with {freshness.column} filled in, or declare the right freshness column",
            )
        ]
    age_hours = round((ctx.now - newest).total_seconds() / 3600, 1)
    passed = age_hours <= slo_hours
    message = (
        f"{ctx.name}: newest {freshness.column} is {_age(age_hours)} old, within its {_age(slo_hours)} SLO"
        if passed
        else f"{ctx.name}: newest {freshness.column} is {_age(age_hours)} old; the SLO is {_age(slo_hours)}"
    )
    ctx.facts["freshness"] = {"newest": newest.isoformat(), "age_hours": age_hours}
    ctx.record(
        Freshness(
            dataset=ctx.name,
            column=freshness.column,
            figures=FreshnessFigures(newest=newest, age_hours=age_hours, slo_hours=slo_hours),
        )
    )
    return [
        Check(
            id="quality.timeliness",
            dimension=Q,
            severity=Severity.WARNING,
            passed=passed,
            dataset=ctx.name,
            column=freshness.column,
            observed={"age_hours": age_hours, "newest": newest.isoformat()},
            expected={"max_age_hours": slo_hours},
            message=message,
            remediation=f"restart or fix the job that loads {ctx.dataset.table}, or agree a looser SLO",
        )
    ]


def _age(hours: float) -> str:
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


@probe("volume", Q, order=26, produces=[RuleResult])
def volume(ctx: ProbeContext) -> list[Check]:
    minimum = ctx.dataset.min_rows if ctx.dataset.min_rows is not None else 1
    rows = ctx.profile.row_count
    return [
        ctx.record_rule(Check(
                id="quality.volume",
                dimension=Q,
                severity=Severity.WARNING,
                passed=rows >= minimum,
                dataset=ctx.name,
                observed=rows,
                expected={"min_rows": minimum},
                message=f"{ctx.name} has {rows} rows (minimum {minimum})",
                remediation=f"load the missing history into {ctx.dataset.table} or lower min_rows",
            ),
        )
    ]


def _orphans(ctx: ProbeContext, key: RelatedKey, child: sa.Table, parent: sa.Table) -> int:
    """Child rows whose complete key (no NULL part) has no match in the parent."""
    pairs = list(
        zip(
            (child.c[c] for c in key.columns),
            (parent.c[c] for c in key.references.columns),
            strict=True,
        )
    )
    # Distinct parent keys: a duplicated parent key must not multiply child rows.
    parent_keys = (
        sa.select(*(p.label(f"k{i}") for i, (_, p) in enumerate(pairs)))
        .where(*(p.is_not(None) for _, p in pairs))
        .distinct()
        .subquery()
    )
    on = sa.and_(*(c == parent_keys.c[f"k{i}"] for i, (c, _) in enumerate(pairs)))
    query = (
        sa.select(sa.func.count())
        .select_from(child.outerjoin(parent_keys, on))
        .where(*(c.is_not(None) for c, _ in pairs), parent_keys.c["k0"].is_(None))
    )
    with ctx.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


@probe("consistency", Q, order=27, produces=[RuleResult])
def consistency(ctx: ProbeContext) -> list[Check]:
    """Related keys (composite or not) must be found in the referenced dataset (same source only)."""
    checks = []
    for key in ctx.dataset.related_keys:
        check_id = f"quality.consistency.{'.'.join(key.columns)}"
        parent_cfg = ctx.config.datasets[key.ref_dataset]
        label = key.label
        if parent_cfg.source != ctx.dataset.source:
            checks.append(
                Check(
                    id=check_id,
                    dimension=Q,
                    severity=Severity.INFO,
                    passed=True,
                    dataset=ctx.name,
                    column=label,
                    message=f"{ctx.name}.{label} → {key.references}: different sources, not compared",
                )
            )
            continue
        child = _table(ctx)
        missing = [c for c in key.columns if c not in child.c]
        if missing:
            checks.append(ctx.record_rule(_missing_column(ctx, check_id, missing[0], "a related key")))
            continue
        try:
            parent = reflect_table(ctx.engine, parent_cfg.table, parent_cfg.schema_name)
            absent = [c for c in key.references.columns if c not in parent.c]
            if absent:
                raise KeyError(absent[0])
        except (sa.exc.NoSuchTableError, LookupError):
            checks.append(
                ctx.record_rule(Check(
                        id=check_id,
                        dimension=Q,
                        severity=Severity.WARNING,
                        passed=False,
                        dataset=ctx.name,
                        column=label,
                        observed="referenced table or column missing",
                        expected=str(key.references),
                        message=f"{ctx.name}.{label} references {key.references}, which cannot be read",
                        remediation="fix related_keys in the catalog or create the referenced table",
                    ),
                )
            )
            continue
        try:
            orphans = _orphans(ctx, key, child, parent)
        except sa.exc.SQLAlchemyError as exc:
            reason = _reason(ctx, exc, parent_cfg.table, *key.columns, *key.references.columns)
            checks.append(
                ctx.record_rule(_not_run(ctx, check_id, f"{label} → {key.references}", reason, label))
            )
            continue
        non_null = ctx.profile.row_count - max(
            (c.null_count for name in key.columns if (c := ctx.profile.column(name)) is not None),
            default=0,
        )
        ratio = orphans / non_null if non_null else 0.0
        checks.append(
            ctx.record_rule(Check(
                    id=check_id,
                    dimension=Q,
                    severity=Severity.WARNING,
                    passed=orphans == 0,
                    dataset=ctx.name,
                    column=label,
                    observed={"orphans": orphans, "ratio": round(ratio, 4)},
                    expected={"orphans": 0},
                    message=(
                        f"{ctx.name}.{label}: {orphans} rows ({ratio:.1%}) have no match in {key.references}"
                        if orphans
                        else f"{ctx.name}.{label}: every value is found in {key.references}"
                    ),
                    remediation=f"load the missing {key.ref_dataset} rows or remove orphaned {ctx.name} rows",
                    details={"orphans": orphans, "orphan_ratio": ratio},
                ),
            )
        )
    return checks


_FAMILIES = {
    "numeric": (
        "int",
        "numeric",
        "decimal",
        "float",
        "double",
        "real",
        "number",
        "serial",
        "money",
    ),
    "text": ("char", "text", "string", "clob", "uuid", "json", "enum"),
    "temporal": ("date", "time"),
    "boolean": ("bool", "bit", "tinyint(1)"),
}


def type_family(type_name: str) -> str:
    lowered = type_name.lower()
    if lowered.startswith(("bool", "tinyint(1)")):
        return "boolean"
    for family, needles in _FAMILIES.items():
        if any(needle in lowered for needle in needles):
            return family
    return "other"


@probe("schema_conformance", Q, order=28, produces=[RuleResult])
def schema_conformance(ctx: ProbeContext) -> list[Check]:
    declared = ctx.dataset.columns
    if not declared:
        return []
    problems = []
    for column, type_name in declared.items():
        actual = ctx.profile.column(column)
        if actual is None:
            problems.append(f"{column}: missing")
        elif type_family(type_name) != type_family(actual.type):
            problems.append(f"{column}: declared {type_name}, found {actual.type}")
    return [
        ctx.record_rule(Check(
                id="quality.schema",
                dimension=Q,
                severity=Severity.WARNING,
                passed=not problems,
                dataset=ctx.name,
                observed=problems or "as declared",
                expected=dict(declared),
                message=(
                    f"{ctx.name} does not match its declared schema: " + "; ".join(problems)
                    if problems
                    else f"{ctx.name} has every declared column with a compatible type"
                ),
                remediation="align the table with the catalog's `columns:` or update the declaration",
            ),
        )
    ]


PROBES = (completeness, uniqueness, validity, timeliness, volume, consistency, schema_conformance)

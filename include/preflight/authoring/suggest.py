"""Suggest a baseline GX suite from a table profile, for a person to review.

The suggestion says what the data looked like when it was profiled, not what it should
be: every column exists, columns without NULLs stay without, numeric columns stay within
their observed range, the declared primary key is unique and the row count stays within
a band around today's. It is built through GX's own expectation classes, so GX can load
what is written, and it records in its ``meta`` when and from what it was suggested.

Column types are asserted only when an engine is given and GX itself accepts the type
name on that table: GX compares type names per dialect (PostgreSQL by the compiled type
string, SQLite and MySQL by the dialect's type class), and a reflected type that GX
cannot match by name (SQLite's ``DATETIME``, for one) would fail forever.
"""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from preflight import __version__
from preflight.model.results import TableProfile

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

__all__ = ["suggest_suite", "write_suggested_suite"]

# Single-precision columns (PostgreSQL REAL, MySQL FLOAT) report a MIN/MAX that, read
# back as a double, can lie just inside the stored values (0.1 for a stored
# 0.100000001…); widening such bounds by one part in a million keeps the observed
# extremes inside the range. Values exact in single precision are left as they are.
_FLOAT_SLACK = 1e-6


def suggest_suite(
    profile: TableProfile,
    *,
    dataset: str,
    primary_key: Sequence[str] = (),
    row_band: float = 0.5,
    engine: sa.Engine | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A GX 1.x suite (``ExpectationSuite.to_json_dict()``) baselined on ``profile``.

    ``row_band`` is the accepted relative change of the row count (0.5: ±50 %). Pass the
    ``engine`` the profile was taken from to also suggest column types (verified with GX
    on the table); without it, types are left out and the suite's meta says why.
    """
    import great_expectations as gx
    from great_expectations import expectations as gxe

    if row_band < 0:
        raise ValueError("row_band must be zero or positive")
    now = now or datetime.now(UTC)
    notes: list[str] = []
    expectations: list[Expectation] = []
    rows = profile.row_count

    if rows > 0:
        low, high = math.floor(rows * (1 - row_band)), math.ceil(rows * (1 + row_band))
        expectations.append(
            gxe.ExpectTableRowCountToBeBetween(
                min_value=max(0, low),
                max_value=high,
                **_suggested(f"{rows:,} rows when profiled; band ±{row_band:.0%}"),
            )
        )
    else:
        notes.append(
            "the table was empty when profiled: no row-count band, no null or range bounds"
        )

    types = _verified_types(profile, engine, notes)
    for column in profile.columns:
        expectations.append(
            gxe.ExpectColumnToExist(column=column.name, **_suggested("present when profiled"))
        )
        if column.name in types:
            expectations.append(
                gxe.ExpectColumnValuesToBeOfType(
                    column=column.name,
                    type_=types[column.name],
                    **_suggested(f"reflected type {types[column.name]}"),
                )
            )
        if rows > 0 and column.null_count == 0:
            expectations.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=column.name, **_suggested(f"no NULLs in {rows:,} rows")
                )
            )
        if rows > 0 and column.kind == "numeric" and _is_identifier(column.name, primary_key):
            notes.append(f"{column.name}: identifier column, so no range (new ids fall outside it)")
        elif rows > 0 and column.kind == "numeric":
            low_value, high_value = _bound(column.min, down=True), _bound(column.max, down=False)
            if low_value is not None and high_value is not None:
                expectations.append(
                    gxe.ExpectColumnValuesToBeBetween(
                        column=column.name,
                        min_value=low_value,
                        max_value=high_value,
                        **_suggested(f"observed range {column.min} to {column.max}"),
                    )
                )
            elif column.min is not None or column.max is not None:
                notes.append(f"{column.name}: observed min/max are not numbers; no range suggested")

    key = [c for c in primary_key if c]
    missing = [c for c in key if profile.column(c) is None]
    if missing:
        notes.append(
            f"primary key column(s) {', '.join(missing)} not in the profile: no uniqueness expectation"
        )
    elif len(key) == 1:
        expectations.append(
            gxe.ExpectColumnValuesToBeUnique(
                column=key[0], **_suggested(_key_basis(profile, key[0]))
            )
        )
    elif len(key) > 1:
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=key, **_suggested("declared primary key in the catalog")
            )
        )

    where = f"{profile.schema_name}.{profile.table}" if profile.schema_name else profile.table
    suite = gx.ExpectationSuite(
        name=dataset,
        expectations=expectations,
        notes=(
            f"Suggested by Preflight from a profile of {where} taken at "
            f"{profile.profiled_at.isoformat()}. Every bound is what was observed then, not what "
            "should hold: review each expectation, widen, tighten or delete it, set "
            "meta.severity (blocker, warning or info), then set meta.preflight.status to 'reviewed'."
        ),
        meta={
            "preflight": {
                "status": "suggested",
                "suggested_by": f"Preflight {__version__}",
                "suggested_at": now.isoformat(),
                "profiled_at": profile.profiled_at.isoformat(),
                "dataset": dataset,
                "table": where,
                "row_count": rows,
                "row_band": row_band,
                "review": "suggested from one profile for a person to review before it is relied on",
                "notes": notes,
            }
        },
    )
    return suite.to_json_dict()


def write_suggested_suite(
    profile: TableProfile,
    *,
    dataset: str,
    path: Path,
    primary_key: Sequence[str] = (),
    force: bool = False,
    row_band: float = 0.5,
    engine: sa.Engine | None = None,
) -> Path:
    """Write :func:`suggest_suite` to ``path``; an existing file is kept unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(
            f"{path.name} already exists in {path.parent}; it may hold reviewed, hand-made "
            "expectations. Compare it with a fresh suggestion first, then replace it with "
            "force=True (`preflight suggest --force`)."
        )
    suite = suggest_suite(
        profile, dataset=dataset, primary_key=primary_key, row_band=row_band, engine=engine
    )
    text = json.dumps(suite, indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not force:
        # "x" refuses a file that appeared since the check above: still never overwrite.
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
        return path
    # Replace through a sibling file and a rename, so a reader never sees half a suite.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _is_identifier(name: str, primary_key: Sequence[str]) -> bool:
    lowered = name.lower()
    return name in primary_key or lowered == "id" or lowered.endswith("_id")


def _suggested(basis: str) -> dict[str, Any]:
    # Preflight reads meta.severity; GX's own field is set to agree so the file does not
    # say "critical" (GX's default) beside a Preflight "warning".
    return {"meta": {"severity": "warning", "suggested_from": basis}, "severity": "warning"}


def _key_basis(profile: TableProfile, column: str) -> str:
    col = profile.column(column)
    if col is None or col.distinct_count is None or col.distinct_approximate:
        return "declared primary key in the catalog"
    non_null = profile.row_count - col.null_count
    if col.distinct_count < non_null:
        return (
            f"declared primary key; the profile saw {col.distinct_count:,} distinct values in "
            f"{non_null:,} rows, so this fails today: fix the duplicates, not the expectation"
        )
    return "declared primary key; unique when profiled"


def _bound(value: Any, *, down: bool) -> int | float | None:
    """A JSON-safe bound at or just beyond ``value`` (outward), or None for non-numbers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        # Exact numerics compare exactly; only the JSON form needs a float.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            return int(value)
        if struct.unpack("f", struct.pack("f", value))[0] == value:
            return value  # exact in single precision too: nothing to absorb
        widened = value - abs(value) * _FLOAT_SLACK if down else value + abs(value) * _FLOAT_SLACK
        readable = float(f"{widened:.9g}")
        # Rounding to readable digits must not move the bound back inside the data.
        if (down and readable > widened) or (not down and readable < widened):
            readable = widened
        return readable
    return None


def _verified_types(
    profile: TableProfile, engine: sa.Engine | None, notes: list[str]
) -> dict[str, str]:
    """Column → a type name GX accepts for it on this table, per GX itself."""
    if engine is None:
        notes.append(
            "column types not asserted: no engine was given, and GX compares type names per "
            "dialect, so a name taken from the profile alone could never match"
        )
        return {}
    from great_expectations import expectations as gxe

    from preflight.measure.checks.gx_suite import validate_expectations

    try:
        reflected = {
            c["name"]: c["type"]
            for c in sa.inspect(engine).get_columns(profile.table, schema=profile.schema_name)
        }
    except sa.exc.SQLAlchemyError as exc:
        notes.append(
            f"column types not asserted: the table could not be reflected ({type(exc).__name__})"
        )
        return {}

    candidates: list[tuple[str, str]] = []
    for column in profile.columns:
        type_ = reflected.get(column.name)
        if type_ is None:
            continue
        names = [_compiled(type_, engine), type(type_).__name__, column.type]
        for name in dict.fromkeys(n for n in names if n):
            candidates.append((column.name, name))
    if not candidates:
        return {}
    try:
        results = validate_expectations(
            engine,
            profile.table,
            [gxe.ExpectColumnValuesToBeOfType(column=c, type_=n) for c, n in candidates],
            schema=profile.schema_name,
        )
    except Exception as exc:  # GX could not run at all: suggest the rest without types
        notes.append(f"column types not asserted: GX could not check them ({type(exc).__name__})")
        return {}
    verified: dict[str, str] = {}
    for (column_name, type_name), result in zip(candidates, results, strict=True):
        if result and result.get("success") and column_name not in verified:
            verified[column_name] = type_name
    for column in profile.columns:
        if column.name in reflected and column.name not in verified:
            notes.append(
                f"{column.name}: type not asserted: GX does not match the reflected type "
                f"{_compiled(reflected[column.name], engine) or column.type} by name on {engine.dialect.name}"
            )
    return verified


def _compiled(type_: Any, engine: sa.Engine) -> str | None:
    try:
        return str(type_.compile(dialect=engine.dialect))
    except Exception:  # a type the dialect cannot render (e.g. NullType): no candidate
        return None

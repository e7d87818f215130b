"""The one-pass profiler against every engine, checked against pandas.

Each test inserts rows into a real table, profiles it, and compares every figure with
what pandas computes from the same Python rows. Conventions the expectations share
with the profiler: standard deviation is the *sample* one (``ddof=1``), text compares
by code point, lengths are characters, and floats agree to ``REL`` (relative).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql, oracle, postgresql

from preflight.measure.profile import TableNotFoundError, column_kind, profile_table
from preflight.model.results import TableProfile

pytestmark = pytest.mark.integration

REL = 1e-9  # summation order differs between engines and pandas; nothing else should

NAMES = [
    "plain",
    "",
    "café",
    "Café",
    "cafe",
    "日本語テキスト",
    "a",
    "a ",
    "A",
    "rocket 🚀",
    "",
    "zürich",
    "ÅNGSTRÖM",
]

# Integral max (250.00 -> 250), fractional min (-3.75), a repeat, a NULL.
AMOUNTS = [
    "-3.75",
    "12.34",
    "250.00",
    "0.10",
    "99.99",
    "7.00",
    None,
    "12.34",
    "-0.01",
    "100.50",
    "33.33",
    "0.00",
    "249.99",
]


def main_rows() -> list[dict[str, Any]]:
    """Ints (with a big one), floats, decimals, text (empty, unicode, case and trailing
    space variants), dates, timestamps, booleans, NULLs, an all-NULL and a binary column."""
    rows = []
    for i, name in enumerate(NAMES):
        rows.append(
            {
                "id": i + 1,
                "qty": None if i % 4 == 3 else (i * 7) % 11 - 5,
                "big": None if i % 5 == 4 else 9_000_000_000_000 + i * 1_234_567,
                "price": None
                if i % 3 == 2
                else [1.5, -2.25, 3.125, 1e6 + 0.5, 0.1, 42.0][i % 6] * (i + 1),
                "amount": None if AMOUNTS[i] is None else Decimal(AMOUNTS[i]),
                "name": name,
                "note": None if i % 2 else ("" if i % 4 == 0 else f"note {i} ✓"),
                "born": None if i == 5 else date(1990 + i, (i % 12) + 1, (i * 3) % 28 + 1),
                "seen_at": None
                if i % 6 == 1
                else datetime(2024, 1 + i % 12, 1 + i, i % 24, i * 4 % 60, i * 7 % 60),
                "active": None if i % 5 == 2 else i % 3 == 0,
                "always_null": None,
                "payload": None if i % 2 else bytes([i, 0, 255]),
            }
        )
    return rows


KINDS = {
    "id": "numeric",
    "qty": "numeric",
    "big": "numeric",
    "price": "numeric",
    "amount": "numeric",
    "name": "text",
    "note": "text",
    "born": "temporal",
    "seen_at": "temporal",
    "active": "boolean",
    "always_null": "text",
    "payload": "other",
}
KINDS_INDEX = {name: i for i, name in enumerate(KINDS)}


def main_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("qty", sa.Integer),
        sa.Column("big", sa.BigInteger),
        sa.Column("price", sa.Double),
        sa.Column("amount", sa.Numeric(12, 2)),
        sa.Column("name", sa.String(40)),
        sa.Column("note", sa.Text),
        sa.Column("born", sa.Date),
        sa.Column("seen_at", sa.DateTime),
        sa.Column("active", sa.Boolean),
        sa.Column("always_null", sa.String(10)),
        sa.Column("payload", sa.LargeBinary),
        mysql_charset="utf8mb4",
    )


# --- the independent expectation --------------------------------------------------------


def expected_column(series: pd.Series, kind: str) -> dict[str, Any]:
    """What the profile of one column must say, computed by pandas."""
    values = series.dropna()
    out: dict[str, Any] = {"null_count": int(series.isna().sum())}
    if kind == "other":
        return out | {"distinct_count": None, "min": None, "max": None}
    out["distinct_count"] = int(values.nunique())
    out["min"] = values.min() if len(values) else None
    out["max"] = values.max() if len(values) else None
    if kind == "numeric":
        floats = values.map(float).astype("float64")
        out["mean"] = float(floats.mean()) if len(floats) else None
        out["stddev"] = float(floats.std(ddof=1)) if len(floats) > 1 else None
    if kind == "text":
        lengths = values.str.len()
        out["min_length"] = int(lengths.min()) if len(values) else None
        out["mean_length"] = float(lengths.mean()) if len(values) else None
        out["max_length"] = int(lengths.max()) if len(values) else None
        out["empty_count"] = int((values == "").sum())
    return out


def assert_matches_pandas(
    profile: TableProfile, rows: list[dict[str, Any]], kinds: dict[str, str]
) -> None:
    frame = pd.DataFrame(rows, columns=list(kinds), dtype=object)
    assert profile.row_count == len(rows)
    assert [c.name for c in profile.columns] == list(kinds)
    for name, kind in kinds.items():
        column = profile.column(name)
        assert column is not None
        assert column.kind == kind, name
        for figure, want in expected_column(frame[name], kind).items():
            got = getattr(column, figure)
            where = f"{profile.table}.{name}.{figure}: profile {got!r}, pandas {want!r}"
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert got is None, where
            elif isinstance(want, Decimal):
                # Normalised: int when integral, else float (SQLite stores NUMERIC as REAL,
                # the others hand back Decimal; both land on the same value).
                integral = want == want.to_integral_value()
                assert type(got) is (int if integral else float), where
                assert got == float(want), where
            elif isinstance(want, float) or figure in ("mean", "stddev", "mean_length"):
                assert got == pytest.approx(want, rel=REL, abs=1e-12), where
            else:
                assert type(got) is type(want), where
                assert got == want, where


def profile_counting(engine: sa.Engine, table: str, **kwargs: Any) -> tuple[TableProfile, int]:
    """Profile, counting every statement the engine sees (reflection included)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        profile = profile_table(engine, table, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return profile, len(seen)


# --- tests ---------------------------------------------------------------------------


def test_profile_matches_pandas(scratch) -> None:
    table = scratch.create(main_table(scratch.name("profile")), main_rows())
    profile = profile_table(scratch.engine, table.name)

    assert_matches_pandas(profile, main_rows(), KINDS)
    assert profile.statements == 1
    assert profile.approximate is False
    assert profile.table == table.name and profile.schema_name is None


def test_normalised_values_are_json_friendly(scratch) -> None:
    table = scratch.create(main_table(scratch.name("json")), main_rows())
    profile = profile_table(scratch.engine, table.name)

    amount = profile.column("amount")
    assert isinstance(amount.max, int) and amount.max == 250  # Decimal("250.00")
    assert isinstance(amount.min, float) and amount.min == -3.75  # Decimal("-3.75")
    seen_at, born = profile.column("seen_at"), profile.column("born")
    assert type(seen_at.min) is datetime and type(seen_at.max) is datetime
    assert type(born.min) is date and type(born.max) is date
    assert type(profile.column("active").max) is bool
    assert profile.column("payload").min is None

    dumped = profile.model_dump(mode="json")
    text = json.dumps(dumped)
    assert json.loads(text)["columns"][KINDS_INDEX["seen_at"]]["max"] == seen_at.max.isoformat()
    assert TableProfile.model_validate_json(profile.model_dump_json()).row_count == len(NAMES)


def test_schema_qualified_table(scratch) -> None:
    table = scratch.create(main_table(scratch.name("qualified")), main_rows())
    schema = {"sqlite": "main", "postgresql": "public", "mariadb": scratch.engine.url.database}

    profile = profile_table(scratch.engine, table.name, schema[scratch.dialect])

    assert profile.schema_name == schema[scratch.dialect]
    assert_matches_pandas(profile, main_rows(), KINDS)


def test_null_only_column(scratch) -> None:
    table = scratch.create(main_table(scratch.name("nulls")), main_rows())
    always_null = profile_table(scratch.engine, table.name).column("always_null")

    assert always_null.null_count == len(NAMES)
    assert always_null.distinct_count == 0
    assert always_null.min is None and always_null.max is None
    assert (
        always_null.min_length is None
        and always_null.mean_length is None
        and always_null.max_length is None
    )
    assert always_null.empty_count == 0


def test_empty_table(scratch) -> None:
    table = scratch.create(main_table(scratch.name("empty")))
    profile = profile_table(scratch.engine, table.name)

    assert profile.row_count == 0
    assert_matches_pandas(profile, [], KINDS)
    for column in profile.columns:
        assert column.null_count == 0
        assert column.min is None and column.max is None
        assert column.mean is None and column.stddev is None
        assert column.distinct_count == (None if column.kind == "other" else 0)
    assert profile.column("name").empty_count == 0


def test_spread_survives_a_mean_that_dwarfs_it(scratch) -> None:
    # Epoch milliseconds: Σx² of the raw values would need 80 bits, a double keeps 53.
    # SQLite, which has no stddev_samp, shifts by a value of the column (read first);
    # the first rows are NULL so the shift comes from further down. The engines' own
    # stddev_samp differ in the 8th digit here (MariaDB 5e-8); unshifted sums lose all.
    values = [None] * 5 + [1_700_000_000_000 + (i * 37) % 1001 for i in range(2_000)]
    table = scratch.create(
        sa.Table(scratch.name("epoch"), sa.MetaData(), sa.Column("at_ms", sa.BigInteger)),
        [{"at_ms": v} for v in values],
    )
    column = profile_table(scratch.engine, table.name).column("at_ms")

    present = pd.Series([v for v in values if v is not None], dtype="int64")
    assert column.mean == pytest.approx(float(present.mean()), rel=1e-12)
    assert column.stddev == pytest.approx(float(present.std(ddof=1)), rel=1e-6)


def test_mixed_case_and_spaced_names(scratch) -> None:
    table = scratch.create(
        sa.Table(
            scratch.name("Mixed Case"),
            sa.MetaData(),
            sa.Column("Reader Id", sa.Integer),
            sa.Column("CamelCase", sa.String(20)),
            sa.Column("lower", sa.Date),
            sa.Column("UPPER", sa.Double),
            mysql_charset="utf8mb4",
        ),
        rows := [
            {
                "Reader Id": i,
                "CamelCase": f"Value {i % 3}",
                "lower": date(2020, 1, i + 1),
                "UPPER": i / 4,
            }
            for i in range(9)
        ]
        + [{"Reader Id": None, "CamelCase": None, "lower": None, "UPPER": None}],
    )
    profile = profile_table(scratch.engine, table.name)

    assert_matches_pandas(
        profile,
        rows,
        {"Reader Id": "numeric", "CamelCase": "text", "lower": "temporal", "UPPER": "numeric"},
    )


def test_reserved_words_as_table_and_column_names(scratch) -> None:
    # A reserved word cannot be made unique; clear a leftover from an interrupted run.
    table = sa.Table(
        "select",
        sa.MetaData(),
        sa.Column("order", sa.Integer),
        sa.Column("group", sa.String(20)),
        sa.Column("from", sa.DateTime),
        sa.Column("table", sa.Boolean),
        # SQLite's keyword from its upsert syntax; SQLAlchemy does not know to quote it.
        sa.Column("nothing", sa.Text, quote=True),
        mysql_charset="utf8mb4",
    )
    table.drop(scratch.engine, checkfirst=True)
    rows = [
        {
            "order": i * 3,
            "group": "gh"[i % 2] * (i + 1),
            "from": datetime(2023, 5, 1 + i, 8),
            "table": i % 2 == 0,
            "nothing": None if i == 2 else f"n{i % 3}",
        }
        for i in range(6)
    ]
    scratch.create(table, rows)
    profile = profile_table(scratch.engine, "select")

    assert_matches_pandas(
        profile,
        rows,
        {
            "order": "numeric",
            "group": "text",
            "from": "temporal",
            "table": "boolean",
            "nothing": "text",
        },
    )


def _wide_table(name: str, width: int) -> sa.Table:
    types = [sa.Integer, sa.String(20), sa.Double, sa.Date, sa.Boolean]
    return sa.Table(
        name,
        sa.MetaData(),
        *(sa.Column(f"col {i}", types[i % len(types)]) for i in range(width)),
        mysql_charset="utf8mb4",
    )


def _wide_rows(width: int, count: int = 5) -> list[dict[str, Any]]:
    makers = [
        lambda r: r * 10,
        lambda r: f"v{r}",
        lambda r: r / 3,
        lambda r: date(2021, 1, r + 1),
        lambda r: r % 2 == 1,
    ]
    return [{f"col {i}": makers[i % len(makers)](r) for i in range(width)} for r in range(count)]


def test_statements_do_not_grow_with_columns(scratch) -> None:
    narrow = scratch.create(_wide_table(scratch.name("narrow"), 2), _wide_rows(2))
    wide = scratch.create(_wide_table(scratch.name("wide"), 50), _wide_rows(50))
    profile_table(scratch.engine, narrow.name)  # first connect and dialect set-up out of the count

    narrow_profile, narrow_statements = profile_counting(scratch.engine, narrow.name)
    wide_profile, wide_statements = profile_counting(scratch.engine, wide.name)

    assert wide_statements <= narrow_statements
    assert narrow_profile.statements == wide_profile.statements == 1
    assert len(wide_profile.columns) == 50 and wide_profile.row_count == 5


def test_wide_table_splits_only_at_the_dialect_limit(scratch) -> None:
    # 300 text columns ask for 2,401 aggregates: past SQLite's 2,000-column result row and
    # PostgreSQL's 1,664-entry target list, within MySQL/MariaDB's 4,096.
    width = 300
    table = scratch.create(
        sa.Table(
            scratch.name("wider"),
            sa.MetaData(),
            *(sa.Column(f"c{i}", sa.Text) for i in range(width)),  # TEXT: InnoDB row size
            mysql_charset="utf8mb4",
        ),
        rows := [
            {f"c{i}": f"{r}-{i % 7}" if (r + i) % 4 else "" for i in range(width)} for r in range(4)
        ],
    )
    profile, counted = profile_counting(scratch.engine, table.name)

    assert profile.statements == {"sqlite": 2, "postgresql": 2, "mariadb": 1}[scratch.dialect]
    assert counted >= profile.statements
    assert_matches_pandas(profile, rows, {f"c{i}": "text" for i in range(width)})


def test_missing_table_raises(scratch) -> None:
    with pytest.raises(TableNotFoundError, match="no_such_table") as caught:
        profile_table(scratch.engine, "no_such_table")
    assert isinstance(caught.value, LookupError)

    with pytest.raises(TableNotFoundError, match=r"no_such_schema\.no_such_table"):
        profile_table(scratch.engine, "no_such_table", schema="no_such_schema")


def test_approximate_distinct_falls_back_to_exact(scratch) -> None:
    # None of SQLite, PostgreSQL (without extensions) or MariaDB has a built-in one.
    table = scratch.create(main_table(scratch.name("approx")), main_rows())
    exact = profile_table(scratch.engine, table.name)
    approx = profile_table(scratch.engine, table.name, approximate_distinct=True)

    assert approx.approximate is False
    assert not any(c.distinct_approximate for c in approx.columns)
    assert [c.distinct_count for c in approx.columns] == [c.distinct_count for c in exact.columns]


def test_comments_where_the_dialect_keeps_them(scratch) -> None:
    table = scratch.create(
        sa.Table(
            scratch.name("commented"),
            sa.MetaData(),
            sa.Column("reader_id", sa.Integer, comment="who borrowed the book"),
            sa.Column("plain", sa.Integer),
            comment="loans, one row per checkout",
        ),
        [{"reader_id": 1, "plain": 2}],
    )
    profile = profile_table(scratch.engine, table.name)

    if scratch.dialect == "sqlite":
        assert profile.table_comment is None
        assert profile.column("reader_id").comment is None
    else:
        assert profile.table_comment == "loans, one row per checkout"
        assert profile.column("reader_id").comment == "who borrowed the book"
    assert profile.column("plain").comment is None


@pytest.mark.parametrize(
    ("sa_type", "kind"),
    [
        (sa.Integer, "numeric"),
        (sa.BigInteger(), "numeric"),
        (sa.Numeric(10, 2), "numeric"),
        (sa.Float(), "numeric"),
        (sa.Double(), "numeric"),
        (sa.String(5), "text"),
        (sa.Text(), "text"),
        (sa.Enum("a", "b"), "text"),
        (sa.Date(), "temporal"),
        (sa.DateTime(timezone=True), "temporal"),
        (sa.Time(), "temporal"),
        (sa.Boolean(), "boolean"),
        (mysql.TINYINT(display_width=1), "boolean"),
        (mysql.TINYINT(), "numeric"),
        (sa.JSON(), "other"),
        (sa.LargeBinary(), "other"),
        (sa.Uuid(), "other"),
        (postgresql.ARRAY(sa.Integer), "other"),
    ],
)
def test_column_kind(sa_type: Any, kind: str) -> None:
    assert column_kind(sa_type) == kind


def test_approximate_distinct_where_the_dialect_has_one() -> None:
    # Compile for an engine outside the suite that has one (DuckDB's runs in test_lake).
    from preflight.engines import spec_for
    from preflight.measure.profile import _plan_column

    column = main_table("t").c["name"]
    dialect = oracle.dialect()
    plan = _plan_column(0, column, dialect, spec_for(dialect), approximate=True)
    sql = str(plan.metrics["distinct"].compile(dialect=oracle.dialect()))
    assert plan.distinct_approximate is True
    assert "approx_count_distinct" in sql.lower()


def test_benchmark_runs_on_a_small_table(preflight_home) -> None:
    # The benchmark's plumbing only; timings belong to `python -m bench.profile_bench`.
    from bench.profile_bench import run

    result = run(rows=500, repeat=1)

    assert result["rows"] == 500 and result["columns"] == 8 and result["statements"] == 1
    assert result["database"].startswith(str(preflight_home / "bench"))
    assert run(rows=500, repeat=1)["build_seconds"] is None  # cached the second time

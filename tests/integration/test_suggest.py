"""A suggested suite is valid GX, passes on the data it was suggested from, and bites when edited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import great_expectations as gx
import pytest
import sqlalchemy as sa

from preflight.authoring.suggest import suggest_suite, write_suggested_suite
from preflight.measure.checks.gx_suite import run_suite
from preflight.model.results import ColumnProfile, TableProfile

pytestmark = pytest.mark.integration

ROWS = [
    {
        "reading_id": 1,
        "sensor": "north",
        "celsius": 11.5,
        "ratio": 0.1,
        "weight": Decimal("1.250"),
        "note": None,
    },
    {
        "reading_id": 2,
        "sensor": "south",
        "celsius": -3.25,
        "ratio": 0.7,
        "weight": Decimal("0.100"),
        "note": "ok",
    },
    {
        "reading_id": 3,
        "sensor": "east",
        "celsius": 28.0,
        "ratio": 2.7,
        "weight": Decimal("7.000"),
        "note": "hot",
    },
    {
        "reading_id": 4,
        "sensor": "west",
        "celsius": 19.75,
        "ratio": 1.1,
        "weight": Decimal("3.333"),
        "note": None,
    },
]
KINDS = {
    "reading_id": "numeric",
    "sensor": "text",
    "celsius": "numeric",
    "ratio": "numeric",
    "weight": "numeric",
    "note": "text",
    "taken_at": "temporal",
}


@pytest.fixture
def readings(scratch):
    table = sa.Table(
        scratch.name("readings"),
        sa.MetaData(),
        sa.Column("reading_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sensor", sa.String(20), nullable=False),
        sa.Column("celsius", sa.Float, nullable=False),  # MySQL: single-precision FLOAT
        sa.Column("ratio", sa.REAL, nullable=False),  # PostgreSQL: single-precision real
        sa.Column("weight", sa.Numeric(10, 3), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("taken_at", sa.DateTime, nullable=False),
    )
    stamp = datetime(2026, 1, 15, 8, 30)
    return scratch.create(table, [{**row, "taken_at": stamp} for row in ROWS])


def profile_of(engine: sa.Engine, table: sa.Table) -> TableProfile:
    """The profile built by hand: counts and extremes as the database itself reports them."""
    with engine.connect() as conn:
        row_count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        columns = []
        for column in table.columns:
            kind = KINDS[column.name]
            nulls, low, high = conn.execute(
                sa.select(
                    sa.func.count() - sa.func.count(column),
                    sa.func.min(column) if kind != "text" else sa.null(),
                    sa.func.max(column) if kind != "text" else sa.null(),
                ).select_from(table)
            ).one()
            columns.append(
                ColumnProfile(
                    name=column.name,
                    type=str(column.type.compile(dialect=engine.dialect)),
                    kind=kind,
                    null_count=int(nulls),
                    distinct_count=row_count if column.name == "reading_id" else None,
                    min=low,
                    max=high,
                )
            )
    return TableProfile(
        table=table.name, row_count=row_count, columns=tuple(columns), profiled_at=datetime.now(UTC)
    )


def expectation(suite: dict, type_: str, column: str | None = None) -> dict:
    found = [
        e
        for e in suite["expectations"]
        if e["type"] == type_ and (column is None or e["kwargs"].get("column") == column)
    ]
    assert len(found) == 1, (type_, column, found)
    return found[0]


def test_suggested_suite_is_valid_gx_and_passes_then_bites(scratch, readings, tmp_path):
    profile = profile_of(scratch.engine, readings)
    path = write_suggested_suite(
        profile,
        dataset="readings",
        path=tmp_path / "readings.json",
        primary_key=["reading_id"],
        engine=scratch.engine,
    )
    assert path == tmp_path / "readings.json"
    data = json.loads(path.read_text())

    # GX itself loads every expectation (it silently drops invalid ones, so count them).
    loaded = gx.ExpectationSuite(**data)
    assert loaded.name == "readings"
    assert len(loaded.expectations) == len(data["expectations"]) > 0

    meta = data["meta"]["preflight"]
    assert meta["status"] == "suggested" and meta["dataset"] == "readings"
    assert meta["profiled_at"] == profile.profiled_at.isoformat()
    assert datetime.fromisoformat(meta["suggested_at"]).tzinfo is not None
    assert "review" in meta["review"] and "review" in data["notes"]

    rows = expectation(data, "expect_table_row_count_to_be_between")["kwargs"]
    assert (rows["min_value"], rows["max_value"]) == (2, 6)
    for column in readings.columns:
        expectation(data, "expect_column_to_exist", column.name)
    not_null = {
        e["kwargs"]["column"]
        for e in data["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null"
    }
    assert not_null == {"reading_id", "sensor", "celsius", "ratio", "weight", "taken_at"}
    assert expectation(data, "expect_column_values_to_be_unique", "reading_id")
    ranged = {
        e["kwargs"]["column"]
        for e in data["expectations"]
        if e["type"] == "expect_column_values_to_be_between"
    }
    assert ranged == {"celsius", "ratio", "weight"}  # not the identifier, not text or time
    weight = expectation(data, "expect_column_values_to_be_between", "weight")["kwargs"]
    assert (weight["min_value"], weight["max_value"]) == (0.1, 7)
    typed = {
        e["kwargs"]["column"]
        for e in data["expectations"]
        if e["type"] == "expect_column_values_to_be_of_type"
    }
    assert {"reading_id", "sensor"} <= typed  # the rest where GX can match the type by name
    for column in set(KINDS) - typed:
        assert any(note.startswith(f"{column}: type not asserted") for note in meta["notes"])

    checks = run_suite(scratch.engine, readings.name, path, dataset="readings")
    assert len(checks) == len(data["expectations"])
    assert all(c.passed for c in checks), [c.message for c in checks if not c.passed]

    # Tighten one bound below what the data holds: that expectation, and only it, fails.
    celsius = expectation(data, "expect_column_values_to_be_between", "celsius")
    celsius["kwargs"]["max_value"] = 20
    path.write_text(json.dumps(data))
    checks = run_suite(scratch.engine, readings.name, path, dataset="readings")
    failing = [c for c in checks if not c.passed]
    assert [c.id for c in failing] == ["quality.gx.expect_column_values_to_be_between.celsius"]
    assert failing[0].expected == {"min_value": celsius["kwargs"]["min_value"], "max_value": 20}
    assert failing[0].details["unexpected_count"] == 1


def test_runs_alongside_another_gx_context(scratch, readings, tmp_path):
    """Another part of the process creating its own GX context does not break ours."""
    profile = profile_of(scratch.engine, readings)
    path = write_suggested_suite(profile, dataset="readings", path=tmp_path / "readings.json")
    assert all(c.passed for c in run_suite(scratch.engine, readings.name, path, dataset="readings"))
    gx.get_context(mode="ephemeral")
    checks = run_suite(scratch.engine, readings.name, path, dataset="readings")
    assert checks and all(c.passed for c in checks)


def test_write_never_overwrites_without_force(scratch, readings, tmp_path):
    profile = profile_of(scratch.engine, readings)
    path = tmp_path / "suites" / "readings.json"
    write_suggested_suite(profile, dataset="readings", path=path)
    path.write_text(path.read_text().replace('"status": "suggested"', '"status": "reviewed"'))
    reviewed = path.read_text()

    with pytest.raises(FileExistsError, match=r"readings\.json already exists.*force"):
        write_suggested_suite(profile, dataset="readings", path=path)
    assert path.read_text() == reviewed

    write_suggested_suite(profile, dataset="readings", path=path, force=True)
    replaced = json.loads(path.read_text())
    assert replaced["meta"]["preflight"]["status"] == "suggested"
    assert [p.name for p in path.parent.iterdir()] == ["readings.json"]  # no temporary left


def test_without_an_engine_types_are_left_out_and_why():
    profile = TableProfile(
        table="orders",
        row_count=10,
        profiled_at=datetime(2026, 1, 1, tzinfo=UTC),
        columns=(
            ColumnProfile(
                name="order_id", type="INTEGER", kind="numeric", null_count=0, min=1, max=10
            ),
            ColumnProfile(name="line", type="INTEGER", kind="numeric", null_count=0, min=1, max=3),
            ColumnProfile(
                name="price", type="FLOAT", kind="numeric", null_count=2, min=0.5, max=9.99
            ),
        ),
    )
    suite = suggest_suite(profile, dataset="orders", primary_key=("order_id", "line"), row_band=0.2)
    types = {e["type"] for e in suite["expectations"]}
    assert "expect_column_values_to_be_of_type" not in types
    assert any("column types not asserted" in n for n in suite["meta"]["preflight"]["notes"])
    compound = expectation(suite, "expect_compound_columns_to_be_unique")
    assert compound["kwargs"]["column_list"] == ["order_id", "line"]
    rows = expectation(suite, "expect_table_row_count_to_be_between")["kwargs"]
    assert (rows["min_value"], rows["max_value"]) == (8, 12)
    price = expectation(suite, "expect_column_values_to_be_between", "price")["kwargs"]
    assert price["min_value"] <= 0.5 and price["max_value"] >= 9.99  # float bounds widened outward
    assert price["max_value"] - 9.99 < 1e-4
    assert "expect_column_values_to_not_be_null" not in {
        e["type"] for e in suite["expectations"] if e["kwargs"].get("column") == "price"
    }
    assert all(e["meta"]["severity"] == "warning" for e in suite["expectations"])
    assert gx.ExpectationSuite(**suite).name == "orders"


def test_an_empty_table_gets_no_bounds():
    profile = TableProfile(
        table="empty",
        row_count=0,
        profiled_at=datetime(2026, 1, 1, tzinfo=UTC),
        columns=(ColumnProfile(name="amount", type="INTEGER", kind="numeric", null_count=0),),
    )
    suite = suggest_suite(profile, dataset="empty")
    assert [e["type"] for e in suite["expectations"]] == ["expect_column_to_exist"]
    assert any("empty" in n for n in suite["meta"]["preflight"]["notes"])


def test_profile_table_suggestion_passes_where_profiling_exists(scratch, readings, tmp_path):
    profiling = pytest.importorskip("preflight.measure.profile")
    profile = profiling.profile_table(scratch.engine, readings.name)
    path = write_suggested_suite(
        profile,
        dataset="readings",
        path=tmp_path / "readings.json",
        primary_key=["reading_id"],
        engine=scratch.engine,
    )
    checks = run_suite(scratch.engine, readings.name, Path(path), dataset="readings")
    assert checks and all(c.passed for c in checks), [c.message for c in checks if not c.passed]

"""GX suites run against real tables on every engine, and every outcome is a Check."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import great_expectations as gx
import pytest
import sqlalchemy as sa
from great_expectations import expectations as gxe

from preflight.measure.checks.gx_suite import (
    SUITE_CHECK_ID,
    gx_suite,
    run_suite,
    run_suite_detailed,
)
from preflight.measure.registry import ProbeContext, builtin_probes
from preflight.model.config import Config, DatasetConfig, Settings
from preflight.model.results import Check, Severity, TableProfile

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ROWS = [
    {"order_id": 1, "customer": "ada", "amount": 12.5, "status": "paid"},
    {"order_id": 2, "customer": "grace", "amount": 40.0, "status": "paid"},
    {"order_id": 3, "customer": "alan", "amount": 99.0, "status": "refunded"},
    {"order_id": 4, "customer": None, "amount": 7.25, "status": "open"},
]


PROBES = {registered.name: registered for registered in builtin_probes()}


@pytest.fixture
def orders(scratch):
    table = sa.Table(
        scratch.name("orders"),
        sa.MetaData(),
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer", sa.String(40)),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )
    return scratch.create(table, ROWS)


def write_suite(path: Path, *expectations: gxe.Expectation, name: str = "orders") -> Path:
    """A suite file exactly as GX writes one."""
    suite = gx.ExpectationSuite(name=name, expectations=list(expectations))
    path.write_text(json.dumps(suite.to_json_dict(), indent=2))
    return path


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {c.id: c for c in checks}


def test_passing_suite(scratch, orders, tmp_path):
    suite = write_suite(
        tmp_path / "orders.json",
        gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=10),
        gxe.ExpectColumnValuesToNotBeNull(column="order_id", meta={"severity": "blocker"}),
        gxe.ExpectColumnValuesToBeUnique(column="order_id"),
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["paid", "refunded", "open"]),
        gxe.ExpectColumnMaxToBeBetween(column="amount", min_value=50, max_value=100),
    )
    run = run_suite_detailed(scratch.engine, orders.name, suite, dataset="orders")

    assert [c.id for c in run.checks] == [
        "quality.gx.expect_table_row_count_to_be_between.table",
        "quality.gx.expect_column_values_to_not_be_null.order_id",
        "quality.gx.expect_column_values_to_be_unique.order_id",
        "quality.gx.expect_column_values_to_be_between.amount",
        "quality.gx.expect_column_values_to_be_in_set.status",
        "quality.gx.expect_column_max_to_be_between.amount",
    ]
    assert all(c.passed for c in run.checks), [c.message for c in run.checks if not c.passed]
    assert (run.evaluated, run.successful, run.not_evaluated) == (6, 6, 0)
    checks = by_id(run.checks)
    assert (
        checks["quality.gx.expect_column_values_to_not_be_null.order_id"].severity
        is Severity.BLOCKER
    )
    assert (
        checks["quality.gx.expect_column_values_to_be_unique.order_id"].severity is Severity.WARNING
    )
    row_count = checks["quality.gx.expect_table_row_count_to_be_between.table"]
    assert row_count.observed == 4
    assert row_count.expected == {"min_value": 1, "max_value": 10}
    assert row_count.column is None
    in_set = checks["quality.gx.expect_column_values_to_be_in_set.status"]
    assert in_set.expected == {"value_set": ["paid", "refunded", "open"]}
    assert in_set.column == "status" and in_set.dataset == "orders"
    assert in_set.details["expectation_type"] == "expect_column_values_to_be_in_set"
    assert in_set.details["unexpected_count"] == 0
    assert in_set.details["unexpected_percent"] == 0
    assert in_set.observed == 0  # no observed_value for a map expectation: the unexpected %
    assert float(checks["quality.gx.expect_column_max_to_be_between.amount"].observed) == 99.0
    # plain run_suite gives the same checks
    assert [c.id for c in run_suite(scratch.engine, orders.name, suite, dataset="orders")] == [
        c.id for c in run.checks
    ]


def test_failing_suite_reports_observed_and_expected(scratch, orders, tmp_path):
    suite = write_suite(
        tmp_path / "orders.json",
        gxe.ExpectColumnValuesToNotBeNull(column="customer", meta={"severity": "blocker"}),
        gxe.ExpectColumnMaxToBeBetween(column="amount", min_value=0, max_value=50),
        gxe.ExpectColumnValuesToBeInSet(
            column="status", value_set=["paid"], meta={"severity": "info"}
        ),
        gxe.ExpectTableRowCountToBeBetween(min_value=10, max_value=20),
    )
    checks = by_id(run_suite(scratch.engine, orders.name, suite, dataset="orders"))

    nulls = checks["quality.gx.expect_column_values_to_not_be_null.customer"]
    assert not nulls.passed and nulls.severity is Severity.BLOCKER
    assert nulls.details["unexpected_count"] == 1
    assert nulls.details["unexpected_percent"] == pytest.approx(25.0)
    assert nulls.observed == pytest.approx(25.0)
    assert "1 of 4 values (25.00%)" in nulls.message
    assert nulls.remediation and "orders.json" in nulls.remediation

    max_check = checks["quality.gx.expect_column_max_to_be_between.amount"]
    assert not max_check.passed and max_check.severity is Severity.WARNING
    assert float(max_check.observed) == 99.0
    assert max_check.expected == {"min_value": 0, "max_value": 50}
    assert "max_value=50" in max_check.message and "99" in max_check.message

    in_set = checks["quality.gx.expect_column_values_to_be_in_set.status"]
    assert not in_set.passed and in_set.severity is Severity.INFO
    assert in_set.details["unexpected_count"] == 2

    rows = checks["quality.gx.expect_table_row_count_to_be_between.table"]
    assert not rows.passed and rows.observed == 4
    assert "observed 4" in rows.message and "min_value=10" in rows.message
    # Counts only: the offending values themselves never travel into a Check.
    assert "refunded" not in in_set.message and "partial_unexpected_list" not in in_set.details


def test_bad_json_is_one_failing_check(scratch, orders, tmp_path):
    suite = tmp_path / "orders.json"
    suite.write_text('{"name": "orders", "expectations": [')
    checks = run_suite(scratch.engine, orders.name, suite, dataset="orders")
    assert len(checks) == 1
    (check,) = checks
    assert check.id == SUITE_CHECK_ID and not check.passed
    assert check.severity is Severity.WARNING
    assert "orders.json" in check.message and "not valid JSON" in check.message
    assert check.remediation and "orders.json" in check.remediation


def test_not_a_suite_is_one_failing_check(scratch, orders, tmp_path):
    suite = tmp_path / "orders.json"
    suite.write_text('[{"type": "expect_column_to_exist"}]')
    (check,) = run_suite(scratch.engine, orders.name, suite, dataset="orders")
    assert check.id == SUITE_CHECK_ID and not check.passed and "orders.json" in check.message


def test_unknown_type_and_invalid_kwargs_are_reported_and_the_rest_runs(scratch, orders, tmp_path):
    suite = write_suite(
        tmp_path / "orders.json",
        gxe.ExpectColumnValuesToNotBeNull(column="order_id"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=10),
    )
    data = json.loads(suite.read_text())
    data["expectations"].insert(
        1, {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "status"}}
    )
    data["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "amount", "min_value": "cheap"},
        }
    )
    suite.write_text(json.dumps(data))

    run = run_suite_detailed(scratch.engine, orders.name, suite, dataset="orders")
    checks = by_id(run.checks)
    problem = checks[SUITE_CHECK_ID]
    assert not problem.passed and problem.severity is Severity.WARNING
    assert "orders.json" in problem.message
    assert (
        "expect_column_values_to_be_purple" in problem.message
        and "unknown expectation type" in problem.message
    )
    assert "min_value" in problem.message
    assert len(problem.details["problems"]) == 2
    # The two valid expectations still ran.
    assert checks["quality.gx.expect_column_values_to_not_be_null.order_id"].passed
    assert checks["quality.gx.expect_table_row_count_to_be_between.table"].passed
    assert (run.evaluated, run.successful, run.not_evaluated) == (2, 2, 2)


def test_an_unknown_severity_is_reported_and_the_expectation_runs_as_warning(
    scratch, orders, tmp_path
):
    suite = write_suite(
        tmp_path / "orders.json",
        gxe.ExpectColumnValuesToBeUnique(column="order_id", meta={"severity": "urgent"}),
    )
    run = run_suite_detailed(scratch.engine, orders.name, suite, dataset="orders")
    checks = by_id(run.checks)
    assert "'urgent'" in checks[SUITE_CHECK_ID].message
    unique = checks["quality.gx.expect_column_values_to_be_unique.order_id"]
    assert unique.passed and unique.severity is Severity.WARNING
    assert (run.evaluated, run.successful, run.not_evaluated) == (1, 1, 0)


def test_missing_column_is_named_and_the_rest_runs(scratch, orders, tmp_path):
    suite = write_suite(
        tmp_path / "orders.json",
        gxe.ExpectColumnValuesToNotBeNull(column="shipped_at", meta={"severity": "blocker"}),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["order_id", "warehouse"]),
        gxe.ExpectColumnValuesToBeUnique(column="order_id"),
        gxe.ExpectColumnMaxToBeBetween(column="amount", min_value=0, max_value=50),
    )
    run = run_suite_detailed(scratch.engine, orders.name, suite, dataset="orders")
    checks = by_id(run.checks)

    missing = checks["quality.gx.expect_column_values_to_not_be_null.shipped_at"]
    assert not missing.passed and missing.severity is Severity.BLOCKER
    assert "'shipped_at'" in missing.message and "no such column" in missing.message
    assert missing.column == "shipped_at" and missing.observed == "column missing"
    compound = checks["quality.gx.expect_compound_columns_to_be_unique.order_id+warehouse"]
    assert not compound.passed and "'warehouse'" in compound.message
    assert "order_id" not in compound.details["missing_columns"]

    assert checks["quality.gx.expect_column_values_to_be_unique.order_id"].passed
    assert not checks["quality.gx.expect_column_max_to_be_between.amount"].passed
    assert (run.evaluated, run.successful, run.not_evaluated) == (2, 1, 2)


def test_repeated_expectations_get_distinct_ids(scratch, orders, tmp_path):
    suite = tmp_path / "orders.json"
    same = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer"}}
    suite.write_text(
        json.dumps(
            {
                "name": "orders",
                "expectations": [
                    same,
                    {**same, "meta": {"severity": "info"}},
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "amount", "min_value": 0},
                    },
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "amount", "max_value": 50},
                    },
                ],
            }
        )
    )
    checks = run_suite(scratch.engine, orders.name, suite, dataset="orders")
    assert [c.id for c in checks] == [
        "quality.gx.expect_column_values_to_not_be_null.customer",
        "quality.gx.expect_column_values_to_not_be_null.customer.2",
        "quality.gx.expect_column_values_to_be_between.amount",
        "quality.gx.expect_column_values_to_be_between.amount.2",
    ]
    assert [c.passed for c in checks] == [False, False, True, False]
    assert [c.severity for c in checks][:2] == [Severity.WARNING, Severity.INFO]
    assert all("error" not in c.details for c in checks)


def test_missing_table_is_a_failing_check(scratch, tmp_path):
    suite = write_suite(tmp_path / "orders.json", gxe.ExpectColumnToExist(column="order_id"))
    (check,) = run_suite(scratch.engine, scratch.name("absent"), suite, dataset="orders")
    assert check.id == SUITE_CHECK_ID and not check.passed and "does not exist" in check.message


def test_credentials_never_appear(scratch, tmp_path):
    if scratch.dialect == "sqlite":
        pytest.skip("SQLite URLs carry no credentials")
    secret = "Sup3r-s3cret/pa:ss@word"
    url = scratch.engine.url.set(password=secret, database="preflight_no_such_database")
    engine = sa.create_engine(url)
    suite = write_suite(tmp_path / "orders.json", gxe.ExpectColumnToExist(column="order_id"))
    try:
        checks = run_suite(engine, "orders", suite, dataset="orders")
    finally:
        engine.dispose()
    (check,) = checks
    assert check.id == SUITE_CHECK_ID and not check.passed
    text = check.model_dump_json()
    assert "s3cret" not in text and "pa%3Ass" not in text


def test_scrubber_removes_the_password_in_any_spelling():
    from preflight.measure.checks.gx_suite import _scrubber

    url = sa.make_url("postgresql+psycopg2://audit:p%40ss%2Fw0rd@db.example:5432/warehouse")
    scrub = _scrubber(url)
    for leaked in (
        url.render_as_string(hide_password=False),
        "password p@ss/w0rd was refused",
        "DSN postgresql://audit:p%40ss%2Fw0rd@db.example/warehouse",
        "mysql://other:hunter2@host/db",
    ):
        cleaned = scrub(leaked)
        assert (
            "p@ss/w0rd" not in cleaned
            and "p%40ss%2Fw0rd" not in cleaned
            and "hunter2" not in cleaned
        )


def test_gx_is_silent(scratch, orders, tmp_path, capfd):
    suite = write_suite(
        tmp_path / "orders.json",
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=100),
        gxe.ExpectColumnMeanToBeBetween(column="amount", min_value=0, max_value=100),
    )
    capfd.readouterr()
    run_suite(scratch.engine, orders.name, suite, dataset="orders")
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert "%|" not in err  # no tqdm bar of any kind


def _probe_context(
    scratch, table: str, expectations_dir: Path, name: str = "orders"
) -> ProbeContext:
    config = Config(
        directory=expectations_dir, settings=Settings(expectations_dir=str(expectations_dir))
    )
    return ProbeContext(
        name=name,
        dataset=DatasetConfig(source="warehouse", table=table),
        config=config,
        engine=scratch.engine,
        profile=TableProfile(table=table, row_count=len(ROWS), profiled_at=datetime.now(UTC)),
        now=datetime.now(UTC),
    )


def test_probe_runs_the_datasets_suite_and_records_facts(scratch, orders, tmp_path):
    assert PROBES["gx_suite"].order == 30 and PROBES["gx_suite"].dimension == "quality"
    write_suite(
        tmp_path / "orders.json",
        gxe.ExpectColumnValuesToBeUnique(column="order_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer"),
        gxe.ExpectColumnToExist(column="gone"),
    )
    ctx = _probe_context(scratch, orders.name, tmp_path)
    checks = list(gx_suite(ctx))
    assert len(checks) == 3 and all(c.dataset == "orders" for c in checks)
    assert ctx.facts["gx"] == {
        "suite": "orders.json",
        "evaluated": 2,
        "successful": 1,
        "not_evaluated": 1,
    }


def test_probe_without_a_suite_adds_nothing(scratch, orders, tmp_path):
    ctx = _probe_context(scratch, orders.name, tmp_path, name="no_suite_here")
    assert list(gx_suite(ctx)) == []
    assert "gx" not in ctx.facts


def test_example_suite_passes_on_the_demo_data(tmp_path):
    """The example in expectations/ is real: it passes on the demo warehouse table it describes."""
    from preflight.airflow.demo.warehouse import build_table

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    try:
        build_table(engine, "reading_events")
        run = run_suite_detailed(
            engine,
            "reading_events",
            REPO / "expectations" / "reading_events.json",
            dataset="reading_events",
        )
    finally:
        engine.dispose()
    assert run.checks and all(c.passed for c in run.checks), [
        c.message for c in run.checks if not c.passed
    ]
    assert run.not_evaluated == 0

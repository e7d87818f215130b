"""Contracts audited against real tables: the ODCS project's own example on SQLite, and a
contract's rules that Great Expectations runs, on every engine."""

from __future__ import annotations

import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from preflight.config import load_config
from preflight.measure.audit import audit_dataset
from preflight.model.results import DatasetAudit

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "data" / "odcs" / "full-example.odcs.yaml"


def _by_id(audit: DatasetAudit) -> dict[str, object]:
    return {c.id: c for c in audit.checks}


def test_the_odcs_projects_example_contract_loads_and_audits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    db = tmp_path / "payments.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    meta = sa.MetaData()
    # The example's two tables, by their physical names and types.
    receivers = sa.Table(
        "receivers_master", meta,
        sa.Column("id", sa.String(18), primary_key=True), sa.Column("country_code", sa.String(2), primary_key=True),
        sa.Column("receiver_name", sa.String(255), nullable=False), sa.Column("receiver_type", sa.String(20)),
    )
    payments = sa.Table(
        "tbl_1", meta,
        sa.Column("txn_ref_dt", sa.Date), sa.Column("rcvr_id", sa.String(18)), sa.Column("rcvr_cntry_code", sa.String(2)),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        # (id, country) is unique, id alone is not: the contract asks for both.
        conn.execute(receivers.insert(), [
            {"id": "r1", "country_code": "US", "receiver_name": "Acme", "receiver_type": "business"},
            {"id": "r1", "country_code": "FR", "receiver_name": "Acme FR", "receiver_type": "business"},
            {"id": "r2", "country_code": "US", "receiver_name": "Bo", "receiver_type": "individual"},
        ])
        conn.execute(payments.insert(), [
            {"txn_ref_dt": date(2022, 10, 3), "rcvr_id": "r1", "rcvr_cntry_code": "US"},
            {"txn_ref_dt": date(2022, 10, 4), "rcvr_id": "r2", "rcvr_cntry_code": "US"},
            {"txn_ref_dt": date(2022, 10, 5), "rcvr_id": "r9", "rcvr_cntry_code": None},
        ])
    engine.dispose()
    config_dir = tmp_path / "config"
    (config_dir / "contracts").mkdir(parents=True)
    (config_dir / "preflight.yaml").write_text(f"sources:\n  payments:\n    url: sqlite:///{db}\n")
    shutil.copy(EXAMPLE, config_dir / "contracts" / EXAMPLE.name)

    config = load_config(config_dir)
    assert {n: d.table for n, d in config.datasets.items()} == {"tbl": "tbl_1", "receivers": "receivers_master"}
    tbl, rcv = config.datasets["tbl"], config.datasets["receivers"]
    assert tbl.owner == "daustin" and tbl.classification == "restricted" and tbl.min_rows == 1_000_001
    assert rcv.primary_key == ("id", "country_code") and rcv.unique_columns == ("id",)

    tbl_audit = audit_dataset(config, "tbl")
    checks = _by_id(tbl_audit)
    assert not [c for c in tbl_audit.checks if c.id.endswith("probe_error")], tbl_audit.checks
    assert checks["quality.completeness.rcvr_cntry_code"].passed is False  # nullValues mustBe 0
    assert checks["quality.volume"].passed is False  # rowCount mustBeGreaterThan 1000000
    assert checks["quality.consistency.rcvr_id"].passed is False  # r9 is no receiver
    assert checks["quality.schema"].passed is True  # the declared physical types
    # The composite foreign key is a composite related key: (r9, NULL) has a NULL part, not checked.
    assert tbl.related_keys[-1].columns == ("rcvr_id", "rcvr_cntry_code")
    assert tbl.related_keys[-1].references.columns == ("id", "country_code")
    composite = checks["quality.consistency.rcvr_id.rcvr_cntry_code"]
    assert composite.passed is True and composite.measured is True, composite.message
    notes = " ".join(tbl_audit.facts["contract"]["not_checked"])
    assert "retention 3 y" in notes and "tab1.txn_ref_dt" in notes

    rcv_audit = audit_dataset(config, "receivers")
    checks = _by_id(rcv_audit)
    assert not [c for c in rcv_audit.checks if c.id.endswith("probe_error")], rcv_audit.checks
    assert checks["quality.uniqueness.primary_key"].passed is True
    assert checks["quality.uniqueness.id"].passed is False
    unknown = checks["quality.contract.relationship"]
    assert unknown.measured is False and "receiver_types" in unknown.message


RULES = """\
apiVersion: v3.1.0
kind: DataContract
id: rules-on-{engine}
version: 1.0.0
schema:
  - name: orders
    physicalName: {table}
    quality:
      - id: few_rows
        metric: rowCount
        mustBeBetween: [1, 4]
      - id: not_too_many
        metric: rowCount
        mustBeLessOrEqualTo: 100
      - id: one_status_per_customer
        metric: duplicateValues
        mustBe: 0
        arguments:
          properties: [customer, status]
      - id: no_negative_totals
        type: sql
        query: SELECT COUNT(*) FROM {{object}} WHERE total < 0
        mustBe: 0
      - id: moon
        type: custom
        engine: greatExpectations
        implementation: {{type: expect_the_moon, kwargs: {{}}}}
    properties:
      - name: id
        primaryKey: true
      - name: customer
        logicalType: integer
        logicalTypeOptions: {{exclusiveMinimum: 0}}
      - name: status
      - name: code
        logicalType: string
        logicalTypeOptions: {{maxLength: 3}}
        quality:
          - id: code_present
            metric: missingValues
            arguments: {{missingValues: ["", "N/A"]}}
            mustBe: 0
      - name: total
        quality:
          - id: total_small
            type: custom
            engine: greatExpectations
            implementation:
              type: expect_column_values_to_be_between
              kwargs: {{maxValue: 100}}
      - name: note
        quality:
          - id: note_mostly_there
            metric: nullValues
            mustBeLessOrEqualTo: 50
            unit: percent
"""


def test_contract_rules_run_through_great_expectations(scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    table = scratch.create(
        sa.Table(
            scratch.name("orders"), sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), sa.Column("customer", sa.Integer),
            sa.Column("status", sa.String(10)), sa.Column("code", sa.String(5)),
            sa.Column("total", sa.Integer), sa.Column("note", sa.String(200)),
        ),
        [
            {"id": 1, "customer": 1, "status": "paid", "code": "AB", "total": 10, "note": "a"},
            {"id": 2, "customer": 1, "status": "paid", "code": "N/A", "total": 150, "note": "b"},
            {"id": 3, "customer": 2, "status": "new", "code": "CD", "total": 20, "note": None},
            {"id": 4, "customer": 3, "status": "new", "code": "EF", "total": 30, "note": "d"},
            {"id": 5, "customer": 4, "status": "paid", "code": "GH", "total": 40, "note": "e"},
        ],
    )
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "preflight.yaml").write_text(f"sources:\n  db:\n    url: {scratch.url}\n")
    (config_dir / "orders.odcs.yaml").write_text(RULES.format(engine=scratch.dialect, table=table.name))

    audit = audit_dataset(load_config(config_dir), "orders")
    checks = _by_id(audit)
    expected = {
        "quality.contract.few_rows": (False, True),  # 5 rows, not strictly between 1 and 4
        "quality.contract.not_too_many": (True, True),
        "quality.contract.one_status_per_customer": (False, True),  # customer 1 paid twice
        "quality.contract.code_present": (False, True),  # one N/A
        "quality.contract.total_small": (False, True),  # 150
        "quality.contract.note_mostly_there": (True, True),  # 20% NULL
        "quality.contract.customer.between": (True, True),
        "quality.contract.code.length": (True, True),
        "quality.contract.no_negative_totals": (False, False),  # SQL is never run: not measured
        "quality.contract.moon": (False, False),  # GX has no such expectation
    }
    got = {cid: (checks[cid].passed, checks[cid].measured) for cid in expected if cid in checks}  # type: ignore[attr-defined]
    assert got == expected, {c.id: c.message for c in audit.checks if c.id.startswith("quality.contract.")}
    assert "expect_the_moon" in checks["quality.contract.moon"].message  # type: ignore[attr-defined]
    facts = audit.facts["contract"]
    assert (facts["run_as_gx"], facts["evaluated"], facts["not_supported"]) == (8, 8, 1)


def test_a_composite_primary_key_is_checked_for_duplicates(scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    table = scratch.create(
        sa.Table(scratch.name("lines"), sa.MetaData(), sa.Column("order_id", sa.Integer), sa.Column("line", sa.Integer)),
        [{"order_id": 1, "line": 1}, {"order_id": 1, "line": 2}, {"order_id": 1, "line": 2}, {"order_id": 2, "line": 1}],
    )
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "preflight.yaml").write_text(f"sources:\n  db:\n    url: {scratch.url}\n")
    (config_dir / "lines.odcs.yaml").write_text(textwrap.dedent(f"""\
        apiVersion: v3.1.0
        kind: DataContract
        id: lines
        version: 1.0.0
        schema:
          - name: lines
            physicalName: {table.name}
            properties:
              - {{name: line, primaryKey: true, primaryKeyPosition: 2}}
              - {{name: order_id, primaryKey: true, primaryKeyPosition: 1}}
        """))
    config = load_config(config_dir)
    assert config.datasets["lines"].primary_key == ("order_id", "line")
    key = _by_id(audit_dataset(config, "lines"))["quality.uniqueness.primary_key"]
    assert (key.passed, key.observed) == (False, 1)  # type: ignore[attr-defined]

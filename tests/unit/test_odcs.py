"""ODCS contracts as catalog entries, without a database: recognising contract files,
mapping every field Preflight reads, errors that name the contract file and field, and
export → import giving back the same catalog entry."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from preflight.authoring.odcs import (
    CP_TYPE_SOURCE,
    contract_files,
    contract_for_entry,
    contract_yaml,
)
from preflight.config import load_config
from preflight.errors import ConfigError
from preflight.model.config import DatasetConfig, SourceConfig
from preflight.model.results import ColumnProfile, DatasetAudit, DatasetStatus, TableProfile

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)

SOURCES = """\
sources:
  warehouse: {url: "sqlite:///${PREFLIGHT_HOME}/warehouse.db"}
"""

CATALOG = """\
datasets:
  customers:
    source: warehouse
    table: customers
    primary_key: id
"""

ORDERS = """\
apiVersion: v3.1.0
kind: DataContract
id: orders-contract
version: 2.1.0
status: active
name: orders
servers:
  - server: warehouse
    type: custom
    format: sqlite
description:
  purpose: Every order placed in the shop.
tags: [sales]
team:
  name: shop-data
  members:
    - username: alice@example.com
      role: Data Scientist
    - username: orders-team@example.com
      role: Owner
    - username: Head of Sales
      role: Business Sponsor
authoritativeDefinitions:
  - type: canonicalUrl
    url: https://example.com/contracts/orders
slaProperties:
  - property: latency
    value: 6
    unit: h
    element: orders.updated_at
  - property: frequency
    value: 1
    unit: d
  - property: retention
    value: 3
    unit: y
schema:
  - name: orders
    physicalName: shop_orders
    physicalType: table
    description: One row per order.
    tags: [orders]
    authoritativeDefinitions:
      - type: businessDefinition
        url: https://wiki.example.com/orders
    customProperties:
      - property: dataClassification
        value: Confidential
      - property: preflightTextColumns
        value: [note]
      - property: preflightAccessLabelColumn
        value: label
      - property: preflightSystemOfRecord
        value: true
    quality:
      - id: enough_orders
        metric: rowCount
        mustBeGreaterThan: 100
      - metric: rowCount
        mustBeBetween: [10, 1000]
        severity: error
      - metric: duplicateValues
        mustBe: 0
        arguments:
          properties: [customer, status]
      - type: text
        description: Orders are never deleted.
      - type: sql
        query: SELECT COUNT(*) FROM {object} WHERE total < 0
        mustBe: 0
      - type: custom
        engine: soda
        implementation: "type: row_count"
    properties:
      - name: id
        physicalType: INTEGER
        logicalType: integer
        primaryKey: true
        primaryKeyPosition: 1
        required: true
        description: Order id.
      - name: customer
        physicalName: customer_id
        physicalType: INTEGER
        required: true
        relationships:
          - to: customers.id
      - name: status
        physicalType: VARCHAR(20)
        customProperties:
          - property: preflightTypeSource
            value: measured
        quality:
          - metric: invalidValues
            arguments: {validValues: [new, paid, shipped]}
            mustBe: 0
          - metric: invalidValues
            arguments: {validValues: [new, paid]}
            mustBe: 0
          - metric: nullValues
            mustBeLessOrEqualTo: 5
            unit: percent
      - name: code
        logicalType: string
        logicalTypeOptions: {pattern: "^[A-Z]{3}$", minLength: 3, maxLength: 3, format: uuid}
        unique: true
        quality:
          - metric: missingValues
            arguments: {missingValues: [null, "", "N/A"]}
            mustBe: 0
      - name: total
        logicalType: number
        logicalTypeOptions: {minimum: 0, maximum: 10000}
        quality:
          - metric: nullValues
            mustBe: 0
      - name: discount
        logicalType: number
        logicalTypeOptions: {exclusiveMinimum: 0, maximum: 1, multipleOf: 0.05}
      - name: note
        logicalType: string
        quality:
          - type: custom
            engine: greatExpectations
            implementation: |
              type: expect_column_value_lengths_to_be_between
              kwargs:
                maxValue: 500
      - name: label
        enum: [{value: public}, {value: staff}]
      - name: updated_at
        physicalType: DATETIME
"""


def _config_dir(tmp_path: Path, contract: str | None = ORDERS, *, name: str = "orders.odcs.yaml", catalog: str = CATALOG, sources: str = SOURCES) -> Path:
    root = tmp_path / "config"
    (root / "contracts").mkdir(parents=True)
    (root / "preflight.yaml").write_text(sources)
    (root / "catalog.yaml").write_text(catalog)
    if contract is not None:
        (root / "contracts" / name).write_text(contract)
    return root


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_contract_files_are_recognised_and_kept_out_of_the_yaml_loader(tmp_path: Path) -> None:
    root = _config_dir(tmp_path)
    (root / "payments.odcs.yml").write_text("not read as catalog YAML")
    (root / "contracts" / ".orders.odcs.yaml.swp").write_text("editor backup")
    (root / "notes.txt").write_text("not configuration")
    assert [p.name for p in contract_files(root)] == ["orders.odcs.yaml", "payments.odcs.yml"]
    (root / "payments.odcs.yml").unlink()
    config = load_config(root)
    assert set(config.datasets) == {"customers", "orders"}
    assert config.origin("datasets", "orders").endswith("contracts/orders.odcs.yaml")
    assert config.origin("datasets", "customers").endswith("catalog.yaml")


def test_every_field_preflight_reads_is_mapped(tmp_path: Path) -> None:
    config = load_config(_config_dir(tmp_path))
    orders = config.datasets["orders"]
    assert orders.source == "warehouse" and orders.table == "shop_orders"
    assert orders.description == "One row per order."
    assert orders.owner == "orders-team@example.com"
    assert orders.business_sponsor == "Head of Sales"
    assert orders.tags == ("orders", "sales")
    assert orders.classification == "confidential"
    assert orders.documentation_url == "https://wiki.example.com/orders"
    assert orders.text_columns == ("note",)
    assert orders.access_label_column == "label"
    assert orders.system_of_record is True
    assert orders.primary_key == ("id",)
    # The primary key is complete by definition: required_columns holds the rest (code:
    # its missingValues rule lists null).
    assert orders.required_columns == ("customer_id", "code", "total")
    assert orders.unique_columns == ("code",)
    assert orders.accepted_values == {"status": ("new", "paid", "shipped"), "label": ("public", "staff")}
    assert orders.patterns == {"code": "^[A-Z]{3}$"}
    assert orders.ranges["total"].min == 0 and orders.ranges["total"].max == 10000
    assert orders.min_rows == 101
    assert orders.freshness is not None
    assert (orders.freshness.column, orders.freshness.slo) == ("updated_at", timedelta(hours=6))
    assert orders.update_cadence == "daily"
    assert [(k.columns, str(k.references)) for k in orders.related_keys] == [(("customer_id",), "customers.id")]
    # physicalType is a promise, unless Preflight marked it as measured.
    assert orders.columns == {"id": "INTEGER", "customer_id": "INTEGER", "code": "string", "total": "number",
                              "discount": "number", "note": "string", "updated_at": "DATETIME"}
    assert orders.column_descriptions == {"id": "Order id."}

    contract = config.contracts["orders"]
    assert contract.contract_id == "orders-contract" and contract.version == "2.1.0"
    rules = {r.id: r for r in contract.rules}
    gx = {rid: r.expectation for rid, r in rules.items() if r.expectation}
    assert gx["table.rowCount"] == {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 11, "max_value": 999},  # ODCS: mustBeBetween is exclusive
        "meta": {"severity": "blocker"},
    }
    assert gx["table.duplicateValues"]["type"] == "expect_compound_columns_to_be_unique"
    assert gx["table.duplicateValues"]["kwargs"] == {"column_list": ["customer_id", "status"]}
    assert gx["status.invalidValues"]["kwargs"] == {"column": "status", "value_set": ["new", "paid"]}
    assert gx["status.nullValues"]["kwargs"] == {"column": "status", "mostly": pytest.approx(0.95)}
    assert gx["code.missingValues"]["kwargs"] == {"column": "code", "value_set": ["", "N/A"]}
    assert gx["code.length"]["kwargs"] == {"column": "code", "min_value": 3, "max_value": 3}
    assert gx["discount.between"]["kwargs"] == {"column": "discount", "min_value": 0, "max_value": 1, "strict_min": True}
    assert gx["note.expect_column_value_lengths_to_be_between"] == {
        "type": "expect_column_value_lengths_to_be_between",
        "kwargs": {"max_value": 500, "column": "note"},  # camelCase → GX's snake_case; the property's column
        "meta": {"severity": "warning"},
    }
    unsupported = {rid: r.reason for rid, r in rules.items() if r.expectation is None}
    assert set(unsupported) == {"table.sql", "table.custom", "discount.multipleOf"}
    assert "does not run SQL" in unsupported["table.sql"]
    assert "soda" in unsupported["table.custom"]
    notes = " | ".join(n.text for n in contract.notes)
    assert "Orders are never deleted" in notes and "retention 3 y" in notes and "format" in notes


CASES = [
    pytest.param("      - name: status\n", "      - name: status\n        primaryKeys: true\n", "schema.0.properties.2", id="unknown-field"),
    pytest.param('arguments: {validValues: [new, paid, shipped]}', 'arguments: {pattern: "([a-z"}', "schema.0.properties.2.quality.0.arguments.pattern", id="bad-regex"),
    pytest.param("    value: 6\n    unit: h\n", "    value: 6\n    unit: fortnights\n", "slaProperties.0.unit", id="unknown-unit"),
    pytest.param("        value: Confidential\n", "        value: secret\n", "schema.0.customProperties.0.value", id="bad-classification"),
    pytest.param("apiVersion: v3.1.0\n", "apiVersion: v2.2.2\n", "apiVersion", id="odcs-v2"),
    pytest.param("kind: DataContract\n", "kind: Contract\n", "kind", id="wrong-kind"),
    pytest.param("          - to: customers.id\n", "          - to: customers.uuid\n", None, id="fk-to-missing-yaml-column-is-fine"),
    pytest.param("      - metric: duplicateValues\n        mustBe: 0\n        arguments:\n          properties: [customer, status]\n",
                 "      - metric: duplicateValues\n        mustBe: 0\n        arguments:\n          properties: [customer, nope]\n",
                 "schema.0.quality.2.arguments.properties", id="unknown-property-in-key"),
    pytest.param("              type: expect_column_value_lengths_to_be_between\n", "              kind: nothing\n",
                 "schema.0.properties.6.quality.0.implementation", id="gx-rule-without-type"),
    pytest.param("version: 2.1.0\n", "version: 2.1.0\nversion: 3.0.0\n", "line 5, column 1", id="duplicate-key"),
    pytest.param("status: active\n", "status: [active\n", "line", id="yaml-syntax"),
]


@pytest.mark.parametrize(("old", "new", "field"), CASES)
def test_errors_name_the_contract_file_and_field(tmp_path: Path, old: str, new: str, field: str | None) -> None:
    root = _config_dir(tmp_path, _edit(ORDERS, old, new))
    if field is None:  # a reference into a YAML entry is checked by the audit, not the loader
        load_config(root)
        return
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert caught.value.file is not None and caught.value.file.endswith("orders.odcs.yaml"), caught.value
    assert caught.value.field is not None and caught.value.field.startswith(field), caught.value
    assert str(caught.value).startswith(caught.value.file)


def test_unknown_source_and_ambiguous_servers_are_errors(tmp_path: Path) -> None:
    two = SOURCES + '  archive: {url: "sqlite:///${PREFLIGHT_HOME}/archive.db"}\n'
    contract = _edit(ORDERS, "  - server: warehouse\n", "  - server: production\n")
    with pytest.raises(ConfigError, match="none of its servers") as caught:
        load_config(_config_dir(tmp_path / "a", contract, sources=two))
    assert caught.value.field == "servers"
    # With one source, that source holds the contract's tables.
    assert load_config(_config_dir(tmp_path / "b", contract)).datasets["orders"].source == "warehouse"
    explicit = contract + "customProperties:\n  - property: preflightSource\n    value: nowhere\n"
    with pytest.raises(ConfigError, match="nowhere") as caught:
        load_config(_config_dir(tmp_path / "c", explicit, sources=two))
    assert caught.value.field == "customProperties.0.value"
    chosen = contract + "customProperties:\n  - property: preflightSource\n    value: archive\n"
    assert load_config(_config_dir(tmp_path / "d", chosen, sources=two)).datasets["orders"].source == "archive"


def test_a_dataset_in_both_yaml_and_a_contract_is_an_error(tmp_path: Path) -> None:
    catalog = CATALOG + "  orders:\n    source: warehouse\n    table: orders\n"
    with pytest.raises(ConfigError, match="also defined in") as caught:
        load_config(_config_dir(tmp_path, catalog=catalog))
    assert caught.value.file.endswith("orders.odcs.yaml") and caught.value.field == "schema.0.name"


def test_relationships_between_contracts_and_unknown_targets(tmp_path: Path) -> None:
    customers = textwrap.dedent("""\
        apiVersion: v3.1.0
        kind: DataContract
        id: customers
        version: 1.0.0
        schema:
          - name: customers
            physicalName: crm_customers
            properties:
              - {name: id, physicalName: customer_key, primaryKey: true}
              - name: region
                relationships:
                  - to: regions.code
        """)
    root = _config_dir(tmp_path, catalog="datasets: {}\n")
    (root / "contracts" / "customers.yaml").write_text(customers)
    config = load_config(root)
    # orders.customer → customers.id: the target's physical column.
    assert str(config.datasets["orders"].related_keys[0].references) == "customers.customer_key"
    rule = next(r for r in config.contracts["customers"].rules if r.id == "relationship")
    assert rule.expectation is None and "regions" in (rule.reason or "")
    broken = customers.replace("to: regions.code", "to: orders.nope")
    (root / "contracts" / "customers.yaml").write_text(broken)
    with pytest.raises(ConfigError, match="no property 'nope'") as caught:
        load_config(root)
    assert caught.value.field == "schema.0.properties.1.relationships.0.to"


def _full_entry(**extra: object) -> DatasetConfig:
    return DatasetConfig.model_validate({
        "source": "warehouse",
        "table": "shop_orders",
        "description": "One row per order.",
        "owner": "orders-team@example.com",
        "business_sponsor": "Head of Sales",
        "tags": ["orders", "sales"],
        "classification": "restricted",
        "primary_key": ["id", "line"],
        "freshness": {"column": "updated_at", "slo": "36h"},
        "update_cadence": "continuous",
        "text_columns": ["note"],
        "related_keys": [{"column": "customer_id", "references": "customers.id"}],
        "unique_columns": ["code"],
        "accepted_values": {"status": ["new", "paid"]},
        "ranges": {"total": {"min": 0, "max": 10000.5}},
        "patterns": {"code": "^[A-Z]{3}$"},
        "min_rows": 50,
        "column_descriptions": {"id": "Order id.", "status": "Where the order is."},
        "documentation_url": "https://wiki.example.com/orders",
        "access_label_column": "label",
        "system_of_record": True,
        "required_columns": ["customer_id", "total"],
        **extra,
    })


def _read_back(tmp_path: Path, text: str) -> tuple[DatasetConfig, object]:
    root = _config_dir(tmp_path, text)
    config = load_config(root)
    return config.datasets["orders"], config.contracts["orders"]


@pytest.mark.parametrize("declared", [False, True], ids=["measured-types", "declared-types"])
def test_export_then_import_gives_the_same_catalog_entry(tmp_path: Path, declared: bool) -> None:
    entry = _full_entry(**({"columns": {"id": "INTEGER", "total": "NUMERIC(10, 2)"}} if declared else {}))
    profile = TableProfile(table="shop_orders", row_count=120, profiled_at=NOW, columns=tuple(
        ColumnProfile(name=n, type=t, kind=k, null_count=0) for n, t, k in (
            ("id", "INTEGER", "numeric"), ("line", "INTEGER", "numeric"), ("customer_id", "INTEGER", "numeric"),
            ("status", "VARCHAR(20)", "text"), ("total", "NUMERIC(10, 2)", "numeric"),
            ("updated_at", "DATETIME", "temporal"), ("extra", "BLOB", "other"),
        )))
    audit = DatasetAudit(name="orders", source="warehouse", status=DatasetStatus.OK, profile=profile,
                         started_at=NOW, finished_at=NOW)
    contract = contract_for_entry("orders", entry, SourceConfig(url="sqlite:///w.db"), audit=audit, run_id="cli__x")
    text = contract_yaml(contract)
    # The package's own model reads what Preflight wrote.
    assert OpenDataContractStandard.from_string(text).schema_[0].name == "orders"
    raw = yaml.safe_load(text)
    props = {p["name"]: p for p in raw["schema"][0]["properties"]}
    assert props["extra"]["physicalType"] == "BLOB"  # measured, and marked as such
    assert props["extra"]["customProperties"] == [{"property": CP_TYPE_SOURCE, "value": "measured"}]
    assert props["id"]["primaryKeyPosition"] == 1 and props["line"]["primaryKeyPosition"] == 2
    assert raw["customProperties"][0]["value"]["runId"] == "cli__x"
    assert raw["customProperties"][0]["value"]["rowCount"] == 120

    back, _ = _read_back(tmp_path, text)
    assert back == entry


def test_export_carries_the_contracts_own_rules(tmp_path: Path) -> None:
    config = load_config(_config_dir(tmp_path / "a"))
    contract = contract_for_entry(
        "orders", config.datasets["orders"], config.sources["warehouse"], contract=config.contracts["orders"]
    )
    back, again = _read_back(tmp_path / "b", contract_yaml(contract, measured=False))
    assert back == config.datasets["orders"]
    kept = {r.id for r in config.contracts["orders"].rules if r.odcs is not None}
    assert kept <= {r.id for r in again.rules}  # type: ignore[attr-defined]
    assert again.contract_id == "orders-contract"  # type: ignore[attr-defined]

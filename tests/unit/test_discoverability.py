"""Discoverability sub-checks on hand-built profiles: no database involved."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from preflight.measure.checks.discoverability import WEIGHTS, assess_discoverability, find_data_card
from preflight.model.config import DatasetConfig, Settings
from preflight.model.results import Check, ColumnProfile, Dimension, Severity, TableProfile

COLUMNS = ("reader_id", "country", "plan", "signed_up_at", "email")

FULL: dict[str, Any] = {
    "source": "warehouse",
    "table": "readers",
    "description": "Every signed-up reader, one row per account.",
    "owner": "growth-analytics@example.org",
    "business_sponsor": "Chief Product Officer",
    "tags": ["readers", "accounts"],
    "classification": "confidential",
    "freshness": {"column": "signed_up_at", "slo": "24h"},
    "update_cadence": "hourly",
    "documentation_url": "https://wiki.example.org/data/readers",
    "column_descriptions": {c: f"The {c}." for c in COLUMNS},
}


def profile(
    columns: tuple[str, ...] = COLUMNS,
    *,
    table: str = "readers",
    table_comment: str | None = None,
    comments: dict[str, str] | None = None,
) -> TableProfile:
    comments = comments or {}
    return TableProfile(
        table=table,
        row_count=10,
        profiled_at=datetime(2025, 1, 1, tzinfo=UTC),
        table_comment=table_comment,
        columns=tuple(
            ColumnProfile(name=c, type="TEXT", kind="text", null_count=0, comment=comments.get(c))
            for c in columns
        ),
    )


def dataset(**overrides: Any) -> DatasetConfig:
    fields = {**FULL, **overrides}
    return DatasetConfig.model_validate({k: v for k, v in fields.items() if v is not None})


def assess(
    cfg: DatasetConfig | None = None, prof: TableProfile | None = None, **kwargs: Any
) -> dict[str, Check]:
    checks = assess_discoverability(
        "readers",
        dataset() if cfg is None else cfg,
        profile() if prof is None else prof,
        kwargs.pop("settings", Settings()),
        **kwargs,
    )
    return {c.id.removeprefix("discoverability."): c for c in checks}


def share(checks: dict[str, Check]) -> float:
    total = sum(c.details["weight"] for c in checks.values())
    return sum(c.details["weight"] for c in checks.values() if c.passed) / total


def test_a_fully_described_dataset_passes_every_sub_check() -> None:
    checks = assess()
    assert set(checks) == set(WEIGHTS)
    assert all(c.passed for c in checks.values()), [
        c.message for c in checks.values() if not c.passed
    ]
    assert share(checks) == 1.0
    for sub, check in checks.items():
        assert check.dimension is Dimension.DISCOVERABILITY
        assert check.id == f"discoverability.{sub}"
        assert check.dataset == "readers"
        assert check.remediation is None  # nothing to fix


def test_weights_sum_and_every_check_carries_its_weight() -> None:
    assert sum(WEIGHTS.values()) == 17
    assert WEIGHTS["description"] == WEIGHTS["owner"] == 3
    assert WEIGHTS["column_descriptions"] == WEIGHTS["classification"] == 2
    checks = assess(DatasetConfig(source="warehouse", table="readers"))
    assert {sub: c.details["weight"] for sub, c in checks.items()} == WEIGHTS


def test_severities_warn_only_for_description_and_owner() -> None:
    checks = assess()
    assert {s for s, c in checks.items() if c.severity is Severity.WARNING} == {
        "description",
        "owner",
    }
    assert all(
        c.severity is Severity.INFO for s, c in checks.items() if s not in ("description", "owner")
    )


def test_a_bare_entry_fails_all_but_catalog_and_naming() -> None:
    checks = assess(DatasetConfig(source="warehouse", table="readers"))
    failing = {s for s, c in checks.items() if not c.passed}
    assert failing == set(WEIGHTS) - {"in_catalog", "naming"}
    assert share(checks) == pytest.approx(2 / 17)


@pytest.mark.parametrize(
    ("sub", "override", "hint"),
    [
        ("owner", {"owner": None}, "`owner:`"),
        ("owner", {"owner": "   "}, "`owner:`"),
        ("business_sponsor", {"business_sponsor": None}, "`business_sponsor:`"),
        ("classification", {"classification": None}, "`classification:`"),
        ("tags", {"tags": []}, "`tags:"),
        ("freshness_declared", {"freshness": None}, "`freshness:"),
        ("update_cadence", {"update_cadence": None}, "`update_cadence:`"),
        ("documentation", {"documentation_url": None}, "`documentation_url:`"),
    ],
)
def test_each_catalog_field_fails_alone_with_a_precise_hint(
    sub: str, override: dict[str, Any], hint: str
) -> None:
    checks = assess(dataset(**override), catalog_file="include/config/catalog.yaml")
    assert not checks[sub].passed
    assert [s for s, c in checks.items() if not c.passed] == [sub]
    assert hint in checks[sub].remediation
    assert "datasets.readers in include/config/catalog.yaml" in checks[sub].remediation


def test_observed_values_for_passing_catalog_fields() -> None:
    checks = assess()
    assert checks["owner"].observed == "growth-analytics@example.org"
    assert checks["classification"].observed == "confidential"
    assert checks["tags"].observed == ["readers", "accounts"]
    assert checks["freshness_declared"].observed == {"column": "signed_up_at", "slo_hours": 24.0}
    assert checks["update_cadence"].observed == "hourly"


def test_not_in_catalog_fails_in_catalog_and_every_catalog_field() -> None:
    checks = assess(in_catalog=False)
    assert not checks["in_catalog"].passed
    assert "discover_source" in checks["in_catalog"].remediation
    assert not checks["owner"].passed and not checks["classification"].passed
    # The database's own metadata still counts without a catalog entry.
    checks = assess(
        None,
        profile(table_comment="Readers.", comments={c: "x" for c in COLUMNS}),
        in_catalog=False,
    )
    assert checks["description"].passed and checks["column_descriptions"].passed


def test_description_from_catalog_is_preferred_and_named() -> None:
    checks = assess(prof=profile(table_comment="Readers from the DB."))
    assert checks["description"].passed
    assert checks["description"].details["source"] == "catalog"
    assert checks["description"].observed.startswith("from the catalog:")


def test_description_falls_back_to_the_table_comment() -> None:
    checks = assess(dataset(description=None), profile(table_comment="Readers from the DB."))
    assert checks["description"].passed
    assert checks["description"].details["source"] == "database"
    assert (
        checks["description"].observed == "from the database table comment: 'Readers from the DB.'"
    )


def test_description_missing_everywhere_fails_with_both_remedies() -> None:
    checks = assess(
        dataset(description=None),
        profile(table_comment="  "),
        catalog_file="include/config/catalog.yaml",
        dialect="postgresql",
    )
    check = checks["description"]
    assert not check.passed and check.severity is Severity.WARNING
    assert check.details["source"] is None
    assert check.remediation == (
        "add `description:` to datasets.readers in include/config/catalog.yaml, "
        "or COMMENT ON TABLE readers IS '…'"
    )
    mariadb = assess(dataset(description=None), dialect="mysql")["description"].remediation
    assert "ALTER TABLE readers COMMENT" in mariadb
    sqlite = assess(dataset(description=None), dialect="sqlite")["description"].remediation
    assert "COMMENT" not in sqlite  # SQLite has no comments: only the catalog can help


def test_column_descriptions_coverage_passes_at_the_threshold() -> None:
    four_of_five = {c: "x" for c in COLUMNS[:4]}
    checks = assess(dataset(column_descriptions=four_of_five))
    assert checks["column_descriptions"].passed
    assert checks["column_descriptions"].observed == 0.8
    assert checks["column_descriptions"].details["undocumented"] == ["email"]


def test_column_descriptions_below_threshold_fail_and_name_the_columns() -> None:
    three = {c: "x" for c in COLUMNS[:3]}
    check = assess(dataset(column_descriptions=three), dialect="postgresql")["column_descriptions"]
    assert not check.passed
    assert check.observed == 0.6
    assert check.expected == {"min_coverage": 0.8}
    assert check.details["undocumented"] == ["signed_up_at", "email"]
    assert "`column_descriptions:` for signed_up_at, email" in check.remediation
    assert "COMMENT ON COLUMN readers.signed_up_at" in check.remediation
    assert assess(dataset(column_descriptions=three), min_column_coverage=0.5)[
        "column_descriptions"
    ].passed


def test_column_descriptions_combine_catalog_and_db_comments() -> None:
    prof = profile(comments={"plan": "Subscription plan.", "email": "Contact address."})
    check = assess(dataset(column_descriptions={c: "x" for c in COLUMNS[:2]}), prof)[
        "column_descriptions"
    ]
    assert check.passed and check.observed == 0.8  # 2 from the catalog + 2 comments of 5
    assert check.details["sources"] == {"catalog": 2, "database": 2}


def test_column_descriptions_from_db_comments_alone() -> None:
    prof = profile(comments={c: f"{c} comment" for c in COLUMNS})
    check = assess(dataset(column_descriptions={}), prof)["column_descriptions"]
    assert check.passed and check.observed == 1.0
    assert check.details["sources"] == {"catalog": 0, "database": 5}


def test_naming_convention_passes_and_fails_with_offenders() -> None:
    good = assess()["naming"]
    assert good.passed and good.observed == []
    bad = assess(
        dataset(table="Readers"),
        profile(("reader_id", "Country", "plan type", "signed_up_at"), table="Readers"),
    )["naming"]
    assert not bad.passed
    assert bad.observed == ["Readers", "Country", "plan type"]
    assert bad.expected == {"naming_convention": Settings().naming_convention}
    assert "rename Readers, Country, plan type" in bad.remediation


def test_naming_convention_comes_from_settings() -> None:
    camel = Settings(naming_convention=r"^[a-z][A-Za-z0-9]*$")
    checks = assess(settings=camel)
    assert checks["naming"].observed == ["reader_id", "signed_up_at"]
    # A broken pattern never reaches the probe: the configuration refuses it.
    with pytest.raises(ValidationError, match="not a regular expression"):
        Settings(naming_convention="[unclosed")


def test_documentation_passes_with_a_data_card(tmp_path: Path) -> None:
    assert find_data_card(tmp_path, "readers") is None
    card = tmp_path / "data_cards" / "readers.md"
    card.parent.mkdir()
    card.write_text("# Readers\n", encoding="utf-8")
    assert find_data_card(tmp_path, "readers") == card
    check = assess(dataset(documentation_url=None), data_card=card)["documentation"]
    assert check.passed
    assert check.observed == {"documentation_url": None, "data_card": "readers.md"}


def test_columns_fall_back_to_the_declared_schema_without_a_profile() -> None:
    cfg = dataset(
        columns={"reader_id": "INTEGER", "Plan": "TEXT"}, column_descriptions={"reader_id": "x"}
    )
    checks = assess_discoverability("readers", cfg, None, Settings())
    by_sub = {c.id.removeprefix("discoverability."): c for c in checks}
    assert by_sub["column_descriptions"].observed == 0.5
    assert by_sub["naming"].observed == ["Plan"]

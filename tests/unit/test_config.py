"""Configuration loading: the example config is valid, and every kind of mistake
exits with a message naming the file and the field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from preflight.config import load_config
from preflight.errors import ConfigError
from preflight.model.config import parse_duration

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "include" / "config"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(EXAMPLE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_example_config_is_valid_and_immutable() -> None:
    config = load_config(EXAMPLE)
    assert len(config.datasets) == 7
    assert set(config.use_cases) == {
        "support_assistant", "article_recommendations", "article_localisation", "seat_suggestions",
    }
    assert config.datasets["articles"].freshness.slo == timedelta(hours=24)
    assert config.datasets["articles"].primary_key == ("article_id",)
    with pytest.raises(ValidationError, match="frozen"):
        config.datasets["articles"].owner = "someone"


def test_wrong_type_names_file_and_field(config_dir: Path) -> None:
    _edit(config_dir / "catalog.yaml", "min: 0, max: 3600", "min: zero, max: 3600")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    message = str(err.value)
    assert "catalog.yaml" in message
    assert "datasets.reading_events.ranges.seconds_read.min" in message


def test_unknown_field_names_file_and_field(config_dir: Path) -> None:
    _edit(config_dir / "catalog.yaml", "    owner: newsroom-data@northwind.media", "    ownr: newsroom-data@northwind.media")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "catalog.yaml" in str(err.value)
    assert "datasets.articles.ownr" in str(err.value)
    assert "unknown field" in str(err.value)


def test_use_case_referencing_missing_dataset(config_dir: Path) -> None:
    _edit(config_dir / "use_cases.yaml", "      support_tickets:\n        role: documents", "      support_tix:\n        role: documents")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "use_cases.yaml" in str(err.value)
    assert "use_cases.support_assistant.datasets.support_tix" in str(err.value)
    assert "unknown dataset" in str(err.value)


def test_yaml_syntax_error_names_file_and_line(config_dir: Path) -> None:
    _edit(config_dir / "use_cases.yaml", "    kind: rag", "    kind: rag: [")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "use_cases.yaml" in str(err.value)
    assert "line 4" in str(err.value)  # `kind: rag` of the first use case
    assert "YAML syntax error" in str(err.value)


def test_password_in_url_is_refused(config_dir: Path) -> None:
    _edit(config_dir / "preflight.yaml", "url: sqlite:///${PREFLIGHT_HOME}/demo/warehouse.db", "url: postgresql://u:hunter2@db/x")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "sources.warehouse.url" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_password_from_environment_is_allowed(config_dir: Path) -> None:
    _edit(config_dir / "preflight.yaml", "url: sqlite:///${PREFLIGHT_HOME}/demo/warehouse.db", "url: postgresql://u:${PG_PASSWORD}@db/x")
    assert load_config(config_dir).sources["warehouse"].url.endswith("@db/x")


def test_unknown_source_and_duplicate_definition(config_dir: Path) -> None:
    _edit(config_dir / "catalog.yaml", "    source: warehouse\n    table: readers", "    source: lake\n    table: readers")
    with pytest.raises(ConfigError, match=r"datasets\.readers\.source.*unknown source 'lake'"):
        load_config(config_dir)


def test_duplicate_dataset_across_files(config_dir: Path) -> None:
    (config_dir / "more.yaml").write_text("datasets:\n  articles:\n    source: warehouse\n    table: x\n")
    with pytest.raises(ConfigError, match=r"more\.yaml.*datasets\.articles.*also defined in"):
        load_config(config_dir)


@pytest.mark.parametrize(("text", "hours"), [("48h", 48), ("7d", 168), ("30m", 0.5), (6, 6)])
def test_durations(text: object, hours: float) -> None:
    assert parse_duration(text) == timedelta(hours=hours)


def test_duplicate_key_is_an_error_not_a_silent_override(config_dir: Path) -> None:
    _edit(config_dir / "use_cases.yaml", "    kind: rag", "    kind: rag\n    pii: approved")
    with pytest.raises(ConfigError, match=r"use_cases\.yaml: line \d+.*duplicate key 'pii'"):
        load_config(config_dir)


def test_bad_duration(config_dir: Path) -> None:
    _edit(config_dir / "catalog.yaml", "slo: 24h", "slo: soon")
    with pytest.raises(ConfigError, match=r"datasets\.articles\.freshness\.slo"):
        load_config(config_dir)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    pii: forbidden", "    pii: sometimes"),  # wrong enum value
        ("    kind: rag", "    kind: chatbot"),  # unknown kind
    ],
)
def test_cli_validate_exits_2_naming_file_and_field(config_dir: Path, old: str, new: str) -> None:
    _edit(config_dir / "use_cases.yaml", old, new)
    done = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "validate", "--config", str(config_dir)],
        capture_output=True, text=True,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "use_cases.yaml" in done.stderr
    assert "use_cases.support_assistant" in done.stderr


def test_cli_validate_ok_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "validate", "--config", str(EXAMPLE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "7 datasets" in done.stdout


def test_threshold_for_unknown_requirement_names_it(config_dir: Path) -> None:
    _edit(config_dir / "use_cases.yaml", "    pii: forbidden", "    pii: forbidden\n    thresholds: {completness: 0.05}")
    with pytest.raises(ConfigError, match=r"use_cases\.support_assistant\.thresholds\.completness.*no requirement"):
        load_config(config_dir)


def test_threshold_must_be_a_number(config_dir: Path) -> None:
    _edit(config_dir / "use_cases.yaml", "    pii: forbidden", "    pii: forbidden\n    thresholds: {completeness: high}")
    with pytest.raises(ConfigError, match=r"use_cases\.support_assistant\.thresholds\.completeness"):
        load_config(config_dir)


def test_bad_naming_convention_is_a_config_error(config_dir: Path) -> None:
    _edit(config_dir / "preflight.yaml", 'naming_convention: "^[a-z][a-z0-9_]*$"', 'naming_convention: "[unclosed"')
    with pytest.raises(ConfigError, match=r"settings\.naming_convention.*not a regular expression"):
        load_config(config_dir)


def test_dot_files_are_not_configuration(config_dir: Path) -> None:
    (config_dir / ".catalog.yaml.swp.yaml").write_text("not: [valid")
    assert len(load_config(config_dir).datasets) == 7


# --- what validation catches before an audit ---------------------------------------------

OUT_OF_RANGE = [
    ("    target_languages: [en]", "    target_languages: [en]\n    thresholds: {completeness: -0.1}",
     "use_cases.support_assistant.thresholds.completeness", "must not be negative"),
    ("    target_languages: [en]", "    target_languages: [en]\n    thresholds: {completeness: 1.5}",
     "use_cases.support_assistant.thresholds.completeness", "between 0 and 1"),
    ("    target_languages: [en]", "    target_languages: [en]\n    thresholds: {completeness: .nan}",
     "use_cases.support_assistant.thresholds.completeness", "finite number"),
    ("    target_languages: [en]", "    target_languages: [en]\n    thresholds: {stable_ids: 0.5}",
     "use_cases.support_assistant.thresholds.stable_ids", "takes no threshold"),
]


@pytest.mark.parametrize(("old", "new", "field", "message"), OUT_OF_RANGE)
def test_thresholds_outside_their_range_are_refused(config_dir: Path, old: str, new: str, field: str, message: str) -> None:
    _edit(config_dir / "use_cases.yaml", old, new)
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "use_cases.yaml" in str(err.value) and field in str(err.value) and message in str(err.value)


CATALOG_MISTAKES = [
    ("freshness: {column: published_at, slo: 24h}", "freshness: {column: published_at, slo: 0h}",
     "datasets.articles.freshness.slo", "longer than zero"),
    ("seconds_read: {min: 0, max: 3600}", "seconds_read: {min: 3600, max: 0}",
     "datasets.reading_events.ranges.seconds_read", "inverted range"),
    ("status: [open, pending, solved, closed]", "status: [open, [pending, solved]]",
     "datasets.support_tickets.accepted_values.status.1", "single value"),
    ("  readers:\n", "  " + "r" * 130 + ":\n    source: warehouse\n    table: readers\n  readers:\n",
     "datasets.rrrr", "names up to 120"),
]


@pytest.mark.parametrize(("old", "new", "field", "message"), CATALOG_MISTAKES)
def test_catalog_mistakes_are_refused(config_dir: Path, old: str, new: str, field: str, message: str) -> None:
    _edit(config_dir / "catalog.yaml", old, new)
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "catalog.yaml" in str(err.value) and field in str(err.value) and message in str(err.value), str(err.value)


def test_a_non_utf8_file_names_the_file(config_dir: Path) -> None:
    (config_dir / "latin1.yaml").write_bytes("datasets: {}\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.yaml: not UTF-8 text \(byte 0xe9"):
        load_config(config_dir)


def test_every_problem_is_listed_with_did_you_mean(config_dir: Path) -> None:
    _edit(config_dir / "use_cases.yaml", "    kind: recommendation\n    description: Article", "    kind: recomendation\n    description: Article")
    _edit(config_dir / "use_cases.yaml", "      support_tickets:\n        role: documents", "      support_tickets:\n        role: document")
    _edit(config_dir / "use_cases.yaml", "      seat_sales: {role", "      seat_sale: {role")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    problems = [str(p) for p in err.value.problems]
    assert len(problems) == 3, problems
    assert any("unknown kind 'recomendation' (did you mean 'recommendation'?)" in p for p in problems)
    assert any("knows no role 'document' (did you mean 'documents'?)" in p for p in problems)
    assert any("unknown dataset 'seat_sale'" in p and "did you mean 'seat_sales'?" in p for p in problems)
    assert str(err.value).startswith("3 problems in the configuration:")


def test_gate_max_age_must_be_positive(config_dir: Path) -> None:
    _edit(config_dir / "preflight.yaml", "  sample_size: 2000", "  sample_size: 2000\n  gate_max_age: 0s")
    with pytest.raises(ConfigError, match="settings.gate_max_age: a maximum age must be longer than zero"):
        load_config(config_dir)
    _edit(config_dir / "preflight.yaml", "gate_max_age: 0s", "gate_max_age: 36h")
    assert load_config(config_dir).settings.gate_max_age == timedelta(hours=36)


def _validate(config_dir: Path, *args: str, expectations: Path | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PREFLIGHT_CONFIG": str(config_dir)}
    if expectations is not None:
        env["PREFLIGHT_EXPECTATIONS"] = str(expectations)
    return subprocess.run([sys.executable, "-m", "preflight.cli", "validate", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_validate_refuses_suites_that_do_not_parse_or_use_unknown_types(config_dir: Path, tmp_path: Path) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "articles.json").write_text("{not json")
    (suites / "readers.json").write_text(
        '{"name": "readers", "expectations": ['
        '{"type": "expect_column_to_exist", "kwargs": {"column": "reader_id"}},'
        '{"type": "expect_colum_values_to_be_unique", "kwargs": {"column": "reader_id"}}]}'
    )
    done = _validate(config_dir, "--offline", expectations=suites)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "articles.json: the suite is not valid JSON" in done.stderr
    assert "readers.json: expectations.1: expectation #2 (expect_colum_values_to_be_unique): unknown expectation type" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_checks_columns_against_a_reachable_source(tmp_path: Path) -> None:
    import sqlalchemy as sa

    db = tmp_path / "w.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    sa.Table("orders", sa.MetaData(), sa.Column("order_id", sa.Integer, primary_key=True),
             sa.Column("total", sa.Float)).create(engine)
    engine.dispose()
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "c.yaml").write_text(
        f"sources: {{db: {{url: 'sqlite:///{db}'}}, gone: {{url: 'sqlite:///{tmp_path}/missing.db'}}}}\n"
        "datasets:\n"
        "  orders: {source: db, table: orders, primary_key: order_idd, ranges: {totl: {min: 0}}}\n"
        "  lost: {source: gone, table: t}\n"
        "use_cases:\n"
        "  uc: {kind: analytics, datasets: {orders: {columns: [order_id, totals]}}}\n"
    )
    done = _validate(folder, expectations=tmp_path / "none")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "datasets.orders.primary_key: orders has no column 'order_idd' (did you mean 'order_id'?)" in done.stderr
    assert "datasets.orders.ranges.totl: orders has no column 'totl' (did you mean 'total'?)" in done.stderr
    assert "use_cases.uc.datasets.orders.columns: orders has no column 'totals' (did you mean 'total'?)" in done.stderr
    assert "datasets.lost: columns not checked" in done.stderr  # unreachable: a note, not an error
    assert _validate(folder, "--offline", expectations=tmp_path / "none").returncode == 0

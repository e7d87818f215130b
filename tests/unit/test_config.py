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

"""The CLI fails like a good CLI: usage errors in a few lines, exit 2, no traceback;
``--version``; configuration errors name file and field, every one of them when the loader
reports several."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from preflight.cli import _print_error
from preflight.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
USAGE_ERRORS = {
    "no arguments": [],
    "unknown option": ["--bogus"],
    "unknown command": ["bogus"],
    "missing argument": ["gate"],
    "unknown option of a command": ["gate", "support_assistant", "--nope"],
    "missing option": ["profile", "--table", "t"],
    "option without its value": ["validate", "--config"],
}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100", **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize("args", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_errors_exit_2_without_a_traceback(args: list[str]) -> None:
    done = _cli(*args)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output and 'File "' not in output
    if args:  # an error, not the help a bare `preflight` prints
        assert "Error" in output and len(output.strip().splitlines()) <= 8, output
    else:
        assert "Usage:" in output and "Commands" in output


def test_version() -> None:
    done = _cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"preflight {version('preflight')}"


def test_help_exits_0() -> None:
    done = _cli("--help")
    assert done.returncode == 0 and "validate" in done.stdout and "--version" in done.stdout


def test_a_configuration_error_names_file_and_field(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(REPO / "include" / "config", config)
    catalog = config / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("primary_key: reader_id", "primary_kee: reader_id"))
    done = _cli("validate", "--config", str(config), env={"PREFLIGHT_HOME": str(tmp_path / "home")})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and "catalog.yaml" in done.stderr and "datasets.readers.primary_kee" in done.stderr


def test_every_problem_is_listed_when_the_loader_reports_several(capsys: pytest.CaptureFixture[str]) -> None:
    error = ConfigError("2 problems", file="catalog.yaml")
    error.errors = [  # type: ignore[attr-defined] - what a loader listing every error attaches
        ConfigError("unknown field", file="catalog.yaml", field="datasets.readers.primary_kee"),
        ConfigError("unknown dataset 'reader' (did you mean 'readers'?)", file="use_cases.yaml", field="use_cases.x.datasets.reader"),
    ]
    _print_error(error)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "error: 2 problems in the configuration:",
        "  - catalog.yaml: datasets.readers.primary_kee: unknown field",
        "  - use_cases.yaml: use_cases.x.datasets.reader: unknown dataset 'reader' (did you mean 'readers'?)",
    ]


def test_a_misspelt_dataset_gets_a_suggestion(tmp_path: Path) -> None:
    done = _cli("suggest", "reader", env={"PREFLIGHT_HOME": str(tmp_path)})
    assert done.returncode == 2
    assert "unknown dataset 'reader' (did you mean 'readers'?)" in done.stderr
    assert "Traceback" not in done.stderr

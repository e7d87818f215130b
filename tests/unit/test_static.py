"""The code stays lint- and type-clean: ruff over the tree, mypy over the core."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_ruff_is_clean() -> None:
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "include", "dags", "plugins", "tests", "bench"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:]


def test_mypy_is_clean() -> None:
    done = subprocess.run([str(BIN / "mypy")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]

"""The other tools' environments: one venv each under ``$PREFLIGHT_HOME/bench/venvs/``.

Soda Core and ydata-profiling pin pandas, numpy and friends at versions Preflight's own
environment does not use, so each gets its own interpreter, installed from a pinned
freeze in ``bench/`` by ``make bench-install`` (``python -m bench.venvs``). A bench run
only looks them up: nothing is downloaded while measuring, and a missing environment
makes its variant "not measured" with the reason.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bench.tables import bench_home

HERE = Path(__file__).resolve().parent
TOOLS = {
    "soda": HERE / "constraints-soda.txt",
    "ydata": HERE / "constraints-ydata.txt",
}


def _stamp(name: str) -> str:
    return hashlib.sha1(TOOLS[name].read_bytes()).hexdigest()[:12]


def venv_dir(name: str) -> Path:
    return bench_home() / "venvs" / name


def interpreter(name: str) -> tuple[Path | None, str]:
    """The tool's Python and "", or None and why it is missing."""
    root = venv_dir(name)
    python = root / "bin" / "python"
    if not python.exists():
        return None, f"{name} environment not installed (make bench-install)"
    if not (root / f".installed-{_stamp(name)}").exists():
        return None, f"{name} environment is older than bench/{TOOLS[name].name} (make bench-install)"
    return python, ""


def install(name: str) -> None:
    root = venv_dir(name)
    if (root / f".installed-{_stamp(name)}").exists():
        print(f"{name}: up to date ({root})")
        return
    if not (root / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-r", str(TOOLS[name])], check=True)
    for old in root.glob(".installed-*"):
        old.unlink()
    (root / f".installed-{_stamp(name)}").touch()
    print(f"{name}: installed into {root}")


def version(name: str, package: str) -> str | None:
    python, _ = interpreter(name)
    if python is None:
        return None
    done = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True, text=True,
    )
    return done.stdout.strip() or None


def main() -> None:
    for name in TOOLS:
        install(name)


if __name__ == "__main__":
    main()

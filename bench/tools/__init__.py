"""Scripts run with another tool's own interpreter (bench/venvs.py): standard library and
that tool only, no Preflight imports."""

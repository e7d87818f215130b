"""Parse time of the audit DAG file as the catalog grows: it must stay flat.

Parsing reads the configuration's settings and sources (schedule, parallelism, one task
group per source) but never the catalog. Each case parses ``dags/preflight_audit.py``
in a fresh interpreter that has imported ``airflow.sdk`` first, as the DAG processor has;
the time covers Preflight's own imports, reading the settings and building the DAG.
Best of 3:

- 10 datasets: the baseline;
- 1,000 datasets in their own catalog file (the usual split);
- 1,000 datasets in the same file as settings and sources (the worst case: that file
  has to be parsed, with libyaml).

Reported as seconds and as ratios to the baseline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DAG_FILE = REPO / "dags" / "preflight_audit.py"
ROUNDS = 3
# The DAG processor has Airflow imported before it parses a file: so does this.
PARSE = (
    "import runpy, sys, time; import airflow.sdk; t = time.perf_counter(); runpy.run_path(sys.argv[1]); "
    "print(time.perf_counter() - t)"
)


def write_config(directory: Path, n: int, *, one_file: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    settings = {"schedule": "0 3 * * *", "max_parallel_audits": 8}
    sources = {f"src{i}": {"url": f"sqlite:///src{i}.db", "max_concurrent_audits": 2} for i in range(3)}
    datasets = {
        f"table_{i:04d}": {
            "source": f"src{i % 3}",
            "table": f"table_{i:04d}",
            "description": "A table of the benchmark catalog.",
            "owner": "data@example.com",
            "primary_key": "id",
            "freshness": {"column": "updated_at", "slo": "24h"},
            "required_columns": ["id", "name"],
        }
        for i in range(n)
    }
    if one_file:
        files = {"preflight.yaml": {"settings": settings, "sources": sources, "datasets": datasets}}
    else:
        files = {"preflight.yaml": {"settings": settings, "sources": sources}, "catalog.yaml": {"datasets": datasets}}
    for name, content in files.items():
        (directory / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return directory


def parse_seconds(config: Path, home: Path) -> float:
    env = {**os.environ, "PREFLIGHT_CONFIG": str(config), "AIRFLOW_HOME": str(home), "PREFLIGHT_HOME": str(home)}
    times = []
    for _ in range(ROUNDS):
        done = subprocess.run([sys.executable, "-c", PARSE, str(DAG_FILE)], env=env, capture_output=True, text=True, check=True)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return min(times)


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="preflight-parse-bench-") as tmp:
        root = Path(tmp)
        cases = {
            "10 datasets": write_config(root / "small", 10, one_file=False),
            "1,000 datasets, own catalog file": write_config(root / "split", 1000, one_file=False),
            "1,000 datasets, same file as settings": write_config(root / "one", 1000, one_file=True),
        }
        parse_seconds(cases["10 datasets"], root / "home")  # warm the disk cache first
        results = {name: parse_seconds(config, root / "home") for name, config in cases.items()}
    base = results["10 datasets"]
    print("DAG parse time of preflight_audit (best of 3, fresh interpreter each):")
    for name, seconds in results.items():
        print(f"  {name:40s} {seconds:.3f}s  {seconds / base:.2f}x")
    return results


if __name__ == "__main__":
    run()

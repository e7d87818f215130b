"""The DAG-parse case's catalogs: ``write_config`` writes a configuration of ``n``
datasets, in a catalog file of its own or in the same file as settings and sources.

``make bench`` (``bench.cases``, ``bench.probes.dag_parse``) parses
``dags/preflight_audit.py`` with each in a fresh interpreter that has imported
``airflow.sdk`` first, as the DAG processor has. Parsing reads the settings and sources
but never the catalog, so the time must stay flat as the catalog grows.
"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DAG_FILE = REPO / "dags" / "preflight_audit.py"


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

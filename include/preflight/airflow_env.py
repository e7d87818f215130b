"""Environment for running Airflow on Preflight's embedded defaults.

Everything lives under ``$PREFLIGHT_HOME``: the Airflow home with its SQLite metadata
DB, the OpenLineage events file the Airflow provider writes, logs. Used by
``preflight demo``, ``preflight airflow`` and the tests, so they all run the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from preflight.sources import preflight_home

__all__ = ["airflow_env", "lineage_events_file", "project_root"]


def project_root() -> Path:
    """The directory holding ``dags/``, ``plugins/`` and ``expectations/``."""
    if env := os.environ.get("PREFLIGHT_PROJECT_ROOT"):
        return Path(env)
    return Path(__file__).resolve().parents[2]


def lineage_events_file() -> Path:
    return Path(preflight_home()) / "lineage" / "airflow-events.jsonl"


def airflow_env(**overrides: str) -> dict[str, str]:
    """A copy of ``os.environ`` with the embedded-default Airflow settings filled in
    (values already set by the user win, except where ``overrides`` says otherwise)."""
    home = Path(preflight_home()).resolve()
    root = project_root()
    events = lineage_events_file()
    events.parent.mkdir(parents=True, exist_ok=True)
    defaults = {
        "PREFLIGHT_HOME": str(home),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "preflight",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events), "append": True}
        ),
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
        "GX_ANALYTICS_ENABLED": "false",
    }
    env = dict(os.environ)
    for key, value in defaults.items():
        env.setdefault(key, value)
    env.update(overrides)
    (Path(env["AIRFLOW_HOME"])).mkdir(parents=True, exist_ok=True)
    return env

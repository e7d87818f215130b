"""Environment for running Airflow on Preflight's embedded defaults.

Everything lives under ``$PREFLIGHT_HOME``: the Airflow home with its SQLite metadata
DB, the OpenLineage events file the Airflow provider writes, logs. Used by
``preflight demo``, ``preflight airflow`` and the tests, so they all run the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from preflight.settings import OFFLINE_DEFAULTS, preflight_home, project_root

__all__ = ["airflow_env", "lineage_events_file", "project_root"]




def lineage_events_file() -> Path:
    return Path(preflight_home()) / "lineage" / "airflow-events.jsonl"


def airflow_env(**overrides: str) -> dict[str, str]:
    """A copy of ``os.environ`` with the embedded-default Airflow settings.

    Where Airflow keeps its state is always taken from ``$PREFLIGHT_HOME`` — an
    ``AIRFLOW_HOME`` or metadata-DB URL in the user's shell must never make the demo
    migrate, or write runs into, a real Airflow. Other settings the user set win;
    ``overrides`` win over everything."""
    home = Path(preflight_home()).resolve()
    root = project_root()
    events = lineage_events_file()
    events.parent.mkdir(parents=True, exist_ok=True)
    airflow_home = home / "airflow"
    isolated = {
        "PREFLIGHT_HOME": str(home),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",  # SQLite metadata: one machine
    }
    defaults = {
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "preflight",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events), "append": True}
        ),
        **OFFLINE_DEFAULTS,
    }
    env = dict(os.environ)
    for key, value in defaults.items():
        env.setdefault(key, value)
    env.update(isolated)
    env.update(overrides)
    (Path(env["AIRFLOW_HOME"])).mkdir(parents=True, exist_ok=True)
    return env

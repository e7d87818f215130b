"""Airflow pools from the configuration: one per source, ``max_concurrent_audits`` slots.

Each source's audit tasks run in its pool (see ``dags/preflight_audit.py``), so no
warehouse sees more concurrent audits than it allows, across runs and across DAGs that
use the same pool. Tasks cannot write pools (Airflow 3 gives task code no metadata-DB
access, and the execution API has no pool routes), so pools are set where Airflow is
started: ``preflight pools --apply`` hands them to ``airflow pools import`` (create or
update; a pool of a source that is gone is left alone). ``preflight airflow`` and the
docker-compose stack's ``airflow-init`` run it; run it again after changing a source's
``max_concurrent_audits`` or adding a source. Until a source's pool exists, the
scheduler logs ``Tasks using non-existent pool`` and that source's audits wait: the
run never passes a gate on fewer audits than planned.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from preflight.airflow.dag_settings import pool_name, source_groups
from preflight.errors import PoolSyncError
from preflight.model.config import Config

__all__ = ["SourcePool", "apply_pools", "pools_for", "pools_import_json"]


@dataclass(frozen=True)
class SourcePool:
    name: str
    slots: int
    source: str

    @property
    def description(self) -> str:
        return f"Preflight: audits of source {self.source} (max_concurrent_audits)"


def pools_for(config: Config) -> list[SourcePool]:
    groups = source_groups(config.sources)
    return [
        SourcePool(name=pool_name(groups[name]), slots=source.max_concurrent_audits, source=name)
        for name, source in sorted(config.sources.items())
    ]


def pools_import_json(pools: list[SourcePool]) -> str:
    """The pools in the format of ``airflow pools import``."""
    return json.dumps(
        {p.name: {"slots": p.slots, "description": p.description, "include_deferred": False} for p in pools},
        indent=2,
    )


def apply_pools(pools: list[SourcePool], env: Mapping[str, str], *, airflow: str = "airflow", log: Path | None = None) -> None:
    """Create or update ``pools`` in the metadata DB of the Airflow that ``env`` configures."""
    if not pools:
        return
    with tempfile.TemporaryDirectory(prefix="preflight-pools-") as tmp:
        path = Path(tmp) / "pools.json"
        path.write_text(pools_import_json(pools), encoding="utf-8")
        done = subprocess.run([airflow, "pools", "import", str(path)], env=dict(env), capture_output=True, text=True)
    output = done.stdout + done.stderr
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(output, encoding="utf-8")
    if done.returncode != 0:
        where = f"; see {log}" if log else f": {output[-1500:]}"
        raise PoolSyncError(f"`airflow pools import` exited {done.returncode}{where}")

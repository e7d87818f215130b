"""A small audited world for gate tests: one SQLite warehouse, four use cases, one real audit.

=====================  ===========================================================  =========
use case               what makes it so                                             verdict
=====================  ===========================================================  =========
``ready_use_case``     a documented, fresh, unique ``items`` table                  ready
``risky_use_case``     ``orders`` has duplicate ids (a warning for analytics)       at_risk
``blocked_use_case``   needs a column ``price`` that ``items`` lacks                blocked
``changed_use_case``   ready when audited; :func:`change_use_case` edits it after   ready
=====================  ===========================================================  =========

The audit runs through :func:`preflight.run.pipeline.run_audit` (measure → judge → store),
so the gate reads what a real audit wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

READY, RISKY, BLOCKED, CHANGED = "ready_use_case", "risky_use_case", "blocked_use_case", "changed_use_case"
COLUMNS = ["id", "name", "created_at"]
APPROVAL_VALID_FOR = "3h"  # settings.approval_valid_for of this world


@dataclass(frozen=True)
class GateWorld:
    root: Path
    config_dir: Path
    warehouse: Path

    def env(self) -> dict[str, str]:
        """What a process needs to see this world (merge into os.environ)."""
        return {
            "PREFLIGHT_HOME": str(self.root / "home"),
            "PREFLIGHT_CONFIG": str(self.config_dir),
            "PREFLIGHT_EXPECTATIONS": str(self.root / "suites"),
        }

    def audit(self) -> Any:
        """Audit the world again (a new run); returns the RunResult."""
        from preflight.config import load_config
        from preflight.run.pipeline import run_audit

        return run_audit(load_config(self.config_dir))

    def change_use_case(self, use_case: str = CHANGED) -> None:
        """Edit ``use_case`` after its audit: a new owner changes its fingerprint."""
        path = self.config_dir / "preflight.yaml"
        raw = yaml.safe_load(path.read_text())
        raw["use_cases"][use_case]["owner"] = "someone-else@corp"
        path.write_text(yaml.safe_dump(raw))


def _documented(table: str) -> dict[str, Any]:
    return {
        "source": "warehouse",
        "table": table,
        "description": f"{table}, documented",
        "owner": "data@corp",
        "business_sponsor": "VP Data",
        "classification": "confidential",
        "freshness": {"column": "created_at", "slo": "30d"},
        "column_descriptions": {c: f"the {c}" for c in COLUMNS},
        "documentation_url": "https://wiki.corp/data",
        "tags": ["test"],
        "update_cadence": "daily",
        "primary_key": "id",
    }


def build_gate_world(root: Path) -> GateWorld:
    """Write the warehouse and the configuration under ``root``; nothing is audited yet.
    The caller sets :meth:`GateWorld.env` in the environment first."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "suites").mkdir(exist_ok=True)
    warehouse = root / "warehouse.db"
    created = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
    engine = sa.create_engine(f"sqlite:///{warehouse}")
    for table, ids in (("items", range(1, 21)), ("orders", [i % 5 for i in range(1, 21)])):
        rows = sa.Table(table, sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("name", sa.String(20)),
                        sa.Column("created_at", sa.DateTime))
        rows.create(engine)
        with engine.begin() as conn:
            conn.execute(rows.insert(), [{"id": i, "name": f"row {n}", "created_at": created} for n, i in enumerate(ids)])
    engine.dispose()

    def use_case(dataset: str, columns: list[str] = COLUMNS) -> dict[str, Any]:
        return {"kind": "analytics", "business_sponsor": "VP", "owner": "ai@corp",
                "datasets": {dataset: {"columns": columns}}}

    config_dir = root / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "preflight.yaml").write_text(yaml.safe_dump({
        "settings": {"approval_valid_for": APPROVAL_VALID_FOR},
        "sources": {"warehouse": {"url": f"sqlite:///{warehouse}"}},
        "datasets": {"items": _documented("items"), "orders": _documented("orders")},
        "use_cases": {
            READY: use_case("items"),
            RISKY: use_case("orders"),
            BLOCKED: use_case("items", ["id", "price"]),
            CHANGED: use_case("items"),
        },
    }))
    return GateWorld(root=root, config_dir=config_dir, warehouse=warehouse)

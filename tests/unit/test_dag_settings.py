"""What the audit DAG reads from the configuration at parse time, and the pools it needs.

Parsing must be cheap (only the `settings` and `sources` blocks are parsed, never the
catalog) and must never fail (the defaults stand in; the run reports the error).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from preflight.airflow import dag_settings
from preflight.airflow.dag_settings import DagSettings, pool_name, read_dag_settings, source_groups
from preflight.airflow.pools import pools_for, pools_import_json
from preflight.config import load_config
from preflight.errors import ConfigError

DEMO = Path(__file__).resolve().parents[2] / "include" / "config"

SETTINGS = """\
settings:
  schedule: "30 2 * * 1-5"
  max_parallel_audits: 12
sources:
  warehouse:
    url: sqlite:///warehouse.db
    max_concurrent_audits: 3
  crm:
    conn_id: crm
"""


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    for name, text in files.items():
        (config / name).write_text(text, encoding="utf-8")
    return config


def test_reads_schedule_parallelism_and_sources(tmp_path: Path) -> None:
    found = read_dag_settings(_write(tmp_path, {"preflight.yaml": SETTINGS}))
    assert found.problems == ()
    assert (found.schedule, found.max_parallel_audits) == ("30 2 * * 1-5", 12)
    assert [(lane.source, lane.group_id, lane.pool, lane.slots) for lane in found.lanes] == [
        ("crm", "source_crm", "preflight_source_crm", 4),  # the default limit
        ("warehouse", "source_warehouse", "preflight_source_warehouse", 3),
    ]
    assert found.group_of() == {"crm": "source_crm", "warehouse": "source_warehouse"}


def test_the_demo_configuration_audits_daily() -> None:
    found = read_dag_settings(DEMO)
    assert found == DagSettings(schedule="@daily", max_parallel_audits=16, lanes=found.lanes)
    assert [lane.source for lane in found.lanes] == ["warehouse"]


def test_a_missing_directory_gives_the_defaults(tmp_path: Path) -> None:
    found = read_dag_settings(tmp_path / "nowhere")
    assert (found.schedule, found.max_parallel_audits, found.lanes) == ("@daily", 16, ())
    assert "configuration directory not found" in found.problems[0]


def test_the_catalog_is_never_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither a catalog file of its own nor a catalog in the settings' file: a YAML error
    in either goes unnoticed at parse time (the run reports it), and libyaml only ever
    sees the settings and sources blocks."""
    parsed: list[str] = []
    real = dag_settings._load_yaml
    monkeypatch.setattr(dag_settings, "_load_yaml", lambda text: parsed.append(text) or real(text))
    config = _write(
        tmp_path,
        {
            "preflight.yaml": SETTINGS + "datasets:\n  broken: [unclosed\n",
            "catalog.yaml": "datasets:\n  also_broken: {\n",
            "use_cases.yaml": "use_cases: {}\n",
        },
    )
    found = read_dag_settings(config)
    assert found.problems == () and found.schedule == "30 2 * * 1-5"
    assert len(parsed) == 1 and "datasets" not in parsed[0]


def test_an_alias_across_blocks_falls_back_to_the_whole_file(tmp_path: Path) -> None:
    text = "defaults: &limit 2\nsettings:\n  max_parallel_audits: *limit\nsources:\n  w:\n    url: sqlite:///x.db\n    max_concurrent_audits: *limit\n"
    found = read_dag_settings(_write(tmp_path, {"preflight.yaml": text}))
    assert (found.max_parallel_audits, found.lanes[0].slots) == (2, 2)


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"a.yaml": "settings:\n  schedule: every day\n"}, "a.yaml: settings.schedule: Value error, not a cron expression"),
        ({"a.yaml": "settings:\n  schedule: '@continuous'\n"}, "a.yaml: settings.schedule"),
        ({"a.yaml": "settings:\n  max_parallel_audits: 0\n"}, "a.yaml: settings.max_parallel_audits"),
        ({"a.yaml": "settings:\n  schedule: '@hourly'\n", "b.yaml": "settings: {}\n"}, "b.yaml: settings: also defined"),
        ({"a.yaml": "settings:\n  schedule: [unclosed\n"}, "a.yaml: not YAML"),
    ],
)
def test_a_broken_setting_gives_the_default_and_says_where(tmp_path: Path, files: dict[str, str], problem: str) -> None:
    found = read_dag_settings(_write(tmp_path, files))
    assert (found.schedule, found.max_parallel_audits) == ("@daily", 16)
    assert any(problem in p for p in found.problems), found.problems


def test_a_broken_source_limit_gives_the_default_limit(tmp_path: Path) -> None:
    text = "sources:\n  w:\n    url: sqlite:///x.db\n    max_concurrent_audits: many\n"
    found = read_dag_settings(_write(tmp_path, {"s.yaml": text}))
    assert found.lanes[0].slots == 4
    assert "s.yaml: sources.w.max_concurrent_audits" in found.problems[0]


def test_source_groups_are_valid_task_ids_and_never_collide() -> None:
    groups = source_groups(["warehouse", "crm replica", "crm_replica", "a.b"])
    assert groups["warehouse"] == "source_warehouse"
    assert groups["a.b"] == "source_a_b"  # a dot would nest task groups
    assert groups["crm replica"] != groups["crm_replica"]
    assert all(group.startswith("source_crm_replica") for name, group in groups.items() if name.startswith("crm"))
    assert source_groups(["crm_replica", "crm replica"]) == {k: groups[k] for k in ("crm_replica", "crm replica")}
    assert pool_name(groups["warehouse"]) == "preflight_source_warehouse"


def test_pools_follow_the_validated_configuration(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEMO, config)
    text = (config / "preflight.yaml").read_text(encoding="utf-8")
    (config / "preflight.yaml").write_text(
        text.replace("    description: Northwind", "    max_concurrent_audits: 7\n    description: Northwind"), encoding="utf-8"
    )
    pools = pools_for(load_config(config))
    assert [(p.name, p.slots, p.source) for p in pools] == [("preflight_source_warehouse", 7, "warehouse")]
    # The format `airflow pools import` reads.
    assert json.loads(pools_import_json(pools)) == {
        "preflight_source_warehouse": {
            "slots": 7,
            "description": "Preflight: audits of source warehouse (max_concurrent_audits)",
            "include_deferred": False,
        }
    }


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("    description: Northwind", "    max_concurrent_audits: 0\n    description: Northwind", "sources.warehouse.max_concurrent_audits"),
        ("settings:\n", "settings:\n  schedule: nightly\n", "settings.schedule"),
        ("settings:\n", "settings:\n  max_parallel_audits: -1\n", "settings.max_parallel_audits"),
    ],
)
def test_the_loader_names_file_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEMO, config)
    text = (config / "preflight.yaml").read_text(encoding="utf-8")
    assert old in text
    (config / "preflight.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert raised.value.file and raised.value.file.endswith("preflight.yaml")
    assert raised.value.field == field

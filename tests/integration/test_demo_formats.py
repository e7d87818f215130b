"""The demo through the ecosystem's formats: every dataset exported to ODCS and read back
as its catalog entry audits to the same checks and verdicts; every dataset's Croissant
card passes mlcroissant's validation with zero errors, offline; the CLI writes both."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from preflight.airflow.demo.warehouse import build_warehouse
from preflight.authoring.croissant import CONTEXT, croissant_card, validate_card
from preflight.authoring.odcs import contract_for_dataset, contract_yaml
from preflight.config import load_config
from preflight.model.config import Config, DatasetConfig
from preflight.model.results import DatasetAudit, RunResult
from preflight.run.pipeline import run_audit

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Demo:
    home: Path
    config_dir: Path
    config: Config
    run: RunResult
    env: dict[str, str]

    def audit(self, name: str) -> DatasetAudit:
        return next(a for a in self.run.datasets if a.name == name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("formats-home")
    config_dir = home / "config"
    shutil.copytree(REPO / "include" / "config", config_dir)
    env = {"PREFLIGHT_HOME": str(home), "PREFLIGHT_RESULTS_URL": f"sqlite:///{home / 'results-yaml.db'}"}
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    try:
        build_warehouse(home / "demo" / "warehouse.db")
        config = load_config(config_dir)
        yield Demo(home, config_dir, config, run_audit(config), env)
    finally:
        mp.undo()


def _normalised(entry: DatasetConfig) -> DatasetConfig:
    """The entry up to representations that check the same thing: a contract marks key
    columns required (read back, the key alone says they are complete), and its per-column
    flags come back in the table's column order."""
    keep = tuple(sorted(c for c in entry.required_columns if c not in entry.primary_key))
    related = tuple(sorted(entry.related_keys, key=lambda k: k.columns))
    unique = tuple(sorted(entry.unique_columns))
    return entry.model_copy(update={"required_columns": keep, "related_keys": related, "unique_columns": unique})


def _checks(audit: DatasetAudit) -> list[tuple[str, str, str, bool, bool]]:
    return sorted((c.id, c.dimension.value, c.severity.value, c.passed, c.measured) for c in audit.checks)


def test_every_demo_dataset_round_trips_through_odcs(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(demo.config_dir, config_dir)
    (config_dir / "catalog.yaml").write_text("datasets: {}\n")  # every entry comes from a contract
    for name in demo.config.datasets:
        contract = contract_for_dataset(demo.config, name, demo.audit(name), run_id=demo.run.run_id)
        (config_dir / "contracts").mkdir(exist_ok=True)
        (config_dir / "contracts" / f"{name}.odcs.yaml").write_text(contract_yaml(contract))

    # Readers of ODCS 3.1.0 accept them: the standard's own schema for that version.
    schema = json.loads((REPO / "tests" / "data" / "odcs" / "odcs-json-schema-v3.1.0.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for path in (config_dir / "contracts").iterdir():
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], (path.name, errors)

    back = load_config(config_dir)
    assert set(back.datasets) == set(demo.config.datasets)
    for name, entry in demo.config.datasets.items():
        assert _normalised(back.datasets[name]) == _normalised(entry), name
        assert back.contracts[name].rules == () and back.contracts[name].notes == ()

    monkeypatch.setenv("PREFLIGHT_RESULTS_URL", f"sqlite:///{tmp_path / 'results-odcs.db'}")
    again = run_audit(back)
    for audit in demo.run.datasets:
        other = next(a for a in again.datasets if a.name == audit.name)
        assert other.status == audit.status
        assert _checks(other) == _checks(audit), audit.name
        assert other.scores == audit.scores, audit.name
        assert other.facts["contract"]["file"] == f"{audit.name}.odcs.yaml"
    verdicts = {v.use_case: v for v in demo.run.use_cases}
    assert {v.use_case for v in again.use_cases} == set(verdicts)
    for verdict in again.use_cases:
        before = verdicts[verdict.use_case]
        assert (verdict.verdict, verdict.score, verdict.readiness_level) == (
            before.verdict, before.score, before.readiness_level
        ), verdict.use_case
        assert len(verdict.blockers) == len(before.blockers)
        assert sorted((c.id, c.passed, c.severity) for c in verdict.checks) == sorted(
            (c.id, c.passed, c.severity) for c in before.checks
        )
    # The demo's verdicts are not all the same: the comparison above can fail.
    assert {v.verdict.value for v in again.use_cases} >= {"blocked", "at_risk"}


def test_exported_contract_carries_what_the_audit_measured(demo: Demo) -> None:
    contract = contract_for_dataset(demo.config, "support_tickets", demo.audit("support_tickets"), run_id=demo.run.run_id)
    raw = yaml.safe_load(contract_yaml(contract))
    props = {p["name"]: p for p in raw["schema"][0]["properties"]}
    profile = demo.audit("support_tickets").profile
    assert profile is not None
    assert [p for p in props if p in {c.name for c in profile.columns}] == [c.name for c in profile.columns]
    assert props["created_at"]["logicalType"] == "timestamp" and props["ticket_id"]["logicalType"] == "integer"
    assert props["ticket_id"]["primaryKey"] is True
    audit = raw["customProperties"][0]["value"]
    assert audit["runId"] == demo.run.run_id
    assert audit["primaryKey"] == {"columns": ["ticket_id"], "unique": False, "duplicateRows": 15}
    assert audit["freshness"]["column"] == "created_at" and audit["freshness"]["sloHours"] == 48
    assert raw["slaProperties"][0] == {"property": "latency", "value": 2, "unit": "d", "element": "support_tickets.created_at"}
    # No credential, and no raw value from the data, in the contract.
    assert "password" not in json.dumps(raw).lower()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_demo_dataset_has_a_valid_croissant_card(demo: Demo, offline: None) -> None:
    for audit in demo.run.datasets:
        entry = demo.config.datasets[audit.name]
        card = croissant_card(
            audit, entry=entry, source=demo.config.sources[entry.source],
            verdicts=demo.run.use_cases, run_id=demo.run.run_id,
        )
        issues = validate_card(card)
        assert issues.errors == (), (audit.name, issues.errors)
        # What is left are recommendations Preflight has no evidence for.
        assert all("is recommended" in w for w in issues.warnings), issues.warnings


def test_the_card_says_what_the_audit_found(demo: Demo, offline: None) -> None:
    import mlcroissant as mlc

    audit = demo.audit("support_tickets")
    entry = demo.config.datasets["support_tickets"]
    card = croissant_card(audit, entry=entry, source=demo.config.sources["warehouse"],
                          verdicts=demo.run.use_cases, run_id=demo.run.run_id)
    metadata = mlc.Dataset(jsonld=card).metadata
    sensitive = " ".join(metadata.personal_sensitive_information or [])
    shares = demo.audit("support_tickets").facts["pii"]["body"]
    assert f"EMAIL_ADDRESS in {100 * shares['EMAIL_ADDRESS']:.1f}%" in sensitive
    assert "Classified confidential" in sensitive
    assert any("support_assistant (rag)" in u and "blocked" in u for u in metadata.data_use_cases or [])
    assert any("15 duplicate rows on (ticket_id)" in line for line in metadata.data_limitations or [])
    # Personal data appears as shares only: no masked example from a privacy check's message.
    assert "masked example" not in json.dumps(card)
    fields = {f.name: f for f in metadata.record_sets[0].fields}
    assert set(fields) == {c.name for c in audit.profile.columns}  # type: ignore[union-attr]
    assert metadata.record_sets[0].key == ["support_tickets/ticket_id"]
    translations = croissant_card(demo.audit("article_translations"), entry=demo.config.datasets["article_translations"])
    assert "translated_body: 11.1% NULL" in translations["rai:dataCollectionMissingData"]
    assert "201" in " ".join(translations["rai:dataLimitations"])  # 200-day-old translations


def test_validation_is_not_a_formality(demo: Demo, offline: None) -> None:
    card = croissant_card(demo.audit("seat_sales"), entry=demo.config.datasets["seat_sales"])
    del card["distribution"][0]["encodingFormat"]
    card["recordSet"][0]["field"][0]["source"]["fileObject"]["@id"] = "nowhere"
    assert validate_card(card).errors


def test_the_card_context_is_croissant_1_1s() -> None:
    from mlcroissant._src.core.context import Context, CroissantVersion
    from mlcroissant._src.core.rdf import make_context

    assert CONTEXT == make_context(Context(conforms_to=CroissantVersion.V_1_1))


def test_report_links_a_valid_card_per_dataset(demo: Demo, offline: None) -> None:
    latest = demo.home / "reports" / "latest"
    report = json.loads((latest / "report.json").read_text())
    html = (latest / "report.html").read_text()
    for dataset in report["datasets"]:
        link = dataset["croissant"]
        assert f'href="{link}"' in html
        assert validate_card(json.loads((latest / link).read_text())).errors == ()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=300,
    )
    done.stderr = " ".join(done.stderr.split())  # rich wraps messages at the terminal width
    return done


def test_cli_exports(demo: Demo, tmp_path: Path) -> None:
    config = str(demo.config_dir)
    done = _cli("export", "odcs", "seat_sales", "-c", config, "-o", str(tmp_path / "seat_sales.odcs.yaml"), env=demo.env)
    assert done.returncode == 0, done.stderr
    contract = OpenDataContractStandard.from_file(str(tmp_path / "seat_sales.odcs.yaml"))
    assert contract.schema_ is not None and contract.schema_[0].physicalName == "seat_sales"
    again = _cli("export", "odcs", "seat_sales", "-c", config, "-o", str(tmp_path / "seat_sales.odcs.yaml"), env=demo.env)
    assert again.returncode == 2 and "already exists" in again.stderr

    done = _cli("export", "croissant", "seat_sales", "-c", config, "-o", str(tmp_path / "seat_sales.json"), env=demo.env)
    assert done.returncode == 0, done.stderr
    assert validate_card(json.loads((tmp_path / "seat_sales.json").read_text())).errors == ()
    printed = _cli("export", "croissant", "articles", "-c", config, env=demo.env)
    assert printed.returncode == 0 and json.loads(printed.stdout)["name"] == "articles"

    unknown = _cli("export", "croissant", "nope", "-c", config, env=demo.env)
    assert unknown.returncode == 2 and "unknown dataset" in unknown.stderr
    empty = {**demo.env, "PREFLIGHT_RESULTS_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    never = _cli("export", "croissant", "articles", "-c", config, env=empty)
    assert never.returncode == 2 and "preflight audit" in never.stderr
    catalog_only = _cli("export", "odcs", "articles", "-c", config, env=empty)
    assert catalog_only.returncode == 0 and "catalog only" in catalog_only.stderr
    assert "preflightAudit" not in catalog_only.stdout


def test_discover_writes_contracts_that_load(demo: Demo, tmp_path: Path) -> None:
    db = tmp_path / "extra.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    meta = sa.MetaData()
    sa.Table("tags", meta, sa.Column("tag_id", sa.Integer, primary_key=True), sa.Column("label", sa.String(40)))
    sa.Table("article_tags", meta, sa.Column("article_id", sa.Integer, primary_key=True),
             sa.Column("tag_id", sa.Integer, sa.ForeignKey("tags.tag_id"), primary_key=True))
    meta.create_all(engine)
    engine.dispose()
    config_dir = tmp_path / "config"
    shutil.copytree(demo.config_dir, config_dir)
    with (config_dir / "preflight.yaml").open("a") as handle:
        handle.write(f"  extra:\n    url: sqlite:///{db}\n")

    done = _cli("discover", "--source", "extra", "--format", "odcs", "-c", str(config_dir), env=demo.env)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (config_dir / "contracts").iterdir()) == ["article_tags.odcs.yaml", "tags.odcs.yaml"]
    config = load_config(config_dir)
    assert config.datasets["article_tags"].primary_key == ("article_id", "tag_id")
    assert str(config.datasets["article_tags"].related_keys[0].references) == "tags.tag_id"
    assert config.datasets["tags"].columns == {"tag_id": "INTEGER", "label": "VARCHAR(40)"}
    assert "fill in" in done.stdout
    assert _cli("validate", "-c", str(config_dir), env=demo.env).returncode == 0
    again = _cli("discover", "--source", "extra", "--format", "odcs", "-c", str(config_dir), env=demo.env)
    assert again.returncode == 0 and "already in the catalog" in again.stdout

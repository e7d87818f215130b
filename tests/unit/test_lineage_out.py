"""Lineage out: the audit's OpenLineage events, written by a real transport, against the spec.

The schemas under tests/data/openlineage-spec are the OpenLineage specification's own
(OpenLineage.json and facets/*.json); every one is registered by its ``$id`` so that an
event and each of its facets validate offline, each facet against the schema its
``_schemaURL`` names.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openlineage.client import OpenLineageClient
from openlineage.client.transport import Transport
from openlineage.client.transport.file import FileConfig, FileTransport
from referencing import Registry, Resource

from preflight.measure.checks.lineage import build_graph, read_events_file
from preflight.model.config import LineageSettings, Settings
from preflight.model.results import (
    Check,
    ColumnProfile,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    Severity,
    TableProfile,
)
from preflight.run.lineage_out import (
    PRODUCER,
    LineageEmitError,
    audit_run_id,
    build_audit_events,
    client_from_settings,
    emit_audit_events,
    lineage_file_path,
    parent_facet,
)

SPEC = Path(__file__).resolve().parent.parent / "data" / "openlineage-spec"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
IDENTITY = ("postgres://warehouse.internal:5432", "analytics.marts.support_documents")
STARTED = datetime(2025, 5, 2, 12, 0, tzinfo=UTC)
FINISHED = datetime(2025, 5, 2, 12, 0, 41, tzinfo=UTC)
PARENT = "default/audit_readiness.audit_dataset/01968b2c-1c00-7000-8000-00000000abcd"
ROOT = "default/audit_readiness/01968b2c-1c00-7000-8000-00000000dcba"
OURS = {
    "jobType",
    "parent",
    "errorMessage",
    "schema",
    "dataQualityMetrics",
    "dataQualityAssertions",
}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def registry() -> Registry:
    resources = []
    for path in [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]:
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    assert len(resources) > 30
    return Registry().with_resources(resources)


def facets_of(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from (event["run"].get("facets") or {}).items()
    yield from (event["job"].get("facets") or {}).items()
    for dataset in [*(event.get("inputs") or []), *(event.get("outputs") or [])]:
        for key in ("facets", "inputFacets", "outputFacets"):
            yield from (dataset.get(key) or {}).items()


def validate(event: dict[str, Any], registry: Registry) -> None:
    """The event against RunEvent, and each facet against the schema its _schemaURL names."""
    assert event["schemaURL"] == RUN_EVENT
    checker = Draft202012Validator.FORMAT_CHECKER  # checks uuid (runId); others need extras
    Draft202012Validator({"$ref": RUN_EVENT}, registry=registry, format_checker=checker).validate(
        event
    )
    assert (
        "T" in event["eventTime"] and datetime.fromisoformat(event["eventTime"]).tzinfo is not None
    )
    for name, facet in facets_of(event):
        url = facet["_schemaURL"]
        registry.contents(url.split("#")[0])  # an unknown schema is a failure, not a skip
        Draft202012Validator({"$ref": url}, registry=registry, format_checker=checker).validate(
            facet
        )
        if name in OURS:  # the client adds facets of its own (tags) with its own producer
            assert facet["_producer"] == PRODUCER, name


def audit(
    status: DatasetStatus = DatasetStatus.OK, profiled: bool = True, reason: str | None = None
) -> DatasetAudit:
    profile = TableProfile(
        table="support_documents",
        schema_name="marts",
        row_count=100,
        profiled_at=STARTED,
        columns=(
            ColumnProfile(
                name="doc_id",
                type="INTEGER",
                kind="numeric",
                null_count=0,
                distinct_count=100,
                min=1,
                max=100,
                mean=50.5,
            ),
            ColumnProfile(
                name="score",
                type="NUMERIC(5,2)",
                kind="numeric",
                null_count=7,
                distinct_count=40,
                min=Decimal("0.50"),
                max=Decimal("9.75"),
            ),
            ColumnProfile(
                name="ratio",
                type="FLOAT",
                kind="numeric",
                null_count=2,
                distinct_count=None,
                distinct_approximate=True,
                min=float("-inf"),
                max=0.25,
            ),
            ColumnProfile(
                name="body",
                type="TEXT",
                kind="text",
                null_count=3,
                distinct_count=95,
                min="About",
                max="Zebra",
                min_length=5,
                comment="the document text",
            ),
            ColumnProfile(
                name="updated_at",
                type="TIMESTAMP",
                kind="temporal",
                null_count=12,
                min=datetime(2025, 1, 1, tzinfo=UTC),
                max=datetime(2025, 5, 1, tzinfo=UTC),
            ),
            ColumnProfile(
                name="is_public",
                type="BOOLEAN",
                kind="boolean",
                null_count=1,
                distinct_count=2,
                min=False,
                max=True,
            ),
        ),
    )
    checks = (
        Check(
            id="quality.completeness.body",
            dimension=Dimension.QUALITY,
            severity=Severity.WARNING,
            passed=False,
            message="3 of 100 rows have no body",
            column="body",
            observed=0.03,
        ),
        Check(
            id="discoverability.owner",
            dimension=Dimension.DISCOVERABILITY,
            severity=Severity.BLOCKER,
            passed=True,
            message="owned by support-data",
        ),
        Check(
            id="lineage.producer",
            dimension=Dimension.LINEAGE,
            severity=Severity.WARNING,
            passed=True,
            message="written by prod-airflow/etl.build_support_documents",
        ),
    )
    return DatasetAudit(
        name="support_documents",
        source="warehouse",
        status=status,
        reason=reason,
        profile=profile if profiled else None,
        checks=checks,
        started_at=STARTED,
        finished_at=FINISHED,
    )


def file_client(path: Path) -> OpenLineageClient:
    return OpenLineageClient(
        transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
    )


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preflight_home: Path) -> Path:
    """No OpenLineage configuration from the machine running the tests."""
    import os

    for name in list(os.environ):
        if (
            name.startswith(("OPENLINEAGE", "AIRFLOW__OPENLINEAGE"))
            or name == "PREFLIGHT_LINEAGE_FILE"
        ):
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # no openlineage.yml here
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # nor in ~/.openlineage
    return preflight_home


# --------------------------------------------------------------------------- the events


def test_emitted_events_validate_against_the_openlineage_spec(
    tmp_path: Path, registry: Registry
) -> None:
    path = tmp_path / "ol.jsonl"
    sent = emit_audit_events(
        audit(),
        IDENTITY,
        run_id="scheduled__2025-05-02T12:00:00+00:00",
        job_namespace="preflight",
        client=file_client(path),
        parent=PARENT,
    )

    events = read_lines(path)
    assert (
        [e["eventType"] for e in events]
        == ["START", "COMPLETE"]
        == [s.eventType.value for s in sent]
    )
    for event in events:
        validate(event, registry)
    start, complete = events
    assert start["run"]["runId"] == complete["run"]["runId"]
    assert start["job"] == complete["job"]
    assert start["job"]["name"] == "preflight.audit.support_documents"
    assert start["job"]["namespace"] == "preflight"
    assert (start["eventTime"], complete["eventTime"]) == (
        STARTED.isoformat(),
        FINISHED.isoformat(),
    )
    assert [(d["namespace"], d["name"]) for d in complete["inputs"]] == [IDENTITY]
    assert complete.get("outputs", []) == []
    assert set(complete["inputs"][0]["inputFacets"]) == {
        "dataQualityMetrics",
        "dataQualityAssertions",
    }
    assert complete["run"]["facets"]["parent"]["job"]["name"] == "audit_readiness.audit_dataset"


def test_metrics_carry_the_profile_null_counts(tmp_path: Path) -> None:
    path = tmp_path / "ol.jsonl"
    emit_audit_events(
        audit(), IDENTITY, run_id="r1", job_namespace="preflight", client=file_client(path)
    )
    profile = audit().profile
    assert profile is not None

    metrics = read_lines(path)[1]["inputs"][0]["inputFacets"]["dataQualityMetrics"]

    assert metrics["rowCount"] == profile.row_count
    assert {c: m["nullCount"] for c, m in metrics["columnMetrics"].items()} == {
        c.name: c.null_count for c in profile.columns
    }
    columns = metrics["columnMetrics"]
    assert columns["doc_id"] == {
        "nullCount": 0,
        "distinctCount": 100,
        "count": 100,
        "min": 1,
        "max": 100,
    }
    assert (columns["score"]["min"], columns["score"]["max"]) == (0.5, 9.75)  # Decimal -> number
    assert (
        "min" not in columns["ratio"] and columns["ratio"]["max"] == 0.25
    )  # -inf is not a number in JSON
    assert "distinctCount" not in columns["ratio"]
    for not_numeric in ("body", "updated_at", "is_public"):
        assert "min" not in columns[not_numeric] and "max" not in columns[not_numeric]
    schema = read_lines(path)[1]["inputs"][0]["facets"]["schema"]["fields"]
    assert schema[3] == {
        "name": "body",
        "type": "TEXT",
        "description": "the document text",
        "ordinal_position": 4,
    }


def test_one_assertion_per_check() -> None:
    _, complete = build_audit_events(audit(), IDENTITY, run_id="r1", job_namespace="preflight")
    facet = complete.inputs[0].inputFacets["dataQualityAssertions"]
    assert [(a.assertion, a.success, a.column, a.severity) for a in facet.assertions] == [
        ("quality.completeness.body", False, "body", "warning"),
        ("discoverability.owner", True, None, "blocker"),
        ("lineage.producer", True, None, "warning"),
    ]


def test_run_ids_are_uuids_stable_per_run_and_dataset() -> None:
    first = audit_run_id("manual__1", audit())
    assert uuid.UUID(first)
    assert audit_run_id("manual__1", audit()) == first
    assert audit_run_id("manual__2", audit()) != first
    other = audit().model_copy(update={"name": "customer_profiles"})
    assert audit_run_id("manual__1", other) != first


def test_a_broken_audit_ends_in_fail_with_its_error(registry: Registry) -> None:
    from openlineage.client.serde import Serde

    events = build_audit_events(
        audit(DatasetStatus.ERROR, profiled=False, reason="profile query crashed"),
        IDENTITY,
        run_id="r1",
        job_namespace="preflight",
    )
    start, end = (json.loads(Serde.to_json(e)) for e in events)
    for event in (start, end):
        validate(event, registry)
    assert end["eventType"] == "FAIL"
    assert end["run"]["facets"]["errorMessage"]["message"] == "profile query crashed"
    assert "dataQualityMetrics" not in end["inputs"][0].get("inputFacets", {})


def test_an_unreachable_dataset_is_a_completed_audit_with_assertions_only() -> None:
    _, end = build_audit_events(
        audit(DatasetStatus.UNREACHABLE, profiled=False),
        IDENTITY,
        run_id="r1",
        job_namespace="preflight",
    )
    assert end.eventType.value == "COMPLETE"
    assert set(end.inputs[0].inputFacets) == {"dataQualityAssertions"}


def test_parent_facet_from_the_airflow_macro_format(registry: Registry) -> None:
    facet = parent_facet(PARENT, ROOT)
    assert (facet.job.namespace, facet.job.name, facet.run.runId) == (
        "default",
        "audit_readiness.audit_dataset",
        "01968b2c-1c00-7000-8000-00000000abcd",
    )
    assert facet.root is not None and facet.root.job.name == "audit_readiness"
    with pytest.raises(ValueError):
        parent_facet("default/no-run-id")
    with pytest.raises(ValueError):
        parent_facet("default/job/not-a-uuid")


def test_audit_events_round_trip_through_lineage_in(tmp_path: Path) -> None:
    path = tmp_path / "ol.jsonl"
    emit_audit_events(
        audit(), IDENTITY, run_id="r1", job_namespace="preflight", client=file_client(path)
    )
    events, errors = read_events_file(path)
    assert errors == []
    job = build_graph(events).job("preflight", "preflight.audit.support_documents")
    assert job is not None and job.latest_run.state == "COMPLETE"
    assert [(r.namespace, r.name) for r in job.inputs] == [IDENTITY]


# --------------------------------------------------------------------------- the client


def test_preflight_lineage_file_writes_json_lines_under_preflight_home(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, registry: Registry
) -> None:
    monkeypatch.setenv("PREFLIGHT_LINEAGE_FILE", "1")
    assert lineage_file_path() == clean_env / "lineage" / "events.jsonl"

    sent = emit_audit_events(audit(), IDENTITY, run_id="r1", job_namespace="preflight")

    written = read_lines(clean_env / "lineage" / "events.jsonl")
    assert len(sent) == len(written) == 2
    for event in written:
        validate(event, registry)
    monkeypatch.setenv("PREFLIGHT_LINEAGE_FILE", "audits.jsonl")
    assert lineage_file_path() == clean_env / "lineage" / "audits.jsonl"
    monkeypatch.setenv("PREFLIGHT_LINEAGE_FILE", "false")
    assert lineage_file_path() is None


@pytest.mark.parametrize(
    ("env", "settings"),
    [
        ({}, {}),
        ({"PREFLIGHT_LINEAGE_FILE": "1"}, {}),
        ({"PREFLIGHT_LINEAGE_FILE": "false"}, {}),
        ({"OPENLINEAGE_URL": "http://127.0.0.1:1"}, {}),
        ({"OPENLINEAGE__TRANSPORT__TYPE": "console"}, {}),
        ({"AIRFLOW__OPENLINEAGE__TRANSPORT": '{"type": "console"}'}, {}),
        ({"AIRFLOW__OPENLINEAGE__TRANSPORT": '{"type": "console"}', "AIRFLOW__OPENLINEAGE__DISABLED": "true"}, {}),
        ({}, {"lineage": {"marquez_url": "http://127.0.0.1:1"}}),
    ],
)
def test_the_light_check_agrees_with_the_client(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], settings: dict
) -> None:
    """The pipeline skips lineage (and the openlineage import) on ``output_configured``:
    it must say yes exactly when ``client_from_settings`` finds an output."""
    from openlineage.client import OpenLineageClient

    from preflight.run.lineage_target import DYNAMIC_ENV_PREFIX, output_configured

    assert DYNAMIC_ENV_PREFIX == OpenLineageClient.DYNAMIC_ENV_VARS_PREFIX
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    configured = Settings.model_validate(settings)
    assert output_configured(configured) is (client_from_settings(configured) is not None)


def test_nothing_configured_sends_nothing(clean_env: Path) -> None:
    assert client_from_settings(Settings()) is None
    assert emit_audit_events(audit(), IDENTITY, run_id="r1", job_namespace="preflight") == []


def test_standard_openlineage_environment_is_honoured(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "standard.jsonl"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(target))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    client = client_from_settings()
    assert client is not None and client.transport.kind == "file"
    emit_audit_events(audit(), IDENTITY, run_id="r1", job_namespace="preflight", client=client)
    assert len(read_lines(target)) == 2


def test_openlineage_yml_in_the_working_directory_is_honoured(
    clean_env: Path, tmp_path: Path
) -> None:
    target = tmp_path / "from-yml.jsonl"
    (Path.cwd() / "openlineage.yml").write_text(
        f"transport:\n  type: file\n  log_file_path: {target}\n  append: true\n"
    )
    emit_audit_events(audit(), IDENTITY, run_id="r1", job_namespace="preflight")
    assert len(read_lines(target)) == 2


def test_the_airflow_providers_transport_is_reused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "airflow.jsonl"
    monkeypatch.setenv(
        "AIRFLOW__OPENLINEAGE__TRANSPORT",
        json.dumps({"type": "file", "log_file_path": str(target), "append": True}),
    )
    emit_audit_events(audit(), IDENTITY, run_id="r1", job_namespace="preflight")
    assert len(read_lines(target)) == 2
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__TRANSPORT", "{not json")
    with pytest.raises(LineageEmitError, match="AIRFLOW__OPENLINEAGE__TRANSPORT"):
        client_from_settings()


def test_settings_marquez_url_is_the_last_resort(clean_env: Path) -> None:
    settings = Settings(lineage=LineageSettings(marquez_url="http://marquez.internal:5000/api/v1"))
    client = client_from_settings(settings)
    assert client is not None and client.transport.kind == "http"
    assert client.transport.url == "http://marquez.internal:5000"


class Unreachable(Transport):
    kind = "unreachable"

    def emit(self, event: Any) -> Any:
        raise ConnectionError("connection refused")


def test_a_failing_transport_is_a_lineage_emit_error(clean_env: Path) -> None:
    with pytest.raises(LineageEmitError, match="START event of preflight.audit.support_documents"):
        emit_audit_events(
            audit(),
            IDENTITY,
            run_id="r1",
            job_namespace="preflight",
            client=OpenLineageClient(transport=Unreachable()),
        )

"""Lineage in: events file and Marquez API give one graph; each lineage check passes and fails.

The recorded fixture (tests/data/lineage) is one day of a warehouse: a CRM system of
record -> staging -> marts -> a RAG index, with a failed rerun of the profiles job, an
OTHER event, column lineage, and a consumer that spells the warehouse namespace its own
way. The Marquez responses beside it are served by a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import sqlalchemy as sa

from preflight.config import load_config
from preflight.measure.checks.lineage import (
    DatasetRef,
    LineageGraph,
    LineageReadError,
    LineageSourceError,
    assess_lineage,
    build_graph,
    clear_cache,
    dataset_identity,
    lineage_probe,
    match_rank,
    read_events_file,
    read_marquez,
)
from preflight.measure.registry import ProbeContext, builtin_probes
from preflight.model.config import Config, LineageSettings, Settings
from preflight.model.results import ColumnProfile, Dimension, Severity, TableProfile

DATA = Path(__file__).resolve().parent.parent / "data" / "lineage"
EVENTS = DATA / "events.jsonl"
CONFIG_DIR = DATA / "config"
WH = "postgres://warehouse.internal:5432"
NOW = datetime(2025, 5, 2, 12, 0, tzinfo=UTC)


PROBES = {registered.name: registered for registered in builtin_probes()}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(CONFIG_DIR)


@pytest.fixture(scope="module")
def graph() -> LineageGraph:
    events, errors = read_events_file(EVENTS)
    assert errors == []
    return build_graph(events)


def identity(config: Config, name: str) -> tuple[str, str]:
    dataset = config.datasets[name]
    return dataset_identity(dataset, config.sources[dataset.source].url or "")


def checks_of(
    graph: LineageGraph, config: Config, name: str, now: datetime = NOW, **kwargs: Any
) -> dict:
    found = assess_lineage(graph, name, identity(config, name), config, now, **kwargs)
    assert all(c.dimension == Dimension.LINEAGE and c.dataset == name for c in found)
    return {c.id: c for c in found}


# --------------------------------------------------------------------------- reading


def test_file_yields_jobs_runs_datasets_and_column_lineage(graph: LineageGraph) -> None:
    profiles = graph.job("prod-airflow", "etl.build_customer_profiles")
    assert profiles is not None
    assert [(r.state, r.time) for r in profiles.runs] == [
        ("COMPLETE", datetime(2025, 5, 1, 2, 20, tzinfo=UTC)),
        ("FAIL", datetime(2025, 5, 2, 2, 3, tzinfo=UTC)),
    ]
    assert profiles.latest_success.time == datetime(2025, 5, 1, 2, 20, tzinfo=UTC)
    assert profiles.runs[0].started_at == datetime(2025, 5, 1, 2, 0, tzinfo=UTC)
    assert profiles.inputs == (
        DatasetRef(WH, "analytics.staging.customers"),
        DatasetRef(WH, "analytics.staging.orders"),
    )
    assert profiles.outputs == (DatasetRef(WH, "analytics.marts.customer_profiles"),)

    # The OTHER event between START and COMPLETE leaves the run's state alone.
    docs_job = graph.job("prod-airflow", "etl.build_support_documents")
    assert [r.state for r in docs_job.runs] == ["COMPLETE"]

    docs = graph.column_lineage[DatasetRef(WH, "analytics.marts.support_documents")]
    assert set(docs) == {"doc_id", "customer_id", "body"}
    assert [str(s) for s in docs["body"]] == [
        f"{WH}/analytics.marts.customer_profiles.full_name",
        f"{WH}/analytics.marts.customer_profiles.order_count",
    ]


def test_event_order_does_not_matter() -> None:
    events, _ = read_events_file(EVENTS)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    assert build_graph(shuffled) == build_graph(events)


def test_malformed_lines_are_reported_with_their_line_number_and_skipped(tmp_path: Path) -> None:
    lines = EVENTS.read_text().splitlines()
    broken = [
        *lines[:2],
        '{"eventType": "START", "eventTime": "2025-05-01T01:00:00Z", "run": ',  # line 3: cut short
        *lines[2:5],
        "",  # line 7: blank lines are not errors
        '["not", "an", "event"]',  # line 8
        json.dumps(
            {
                "eventType": "START",
                "eventTime": "2025-05-01T01:00:00Z",
                "run": {"runId": "x"},
                "job": {"namespace": "prod-airflow"},
            }
        ),  # line 9: no job name
        json.dumps(
            {
                "eventType": "DONE",
                "eventTime": "2025-05-01T01:00:00Z",
                "run": {"runId": "x"},
                "job": {"namespace": "a", "name": "b"},
            }
        ),  # line 10
        *lines[5:],
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(broken) + "\n")

    events, errors = read_events_file(path)

    assert [e.line for e in errors] == [3, 8, 9, 10]
    assert "not valid JSON" in errors[0].message
    assert "JSON object" in errors[1].message
    assert "job.name" in errors[2].message
    assert "eventType" in errors[3].message
    assert str(errors[0]).startswith("line 3: ")
    assert len(events) == len(lines)
    assert build_graph(events) == build_graph(read_events_file(EVENTS)[0])


def test_a_missing_events_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(LineageSourceError, match="nothing.jsonl"):
        read_events_file(tmp_path / "nothing.jsonl")


# --------------------------------------------------------------------------- Marquez API


class RecordedMarquez:
    """Answers like Marquez from recorded responses. `legacy` plays a server without
    /events/lineage; `requests` keeps every path and query asked for."""

    def __init__(self, legacy: bool = False, fail_with: int | None = None) -> None:
        self.legacy = legacy
        self.fail_with = fail_with
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.routes = json.loads((DATA / "marquez" / "api_v1.json").read_text())
        self.events = json.loads((DATA / "marquez" / "events_lineage.json").read_text())["events"]

    def answer(self, raw_path: str) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        self.requests.append((path, query))
        if self.fail_with:
            return self.fail_with, {"code": self.fail_with, "message": "boom"}
        if path == "/api/v1/events/lineage" and not self.legacy:
            events = sorted(
                self.events,
                key=lambda e: e["eventTime"],
                reverse=query.get("sortDirection", ["desc"])[0] == "desc",
            )
            limit, offset = int(query.get("limit", ["100"])[0]), int(query.get("offset", ["0"])[0])
            return 200, {"events": events[offset : offset + limit], "totalCount": len(events)}
        if path in self.routes:
            return 200, self.routes[path]
        return 404, {"code": 404, "message": f"{path} not found"}


@pytest.fixture
def marquez() -> Iterator[tuple[str, RecordedMarquez]]:
    recorded = RecordedMarquez()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, body = recorded.answer(self.path)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorded
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_marquez_events_endpoint_gives_the_same_graph_and_checks(
    marquez: tuple[str, RecordedMarquez], graph: LineageGraph, config: Config
) -> None:
    url, recorded = marquez
    events, errors = read_marquez(url, page_size=5)

    assert errors == []
    from_api = build_graph(events)
    assert from_api == graph
    for name in config.datasets:
        assert checks_of(from_api, config, name) == checks_of(graph, config, name)
    pages = [q for path, q in recorded.requests if path == "/api/v1/events/lineage"]
    assert [p["offset"] for p in pages] == [["0"], ["5"], ["10"], ["15"]]
    assert all(p["sortDirection"] == ["asc"] for p in pages)


def test_marquez_without_events_endpoint_is_read_through_jobs_and_runs(
    marquez: tuple[str, RecordedMarquez], graph: LineageGraph, config: Config
) -> None:
    url, recorded = marquez
    recorded.legacy = True

    events, errors = read_marquez(url + "/api/v1/")

    assert errors == []
    from_api = build_graph(events)
    assert from_api == graph
    for name in config.datasets:
        assert checks_of(from_api, config, name) == checks_of(graph, config, name)
    asked = {path for path, _ in recorded.requests}
    assert "/api/v1/namespaces" in asked
    assert f"/api/v1/namespaces/{WH}/datasets" in asked
    assert "/api/v1/namespaces/prod-airflow/jobs/etl.build_customer_profiles/runs" in asked


def test_marquez_namespace_keeps_that_namespace_jobs(marquez: tuple[str, RecordedMarquez]) -> None:
    url, recorded = marquez
    assert {j.name for j in build_graph(read_marquez(url, "rag")[0]).jobs} == {
        "index_support_documents"
    }
    recorded.legacy = True
    assert {j.name for j in build_graph(read_marquez(url, "rag")[0]).jobs} == {
        "index_support_documents"
    }


def test_marquez_http_errors_and_unreachable_servers_are_source_errors(
    marquez: tuple[str, RecordedMarquez],
) -> None:
    url, recorded = marquez
    recorded.fail_with = 500
    with pytest.raises(LineageSourceError, match="HTTP 500"):
        read_marquez(url)
    with socket.socket() as probe_socket:  # a port that was free a moment ago: nothing listens
        probe_socket.bind(("127.0.0.1", 0))
        closed_port = probe_socket.getsockname()[1]
    with pytest.raises(LineageSourceError, match="unreachable"):
        read_marquez(f"http://127.0.0.1:{closed_port}", timeout=2)


# --------------------------------------------------------------------------- naming


def test_dataset_identity_follows_openlineage_naming(config: Config, tmp_path: Path) -> None:
    assert identity(config, "support_documents") == (WH, "analytics.marts.support_documents")
    assert identity(config, "crm_customers") == (
        "postgres://crm-db.internal:5432",
        "crm.public.customers",
    )
    assert identity(config, "shop_orders") == ("mysql://shop-db.internal:3306", "shop.orders")
    events_db = config.datasets["crm_customers"].model_copy(update={"table": "events"})
    assert dataset_identity(events_db, f"sqlite:///{tmp_path}/demo.db") == (
        f"sqlite://{tmp_path}/demo.db",
        "events",
    )
    attached = events_db.model_copy(update={"schema_name": "archive"})
    assert dataset_identity(attached, f"sqlite:///{tmp_path}/demo.db")[1] == "archive.events"
    assert dataset_identity(attached, "mariadb://root@db/other") == (
        "mysql://db:3306",
        "archive.events",
    )


@pytest.mark.parametrize(
    ("ref", "rank"),
    [
        (DatasetRef(WH, "analytics.marts.orders"), 0),
        (
            DatasetRef("postgresql://warehouse.internal", "analytics.marts.orders"),
            0,
        ),  # alias + default port
        (DatasetRef("POSTGRES://WAREHOUSE.INTERNAL:5432", "Analytics.Marts.Orders"), 0),
        (DatasetRef("postgres://replica:5432", "analytics.marts.orders"), 1),
        (DatasetRef("warehouse", "marts.orders"), 2),
        (DatasetRef("sqlite:///srv/x.db", "orders"), 3),
        (DatasetRef(WH, "analytics.staging.orders"), None),  # another schema
        (DatasetRef(WH, "other.marts.orders"), None),  # another database
        (DatasetRef("file", "/data/marts.orders"), None),  # paths match by full name only
    ],
)
def test_matching_rules(ref: DatasetRef, rank: int | None) -> None:
    assert match_rank((WH, "analytics.marts.orders"), ref) == rank


def test_localhost_and_loopback_are_one_host() -> None:
    assert (
        match_rank(
            ("postgres://127.0.0.1:5432", "db.s.t"), DatasetRef("postgres://localhost", "db.s.t")
        )
        == 0
    )


def _writes(job: str, namespace: str, name: str) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2025-05-01T00:00:00Z",
        "run": {"runId": f"run-{job}"},
        "job": {"namespace": "a", "name": job},
        "outputs": [{"namespace": namespace, "name": name}],
    }


def test_a_bare_table_name_matches_only_when_nothing_closer_does() -> None:
    both = build_graph([_writes("one", "x", "orders"), _writes("two", "y", "marts.orders")])
    match = both.find((WH, "analytics.marts.orders"))
    assert (match.rule, match.ref, match.aliases) == (
        "suffix",
        DatasetRef("y", "marts.orders"),
        (match.ref,),
    )

    only_table = build_graph([_writes("one", "x", "orders")]).find((WH, "analytics.marts.orders"))
    assert (only_table.rule, only_table.ref) == ("table", DatasetRef("x", "orders"))

    same_name = both.find(("sqlite:///srv/shop.db", "orders"))
    assert (same_name.rule, same_name.aliases) == ("name", (DatasetRef("x", "orders"),))


# --------------------------------------------------------------------------- sub-checks


def test_producer(graph: LineageGraph, config: Config) -> None:
    ok = checks_of(graph, config, "support_documents")["lineage.producer"]
    assert ok.passed and ok.severity == Severity.WARNING
    assert ok.observed == "prod-airflow/etl.build_support_documents"
    missing = checks_of(graph, config, "orphan_notes")["lineage.producer"]
    assert not missing.passed and missing.remediation
    assert "analytics.marts.orphan_notes" in missing.message
    consumed_only = checks_of(graph, config, "shop_orders")["lineage.producer"]
    assert not consumed_only.passed and "no job writes it" in consumed_only.message


def test_last_run(graph: LineageGraph, config: Config) -> None:
    ok = checks_of(graph, config, "support_documents")["lineage.last_run"]
    assert ok.passed and ok.observed == {"state": "COMPLETE", "age_hours": 8.8}
    failed = checks_of(graph, config, "customer_profiles")["lineage.last_run"]
    assert not failed.passed and failed.severity == Severity.WARNING
    assert failed.observed == {"state": "FAIL", "age_hours": 9.9}
    assert failed.details["run_id"] == "0196898a-5c80-7000-8000-0000000000a4"


def test_last_run_judges_the_latest_finished_run_while_one_is_in_progress(
    graph: LineageGraph, config: Config
) -> None:
    events, _ = read_events_file(EVENTS)
    running = {
        "eventType": "START",
        "eventTime": "2025-05-02T11:00:00Z",
        "run": {"runId": "0196898a-5c80-7000-8000-0000000000b1"},
        "job": {"namespace": "prod-airflow", "name": "etl.build_support_documents"},
    }
    check = checks_of(build_graph([*events, running]), config, "support_documents")[
        "lineage.last_run"
    ]
    assert check.passed
    assert check.details["in_progress"]["state"] == "START"


def test_recency(graph: LineageGraph, config: Config) -> None:
    ok = checks_of(graph, config, "support_documents")["lineage.recency"]
    assert ok.passed and ok.severity == Severity.INFO
    assert ok.expected == {"max_age_hours": 48.0, "from": "freshness SLO"}
    stale = checks_of(graph, config, "support_documents", now=NOW + timedelta(days=2))[
        "lineage.recency"
    ]
    assert not stale.passed and stale.observed == 56.8
    # Without a freshness SLO the default is 7 days.
    assert checks_of(graph, config, "staging_customers", now=NOW + timedelta(days=5))[
        "lineage.recency"
    ].passed
    late = checks_of(graph, config, "staging_customers", now=NOW + timedelta(days=7))[
        "lineage.recency"
    ]
    assert not late.passed and late.expected["max_age_hours"] == 168.0


def test_upstream(graph: LineageGraph, config: Config) -> None:
    ok = checks_of(graph, config, "support_documents")["lineage.upstream"]
    assert ok.passed and ok.observed == 3
    assert checks_of(graph, config, "crm_customers")[
        "lineage.upstream"
    ].passed  # system of record, depth 0
    missing = checks_of(graph, config, "orphan_notes")["lineage.upstream"]
    assert not missing.passed and missing.observed == 0


def test_system_of_record(graph: LineageGraph, config: Config) -> None:
    ok = checks_of(graph, config, "support_documents")["lineage.system_of_record"]
    assert ok.passed and ok.observed == ["crm_customers"] and ok.severity == Severity.INFO
    ends_elsewhere = checks_of(graph, config, "staging_orders")["lineage.system_of_record"]
    assert not ends_elsewhere.passed
    assert ends_elsewhere.observed == ["mysql://shop-db.internal:3306/shop.orders"]


def test_column_coverage(graph: LineageGraph, config: Config) -> None:
    ok = checks_of(graph, config, "staging_customers")["lineage.column_coverage"]
    assert ok.passed and ok.observed == 1.0
    partial = checks_of(graph, config, "support_documents")["lineage.column_coverage"]
    assert not partial.passed and partial.observed == 0.75
    assert partial.details["missing"] == ["updated_at"]
    # Columns given by the profile win over the catalog's declared ones (case-insensitive).
    profiled = checks_of(graph, config, "support_documents", columns=["DOC_ID", "body"])
    assert profiled["lineage.column_coverage"].passed


# --------------------------------------------------------------------------- the probe


def context(config: Config, name: str, columns: tuple[str, ...] = ()) -> ProbeContext:
    dataset = config.datasets[name]
    profile = TableProfile(
        table=dataset.table,
        schema_name=dataset.schema_name,
        row_count=10,
        profiled_at=NOW,
        columns=tuple(
            ColumnProfile(name=c, type="TEXT", kind="text", null_count=0) for c in columns
        ),
    )
    # Creating an engine opens no connection; only its URL is used.
    engine = sa.create_engine(config.sources[dataset.source].url or "")
    return ProbeContext(
        name=name, dataset=dataset, config=config, engine=engine, profile=profile, now=NOW
    )


def test_probe_is_registered_for_the_lineage_dimension() -> None:
    registered = PROBES["lineage"]
    assert (registered.dimension, registered.order, registered) == (
        Dimension.LINEAGE,
        60,
        lineage_probe,
    )


def test_probe_checks_and_facts(config: Config) -> None:
    ctx = context(config, "support_documents", ("doc_id", "customer_id", "body"))
    checks = list(lineage_probe(ctx))

    assert [c.id for c in checks] == [
        "lineage.producer",
        "lineage.last_run",
        "lineage.recency",
        "lineage.upstream",
        "lineage.system_of_record",
        "lineage.column_coverage",
    ]
    assert all(c.passed for c in checks)
    facts = ctx.facts["lineage"]
    json.dumps(facts)  # goes into reports and XCom as is
    assert facts["producer"] == "etl.build_support_documents"
    assert facts["depth"] == 3
    assert [(u["name"], u["depth"], u["dataset"]) for u in facts["upstream"]][:1] == [
        ("analytics.marts.customer_profiles", 1, "customer_profiles")
    ]
    assert {
        "name": "crm.public.customers",
        "namespace": "postgres://crm-db.internal:5432",
        "depth": 3,
        "dataset": "crm_customers",
        "system_of_record": True,
    } in facts["upstream"]
    assert facts["downstream"] == [
        {
            "namespace": "file",
            "name": "/srv/rag/support_index",
            "depth": 1,
            "dataset": None,
            "system_of_record": False,
        }
    ]
    assert facts["consumers"] == [{"namespace": "rag", "name": "index_support_documents"}]
    assert facts["matched"]["rule"] == "exact" and len(facts["matched"]["aliases"]) == 2
    assert facts["last_run"]["state"] == "COMPLETE"
    assert facts["read_error_count"] == 0 and facts["source"] == "events file events.jsonl"


def test_probe_loads_the_graph_once_per_source(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    import preflight.measure.checks.lineage.checks as lineage

    calls: list[Path] = []
    real = lineage.read_events_file

    def counting(path: Path) -> tuple[list[dict[str, Any]], list[LineageReadError]]:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(lineage, "read_events_file", counting)
    for name in ("support_documents", "customer_profiles", "orphan_notes"):
        lineage_probe(context(config, name))
    assert calls == [EVENTS]


def test_probe_without_a_lineage_source_says_how_to_configure_one(config: Config) -> None:
    bare = config.model_copy(update={"settings": Settings()})
    checks = list(lineage_probe(context(bare, "support_documents")))
    assert len(checks) == 1
    (check,) = checks
    assert (check.id, check.passed, check.severity) == (
        "lineage.source_configured",
        False,
        Severity.WARNING,
    )
    assert "events_file" in check.remediation and "marquez_url" in check.remediation


def test_probe_with_an_unreadable_source_fails_one_check(
    config: Config, preflight_home: Path
) -> None:
    missing = config.model_copy(
        update={
            "settings": Settings(
                lineage=LineageSettings(events_file="${PREFLIGHT_HOME}/none.jsonl")
            )
        }
    )
    (check,) = lineage_probe(context(missing, "support_documents"))
    assert (check.id, check.passed) == ("lineage.source_readable", False)
    assert "none.jsonl" in check.message


def test_probe_reads_marquez_from_settings(
    config: Config, marquez: tuple[str, RecordedMarquez]
) -> None:
    url, _ = marquez
    remote = config.model_copy(
        update={"settings": Settings(lineage=LineageSettings(marquez_url=url))}
    )
    ctx = context(remote, "customer_profiles")
    checks = {c.id: c for c in lineage_probe(ctx)}
    assert not checks["lineage.last_run"].passed
    assert ctx.facts["lineage"]["source"].startswith("lineage API http://127.0.0.1:")

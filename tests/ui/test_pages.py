"""The UI app's pages without a browser: empty store, escaping, missing lineage, 404s.
Airflow's authentication is exercised for real in test_plugin_auth; here it is
replaced by a fixed user so the pages themselves can be checked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from preflight.model.results import (
    Check,
    ColumnProfile,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    Severity,
    TableProfile,
    Verdict,
    VerdictLevel,
)
from preflight.run.store import open_store

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
HOSTILE = "<script>alert('x')</script>"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    from airflow.api_fastapi.core_api.security import get_user

    from preflight.ui.app import build_app

    url = f"sqlite:///{tmp_path / 'results.db'}"
    monkeypatch.setenv("PREFLIGHT_RESULTS_URL", url)
    monkeypatch.setenv("PREFLIGHT_CONFIG", str(REPO / "include" / "config"))
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    app = build_app()
    app.dependency_overrides[get_user] = lambda: {"sub": "tester"}
    with TestClient(app) as test_client:
        test_client.store_url = url
        yield test_client


def _seed(url: str) -> None:
    store = open_store(url)
    store.start_run("cli__seeded", started_at=NOW, trigger="cli", config_dir=None)
    check = Check(id="quality.validity.pattern.code", dimension=Dimension.QUALITY, severity=Severity.WARNING,
                  passed=False, dataset="readers", message=f"bad value {HOSTILE}", observed=HOSTILE)
    profile = TableProfile(table="readers", row_count=3, profiled_at=NOW, columns=(
        ColumnProfile(name="note", type="TEXT", kind="text", null_count=0, min=HOSTILE, max=HOSTILE),))
    store.save_audit("cli__seeded", DatasetAudit(
        name="readers", source="warehouse", status=DatasetStatus.OK, profile=profile, checks=(check,),
        scores={"quality": 50, "discoverability": 10, "lineage": 0}, started_at=NOW, finished_at=NOW))
    verdict = Verdict(use_case="article_recommendations", kind="recommendation", verdict=VerdictLevel.BLOCKED,
                      score=40, blockers=(f"blocked by {HOSTILE}",), checks=(check.model_copy(update={"severity": Severity.BLOCKER}),),
                      datasets=("readers",))
    store.save_verdicts("cli__seeded", [verdict], finished_at=NOW)


def test_empty_store_says_so(client) -> None:  # noqa: ANN001
    page = client.get("/")
    assert page.status_code == 200
    assert "no audit yet" in page.text.lower()


def test_values_from_the_data_are_escaped(client) -> None:  # noqa: ANN001
    _seed(client.store_url)
    for path in ("/", "/use-cases/article_recommendations", "/datasets/readers"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert HOSTILE not in page.text, f"{path} renders raw HTML from the data"
    assert "&lt;script&gt;" in client.get("/datasets/readers").text


def test_dataset_without_lineage_facts_renders(client) -> None:  # noqa: ANN001
    _seed(client.store_url)
    page = client.get("/datasets/readers")
    assert page.status_code == 200
    assert "lineage" in page.text.lower()


def test_unknown_names_are_404(client) -> None:  # noqa: ANN001
    _seed(client.store_url)
    assert client.get("/use-cases/nope").status_code == 404
    assert client.get("/datasets/nope").status_code == 404
    assert client.get("/", params={"run": "no-such-run"}).status_code == 404


def test_json_endpoints(client) -> None:  # noqa: ANN001
    _seed(client.store_url)
    latest = client.get("/api/runs/latest").json()
    assert latest["run_id"] == "cli__seeded"
    history = client.get("/api/use-cases/article_recommendations/history").json()
    assert [(h["run_id"], h["verdict"], h["score"]) for h in history] == [("cli__seeded", "blocked", 40)]

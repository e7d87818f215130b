"""The dataset page links the dataset's Croissant card, and the UI serves it as JSON-LD.
Airflow's authentication is exercised for real in test_plugin_auth; here it is replaced
by a fixed user, as in test_pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from preflight.authoring.croissant import validate_card
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


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from airflow.api_fastapi.core_api.security import get_user

    from preflight.ui.app import build_app

    url = f"sqlite:///{tmp_path / 'results.db'}"
    monkeypatch.setenv("PREFLIGHT_RESULTS_URL", url)
    monkeypatch.setenv("PREFLIGHT_CONFIG", str(REPO / "include" / "config"))
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    store = open_store(url)
    store.start_run("cli__seeded", started_at=NOW, trigger="cli", config_dir=None)
    profile = TableProfile(table="readers", row_count=4, profiled_at=NOW, columns=(
        ColumnProfile(name="reader_id", type="INTEGER", kind="numeric", null_count=0, distinct_count=4),
        ColumnProfile(name="country", type="VARCHAR(2)", kind="text", null_count=1),
        ColumnProfile(name="signed_up_at", type="DATETIME", kind="temporal", null_count=0),
    ))
    failing = Check(id="quality.completeness.country", dimension=Dimension.QUALITY, severity=Severity.WARNING,
                    passed=False, dataset="readers", message="readers.country: 1 of 4 rows are NULL (25.0%)")
    store.save_audit("cli__seeded", DatasetAudit(
        name="readers", source="warehouse", status=DatasetStatus.OK, profile=profile, checks=(failing,),
        scores={"quality": 50, "discoverability": 10, "lineage": 0}, started_at=NOW, finished_at=NOW))
    store.save_audit("cli__seeded", DatasetAudit(
        name="articles", source="warehouse", status=DatasetStatus.UNREACHABLE, reason="table articles not found",
        started_at=NOW, finished_at=NOW))
    verdict = Verdict(use_case="article_recommendations", kind="recommendation", verdict=VerdictLevel.AT_RISK,
                      score=70, datasets=("readers", "articles"), description="Article suggestions.")
    store.save_verdicts("cli__seeded", [verdict], finished_at=NOW)
    app = build_app()
    app.dependency_overrides[get_user] = lambda: {"sub": "tester"}
    with TestClient(app) as test_client:
        yield test_client


def test_dataset_page_links_a_valid_card(client: TestClient) -> None:
    page = client.get("/datasets/readers")
    assert page.status_code == 200
    assert 'href="/datasets/readers/croissant.json"' in page.text
    card = client.get("/datasets/readers/croissant.json")
    assert card.status_code == 200
    assert card.headers["content-type"].startswith("application/ld+json")
    body = card.json()
    assert validate_card(body).errors == ()
    # The catalog entry (from PREFLIGHT_CONFIG) and the run's use cases are in the card.
    assert body["name"] == "readers" and "creator" not in body  # readers has no owner: none invented
    assert any("article_recommendations (recommendation)" in u for u in body["rai:dataUseCases"])
    assert "country: 25.0% NULL" in body["rai:dataCollectionMissingData"]
    assert body["recordSet"][0]["key"] == {"@id": "readers/reader_id"}


def test_no_card_without_a_profile(client: TestClient) -> None:
    assert client.get("/datasets/articles/croissant.json").status_code == 404
    assert "croissant.json" not in client.get("/datasets/articles").text
    assert client.get("/datasets/nope/croissant.json").status_code == 404
    assert client.get("/datasets/readers/croissant.json?run=nope").status_code == 404

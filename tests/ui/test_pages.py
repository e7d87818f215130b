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


def _seed_readable(url: str) -> None:
    """A run whose checks need careful wording: a dict observed value, a check that could
    not be measured, a relaxed severity, a dataset warning that blocks a use case."""
    store = open_store(url)
    store.start_run("cli__readable", started_at=NOW, trigger="cli", config_dir=None)
    duplicates = Check(id="quality.uniqueness.primary_key", dimension=Dimension.QUALITY, severity=Severity.WARNING,
                       passed=False, dataset="tickets", column="ticket_id", observed=15, expected=0,
                       message="tickets: 15 duplicate rows on (ticket_id)", remediation="deduplicate `tickets`")
    documented = Check(id="discoverability.documentation", dimension=Dimension.DISCOVERABILITY, severity=Severity.INFO,
                       passed=False, dataset="tickets", observed={"documentation_url": None, "data_card": None},
                       expected="a documentation_url or a data card", message="no documentation")
    passing = [Check(id=f"quality.validity.rule_{i}", dimension=Dimension.QUALITY, severity=Severity.WARNING,
                     passed=True, dataset="tickets", message=f"rule {i} holds") for i in range(8)]
    store.save_audit("cli__readable", DatasetAudit(
        name="tickets", source="warehouse", status=DatasetStatus.OK,
        profile=TableProfile(table="tickets", row_count=3, profiled_at=NOW),
        checks=(duplicates, documented, *passing),
        scores={"quality": 60, "discoverability": 10, "lineage": 0}, started_at=NOW, finished_at=NOW))
    stable = Check(id="stable_ids.tickets", dimension=Dimension.QUALITY, severity=Severity.BLOCKER, passed=False,
                   dataset="tickets", column="ticket_id", observed=15, expected=0,
                   message="tickets ids are not unique", remediation="deduplicate",
                   details={"requirement": "stable_ids", "rule": "keys_unique", "band": "B"})
    unmeasured = Check(id="freshness.tickets", dimension=Dimension.QUALITY, severity=Severity.WARNING, passed=False,
                       measured=False, dataset="tickets", message="the newest row could not be read: timeout",
                       details={"requirement": "freshness", "rule": "fresh", "band": "B",
                                "severity_override": {"natural": "blocker", "applied": "warning",
                                                      "by": "use_cases.support_assistant.severities.freshness"}})
    verdict = Verdict(use_case="support_assistant", kind="rag", verdict=VerdictLevel.BLOCKED, score=30,
                      blockers=("tickets ids are not unique — fix: deduplicate",), checks=(stable, unmeasured),
                      datasets=("tickets",), readiness_level="none")
    store.save_verdicts("cli__readable", [verdict], finished_at=NOW)


def test_checks_read_as_a_person_reads_them(client) -> None:  # noqa: ANN001
    _seed_readable(client.store_url)
    dataset = client.get("/datasets/tickets").text
    assert "{'" not in dataset and "None" not in dataset, "a Python repr reached the page"
    assert "documentation url: — · data card: —" in dataset
    assert "<code>tickets</code>" in dataset  # `backticks` in messages are code
    # The dataset's own warning, and how the use case weighs the same finding.
    assert "for the dataset" in dataset
    assert 'For <a href="/use-cases/support_assistant">support_assistant</a>: <span class="badge blocker">blocker</span>' in dataset
    # Passing checks are folded away.
    assert '<details class="passing"><summary>8 passing checks</summary>' in dataset

    use_case = client.get("/use-cases/support_assistant").text
    assert "could not be measured" in use_case
    assert "relaxed to warning by use_cases.support_assistant.severities.freshness (would be blocker)" in use_case
    assert "band none" in use_case and "band —" not in use_case
    # Score and band are explained where they are shown.
    for page in (use_case, client.get("/").text):
        assert "blocked 0–49, at risk 50–79, ready 80–100" in page
        assert "the highest readiness level whose requirements all pass" in page
    assert "Dimension scores:" in dataset
    assert "2026-11-25T12:00:00+00:00" not in use_case  # times are written for people
    assert '<time datetime="2026-11-25T12:00:00Z" data-local>25 Nov 2026, 12:00 UTC</time>' in use_case


def test_a_broken_configuration_is_a_banner_over_the_stored_results(client, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import shutil

    _seed(client.store_url)
    config = tmp_path / "config"
    shutil.copytree(REPO / "include" / "config", config)
    catalog = config / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("primary_key: reader_id", "primary_kee: reader_id"))
    monkeypatch.setenv("PREFLIGHT_CONFIG", str(config))
    for path in ("/", "/use-cases/article_recommendations", "/datasets/readers"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert 'id="config-banner"' in page.text
        assert "catalog.yaml" in page.text and "datasets.readers.primary_kee" in page.text
        assert "the last audit that finished" in page.text
    assert 'id="use-cases"' in client.get("/").text  # the results are still there


def test_error_pages_keep_their_style_and_never_loop(client, monkeypatch) -> None:  # noqa: ANN001
    _seed(client.store_url)
    missing = client.get("/use-cases/nope", headers={"accept": "text/html"})
    assert missing.status_code == 404
    style = missing.text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert '"Segoe UI"' in style and "&#34;" not in style, "the inlined stylesheet was escaped"
    assert "Back to the overview" in missing.text

    monkeypatch.setenv("PREFLIGHT_RESULTS_URL", "sqlite:////proc/no-such-dir/results.db")
    broken = client.get("/", headers={"accept": "text/html"})
    assert broken.status_code == 500
    assert "Back to the overview" not in broken.text  # it would lead straight back here
    assert "results_url" in broken.text


def test_links_that_leave_the_plugin_are_marked_and_the_script_is_allowed(client) -> None:  # noqa: ANN001
    from preflight.model.results import Verdict as _V  # noqa: F401 - keep the import style of the module

    store = open_store(client.store_url)
    store.start_run("manual__2026-11-25T12:00:00+00:00", started_at=NOW, trigger="airflow", config_dir=None)
    store.save_audit("manual__2026-11-25T12:00:00+00:00", DatasetAudit(
        name="readers", source="warehouse", status=DatasetStatus.OK, scores={}, started_at=NOW, finished_at=NOW))
    store.save_verdicts("manual__2026-11-25T12:00:00+00:00", [], finished_at=NOW)
    page = client.get("/datasets/readers")
    assert page.status_code == 200
    assert '<a href="/dags/preflight_audit/runs/manual__2026-11-25T12%3A00%3A00%2B00%3A00" data-top>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/static/preflight.js")
    assert script.status_code == 200 and "a[data-top]" in script.text


def _seed_two_runs(url: str, *, regress: bool) -> None:
    """Two audits of one dataset; with ``regress`` the second fails a check the first passed."""
    store = open_store(url)
    for n, (run_id, passed) in enumerate((("cli__before", True), ("cli__after", not regress))):
        at = NOW.replace(hour=8 + n)
        store.start_run(run_id, started_at=at, trigger="cli", config_dir=None)
        check = Check(id="quality.completeness.sku", dimension=Dimension.QUALITY, severity=Severity.WARNING,
                      passed=passed, dataset="items", message="items.sku has NULLs" if not passed else "items.sku has no NULLs")
        store.save_audit(run_id, DatasetAudit(
            name="items", source="warehouse", status=DatasetStatus.OK, checks=(check,),
            scores={"quality": 100 if passed else 50, "discoverability": 80, "lineage": 0}, started_at=at, finished_at=at))
        verdict = Verdict(use_case="shop", kind="analytics",
                          verdict=VerdictLevel.READY if passed else VerdictLevel.AT_RISK, score=100 if passed else 60,
                          checks=(check.model_copy(update={"id": "completeness.items.sku"}),), datasets=("items",))
        store.save_verdicts(run_id, [verdict], finished_at=at)


def test_the_changes_page_shows_a_planted_regression_and_the_overview_links_to_it(client) -> None:  # noqa: ANN001
    _seed_two_runs(client.store_url, regress=True)
    page = client.get("/changes", headers={"accept": "text/html"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "cli__before" in html and "cli__after" in html and "preflight diff cli__before cli__after" in html
    assert 'data-use-case="shop"' in html and "newly failing" in html and "items.sku has NULLs" in html
    assert "completeness.items.sku" in html.replace("\u200b", "").replace("<wbr>", "")
    assert 'data-dataset="items"' in html and "quality -50" in html
    overview = client.get("/").text
    assert "/changes?a=cli__before&amp;b=cli__after" in overview
    assert client.get("/changes?a=cli__after&b=nope").status_code == 404


def test_the_changes_page_says_no_changes_for_identical_audits(client) -> None:  # noqa: ANN001
    _seed_two_runs(client.store_url, regress=False)
    html = client.get("/changes?a=cli__before&b=cli__after").text
    assert 'id="no-changes"' in html and "newly failing" not in html


def test_the_changes_page_with_a_single_audit_says_there_is_nothing_to_compare(client) -> None:  # noqa: ANN001
    _seed(client.store_url)
    page = client.get("/changes")
    assert page.status_code == 200 and 'id="nothing-to-compare"' in page.text

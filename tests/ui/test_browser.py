"""Preflight's pages and report in a real browser, inside the real Airflow UI.

Debian's chromium driven by Playwright against the session's real ``airflow api-server``
(see ``conftest.py``), whose results store the demo DAGs filled through ``dag.test()``:

- a person's path: sign in on Airflow's login page → "Preflight" in the sidebar → the
  overview → a blocked use case (its blockers) → one of its datasets → its DAG run, which
  opens in Airflow's own window, not inside the Preflight frame;
- at 1024, 1280 and 1920 px no page scrolls sideways (the document's scroll width is at
  most the viewport's): ``report.html`` and every plugin page, alone and inside the frame;
- at 1280×800 every blocked use case's first blocker is on screen without scrolling.

Screenshots of every step go to ``$PREFLIGHT_HOME/screenshots/`` of the test stack and
are copied to the repository's ``.preflight/screenshots/`` for a person to look at after
``make test``: ``NN-step.png`` is the Airflow window, ``NN-step-page.png`` the whole
Preflight page (the iframe scrolls on its own, so the window shows only its top).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from preflight.airflow.env import project_root

pytestmark = [pytest.mark.ui, pytest.mark.integration]

DEMO_USE_CASES = (
    "support_assistant",
    "article_recommendations",
    "article_localisation",
    "seat_suggestions",
)
BLOCKED_CANDIDATES = ("support_assistant", "article_localisation")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000
WIDTHS = (1024, 1280, 1920)
FOLD = {"width": 1280, "height": 800}
# document scroll width and viewport width; > 0 means the page scrolls sideways.
OVERFLOW_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Requested before the Airflow stack, so a missing browser skips before anything starts."""
    pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is not installed (pip install -e '.[dev]')",
    )
    configured = os.environ.get("PREFLIGHT_CHROMIUM")
    if configured and not Path(configured).exists():
        pytest.skip(
            f"PREFLIGHT_CHROMIUM={configured} does not exist; the browser test needs a real browser"
        )
    path = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip(
            "no chromium on PATH (install Debian's chromium with `make chromium`, or set "
            "PREFLIGHT_CHROMIUM); the browser test needs a real browser"
        )
    return path


class Shots:
    """Numbered screenshots under PREFLIGHT_HOME, copied to the repo for people to look at."""

    def __init__(self, home: Path) -> None:
        self.dir = home / "screenshots"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.copy_to = project_root() / ".preflight" / "screenshots"
        self.copy_to.mkdir(parents=True, exist_ok=True)
        for old in self.copy_to.glob("*.png"):  # only this run's pictures
            old.unlink()
        self.n = 0

    def take(self, page, name: str, *, frame_url: str | None = None, full_page: bool = False) -> None:  # noqa: ANN001
        self.n += 1
        stem = f"{self.n:02d}-{name}"
        paths = [self.dir / f"{stem}.png"]
        page.screenshot(path=str(paths[0]), full_page=full_page)
        if frame_url:
            # The same page outside the iframe, whole length.
            full = page.context.new_page()
            try:
                full.set_viewport_size({"width": 1280, "height": 900})
                full.goto(frame_url, wait_until="networkidle")
                paths.append(self.dir / f"{stem}-page.png")
                full.screenshot(path=str(paths[-1]), full_page=True)
            finally:
                full.close()
        for path in paths:
            shutil.copyfile(path, self.copy_to / path.name)


@pytest.fixture(scope="session")
def shots(airflow_stack) -> Shots:  # noqa: ANN001
    return Shots(airflow_stack.home)


@pytest.fixture(scope="session")
def audit_run(airflow_stack):  # noqa: ANN001, ANN201
    """What the audit DAG stored: the pages must show exactly this."""
    from preflight.config import load_config
    from preflight.run.pipeline import store_for

    assert not airflow_stack.audit_run_id.startswith("cli__")
    run = store_for(load_config()).load_run(airflow_stack.audit_run_id)
    names = {v.use_case for v in run.use_cases}
    assert set(DEMO_USE_CASES) <= names, f"demo use cases missing from the audit: {sorted(names)}"
    return run


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _sign_in(browser, base: str, viewport: dict[str, int]):  # noqa: ANN001, ANN202
    """A new window signed in through Airflow's own login page."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base}/")
    page.wait_for_url("**/auth/login**")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.wait_for_load_state("networkidle")
    return context, page


def _preflight_frame(page):  # noqa: ANN001, ANN202
    """The iframe the Airflow UI shows the external view in, once its page has loaded."""
    iframe = page.wait_for_selector("iframe[src*='/preflight/']", state="attached")
    frame = iframe.content_frame()
    assert frame is not None, "the Preflight iframe has no content frame"
    frame.wait_for_load_state("load")
    return frame


def _open_in_airflow(page, base: str):  # noqa: ANN001, ANN202
    from playwright.sync_api import expect

    nav_link = page.get_by_role("link", name="Preflight", exact=True)
    expect(nav_link).to_be_visible()
    nav_link.click()
    page.wait_for_url("**/plugin/preflight**")
    frame = _preflight_frame(page)
    frame.wait_for_selector("table#use-cases")
    return frame


def _plugin_pages(run) -> list[tuple[str, str]]:  # noqa: ANN001
    pages = [("overview", "/preflight/")]
    pages += [(f"use-case-{v.use_case}", f"/preflight/use-cases/{quote(v.use_case)}") for v in run.use_cases]
    pages += [(f"dataset-{a.name}", f"/preflight/datasets/{quote(a.name)}") for a in run.datasets]
    pages.append(("not-found", "/preflight/use-cases/no-such-use-case"))
    return pages


def test_sign_in_navigate_and_read_the_readiness_pages(browser, airflow_stack, audit_run, shots: Shots) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    verdicts = {v.use_case: v for v in audit_run.use_cases}
    blocked = next((n for n in BLOCKED_CANDIDATES if verdicts[n].verdict.value == "blocked"), None)
    assert blocked, f"expected {' or '.join(BLOCKED_CANDIDATES)} to be blocked: " + str(
        {n: verdicts[n].verdict.value for n in BLOCKED_CANDIDATES}
    )
    base = airflow_stack.base_url
    context, page = _sign_in(browser, base, {"width": 1440, "height": 960})
    try:
        shots.take(page, "airflow-home")

        # 1. "Preflight" is in Airflow's navigation, its label whole, and opens the overview.
        nav_link = page.get_by_role("link", name="Preflight", exact=True)
        clipped = nav_link.evaluate(
            "link => [link, ...link.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible').length"
        )
        assert clipped == 0, "the sidebar cuts the Preflight label"
        frame = _open_in_airflow(page, base)
        expect(frame.locator("h1")).to_contain_text("readiness")
        for name in DEMO_USE_CASES:
            row = frame.locator(f'table#use-cases tr[data-use-case="{name}"]')
            expect(row).to_have_count(1)
            expect(row.locator(".badge").first).to_have_text(verdicts[name].verdict.value.replace("_", " "))
            expect(row).to_contain_text(f"band {verdicts[name].readiness_level}")
        expect(frame.locator(".key").first).to_contain_text("blocked 0–49, at risk 50–79, ready 80–100")
        shots.take(page, "preflight-overview", frame_url=frame.url)

        # 2. A blocked use case: its blockers, each with its remediation.
        frame.locator("table#use-cases").get_by_role("link", name=blocked, exact=True).click()
        frame.wait_for_url(f"**/preflight/use-cases/{blocked}")
        expect(frame.locator("h1")).to_contain_text(blocked)
        expect(frame.locator("h1 .badge").first).to_have_text("blocked")
        failing_blockers = [c for c in verdicts[blocked].checks if c.failing and c.severity.value == "blocker"]
        expect(frame.locator("ul.blockers > li")).to_have_count(len(verdicts[blocked].blockers))
        for check in failing_blockers:
            expect(frame.locator("ul.blockers")).to_contain_text(check.message)
            if check.remediation:
                expect(frame.locator("ul.blockers")).to_contain_text(check.remediation.replace("`", ""))
        expect(frame.locator("svg.chart")).to_be_visible()  # the score trend
        expect(frame.locator("svg.bars").first).to_be_visible()  # requirements by dimension
        shots.take(page, f"use-case-{blocked}", frame_url=frame.url)

        # 3. One of its datasets: checks by dimension, profile, lineage.
        dataset = verdicts[blocked].datasets[0]
        audit = next(a for a in audit_run.datasets if a.name == dataset)
        frame.locator("table#use-case-datasets").get_by_role("link", name=dataset, exact=True).click()
        frame.wait_for_url(f"**/preflight/datasets/{dataset}")
        expect(frame.locator("h1")).to_contain_text(dataset)
        assert audit.profile is not None, f"{dataset} has no profile in the audit"
        expect(frame.locator("table#profile-table tbody tr")).to_have_count(len(audit.profile.columns))
        for column in audit.profile.columns:
            expect(frame.locator("table#profile-table")).to_contain_text(column.name)
        for dimension in {c.dimension.value for c in audit.checks}:
            expect(frame.locator(f"section#dim-{dimension}")).to_have_count(1)
        for check in (c for c in audit.checks if c.failing):
            expect(frame.locator(f"section#dim-{check.dimension.value}")).to_contain_text(check.id)
        expect(frame.locator("svg.bars").first).to_be_visible()  # scores by dimension
        expect(frame.locator("#lineage")).to_be_visible()
        shots.take(page, f"dataset-{dataset}", frame_url=frame.url)

        # 4. Its DAG run opens in Airflow's own window: no Airflow inside the Preflight frame.
        link = frame.get_by_role("link", name="DAG run in Airflow")
        assert link.get_attribute("data-top") is not None
        run_path = f"/dags/preflight_audit/runs/{quote(airflow_stack.audit_run_id, safe='')}"
        assert link.get_attribute("href") == run_path
        link.click()
        page.wait_for_url(f"{base}{run_path}")
        expect(page.get_by_text(airflow_stack.audit_run_id).first).to_be_visible()
        assert page.locator("iframe[src*='/preflight/']").count() == 0, "the DAG run opened inside the frame"
        shots.take(page, "airflow-dag-run")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(width: int, browser, airflow_stack, audit_run, shots: Shots) -> None:  # noqa: ANN001
    base = airflow_stack.base_url
    report = airflow_stack.home / "reports" / "latest" / "report.html"
    assert report.exists(), "the audit DAG wrote no report"
    context, page = _sign_in(browser, base, {"width": width, "height": 900})
    overflowing: list[str] = []
    try:
        page.goto(report.as_uri())
        scroll, view = page.evaluate(OVERFLOW_JS)
        if scroll > view:
            overflowing.append(f"report.html: {scroll} > {view}")
        shots.take(page, f"{width}-report", full_page=False)

        # Each plugin page alone in the window, then inside Airflow's frame (narrower).
        for _, path in _plugin_pages(audit_run):
            page.goto(base + path)
            scroll, view = page.evaluate(OVERFLOW_JS)
            if scroll > view:
                overflowing.append(f"{path}: {scroll} > {view}")
        page.goto(f"{base}/")
        page.wait_for_load_state("networkidle")
        frame = _open_in_airflow(page, base)
        for name, path in _plugin_pages(audit_run):
            frame.goto(base + path)
            scroll, view = frame.evaluate(OVERFLOW_JS)
            if scroll > view:
                overflowing.append(f"{path} in the Airflow frame: {scroll} > {view}")
            if name in ("overview", f"use-case-{BLOCKED_CANDIDATES[0]}", f"dataset-{audit_run.datasets[0].name}"):
                shots.take(page, f"{width}-in-airflow-{name}")
    finally:
        context.close()
    assert not overflowing, f"pages wider than a {width} px window:\n" + "\n".join(overflowing)


def test_first_blockers_are_above_the_fold(browser, airflow_stack, audit_run, shots: Shots) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    blocked = [v for v in audit_run.use_cases if v.verdict.value == "blocked"]
    assert blocked, "the demo has no blocked use case to look for"
    base = airflow_stack.base_url
    context, page = _sign_in(browser, base, FOLD)
    try:
        frame = _open_in_airflow(page, base)
        for verdict in blocked:
            first = next(c for c in verdict.checks if c.failing and c.severity.value == "blocker")
            cell = frame.locator(f'table#use-cases tr[data-use-case="{verdict.use_case}"] td.headline')
            expect(cell).to_contain_text(first.message)
            box = cell.bounding_box()  # in the window's coordinates, frame offset included
            assert box is not None
            assert box["y"] >= 0 and box["y"] + box["height"] <= FOLD["height"], (
                f"{verdict.use_case}'s first blocker is below the fold of a "
                f"{FOLD['width']}×{FOLD['height']} window: {box}"
            )
            assert box["x"] >= 0 and box["x"] + box["width"] <= FOLD["width"], box
        shots.take(page, "fold-1280x800-overview")
    finally:
        context.close()

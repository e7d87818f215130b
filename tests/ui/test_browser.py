"""A person's path through the Airflow UI to Preflight's pages, in a real browser.

Debian's chromium driven by Playwright against the session's real ``airflow api-server``
(see ``conftest.py``): sign in on Airflow's login page → "Preflight readiness" in the
navigation → the overview (the four demo use cases with the verdicts the audit DAG
stored) → a blocked use case (its blockers) → one of its datasets (profile and checks).

Screenshots of every step go to ``$PREFLIGHT_HOME/screenshots/`` of the test and are
copied to the repository's ``.preflight/screenshots/`` for a person to look at after
``make test``: ``NN-step.png`` is the Airflow window, ``NN-step-page.png`` the whole
Preflight page (the iframe scrolls on its own, so the window shows only its top).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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

    def take(self, page, name: str, *, frame_url: str | None = None) -> None:  # noqa: ANN001
        self.n += 1
        stem = f"{self.n:02d}-{name}"
        paths = [self.dir / f"{stem}.png"]
        page.screenshot(path=str(paths[0]))
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


def _preflight_frame(page):  # noqa: ANN001, ANN202
    """The iframe the Airflow UI shows the external view in, once its page has loaded."""
    iframe = page.wait_for_selector("iframe[src*='/preflight/']", state="attached")
    frame = iframe.content_frame()
    assert frame is not None, "the Preflight iframe has no content frame"
    frame.wait_for_load_state("load")
    return frame


def test_sign_in_navigate_and_read_the_readiness_pages(chromium_path: str, airflow_stack) -> None:
    from playwright.sync_api import expect, sync_playwright

    from preflight.config import load_config
    from preflight.run.pipeline import store_for

    # What the audit DAG stored is what the pages must show.
    assert not airflow_stack.audit_run_id.startswith("cli__")
    run = store_for(load_config()).load_run(airflow_stack.audit_run_id)
    verdicts = {v.use_case: v for v in run.use_cases}
    assert set(DEMO_USE_CASES) <= set(verdicts), (
        f"demo use cases missing from the audit: {sorted(verdicts)}"
    )
    blocked = next((n for n in BLOCKED_CANDIDATES if verdicts[n].verdict.value == "blocked"), None)
    assert blocked, f"expected {' or '.join(BLOCKED_CANDIDATES)} to be blocked: " + str(
        {n: verdicts[n].verdict.value for n in BLOCKED_CANDIDATES}
    )

    shots = Shots(airflow_stack.home)
    base = airflow_stack.base_url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 960})
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()

            # 1. Airflow sends an anonymous visitor to its login page.
            page.goto(f"{base}/")
            page.wait_for_url("**/auth/login**")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill("admin")
            shots.take(page, "airflow-login")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/")
            page.wait_for_load_state("networkidle")
            shots.take(page, "airflow-home")

            # 2. "Preflight readiness" is in Airflow's navigation and opens the overview.
            nav_link = page.get_by_role("link", name="Preflight readiness")
            expect(nav_link).to_be_visible()
            nav_link.click()
            page.wait_for_url("**/plugin/preflight")
            frame = _preflight_frame(page)
            frame.wait_for_selector("table#use-cases")
            expect(frame.locator("h1")).to_contain_text("readiness")
            for name in DEMO_USE_CASES:
                row = frame.locator(f'table#use-cases tr[data-use-case="{name}"]')
                expect(row).to_have_count(1)
                expect(row.locator(".badge").first).to_have_text(
                    verdicts[name].verdict.value.replace("_", " ")
                )
            dag_run_links = frame.locator('a[href*="/dags/preflight_audit/runs/"]')
            expect(dag_run_links.first).to_be_visible()
            shots.take(page, "preflight-overview", frame_url=frame.url)

            # 3. A blocked use case: its blockers, each with its remediation.
            frame.locator("table#use-cases").get_by_role("link", name=blocked, exact=True).click()
            frame.wait_for_url(f"**/preflight/use-cases/{blocked}")
            expect(frame.locator("h1")).to_contain_text(blocked)
            expect(frame.locator("h1 .badge").first).to_have_text("blocked")
            blocker_items = frame.locator("ul.blockers > li")
            expect(blocker_items).to_have_count(len(verdicts[blocked].blockers))
            failing_blockers = [
                c for c in verdicts[blocked].checks if c.failing and c.severity.value == "blocker"
            ]
            for check in failing_blockers:
                expect(frame.locator("ul.blockers")).to_contain_text(check.message)
                if check.remediation:
                    expect(frame.locator("ul.blockers")).to_contain_text(check.remediation)
            expect(frame.locator("svg.chart")).to_be_visible()  # the score trend
            shots.take(page, f"use-case-{blocked}", frame_url=frame.url)

            # 4. One of its datasets: profile and checks.
            dataset = verdicts[blocked].datasets[0]
            audit = next(a for a in run.datasets if a.name == dataset)
            frame.locator("table#use-case-datasets").get_by_role(
                "link", name=dataset, exact=True
            ).click()
            frame.wait_for_url(f"**/preflight/datasets/{dataset}")
            expect(frame.locator("h1")).to_contain_text(dataset)
            assert audit.profile is not None, f"{dataset} has no profile in the audit"
            expect(frame.locator("table#profile-table tbody tr")).to_have_count(
                len(audit.profile.columns)
            )
            for column in audit.profile.columns:
                expect(frame.locator("table#profile-table")).to_contain_text(column.name)
            expect(frame.locator("#checks")).to_have_text("Checks by dimension")
            for dimension in {c.dimension.value for c in audit.checks}:
                expect(frame.locator(f"section#dim-{dimension}")).to_have_count(1)
            for check in (c for c in audit.checks if c.failing):
                expect(frame.locator(f"section#dim-{check.dimension.value}")).to_contain_text(
                    check.id
                )
            expect(frame.locator("#lineage")).to_be_visible()
            shots.take(page, f"dataset-{dataset}", frame_url=frame.url)

            # 5. Its link to the DAG run opens that run in Airflow's own UI. (Opened as a
            # page of its own: Airflow's iframe sandbox lets no link leave the frame.)
            href = frame.get_by_role("link", name="DAG run in Airflow").get_attribute("href")
            assert href and href.startswith("/dags/preflight_audit/runs/"), href
            run_page = context.new_page()
            run_page.goto(base + href)
            expect(run_page.get_by_text(airflow_stack.audit_run_id).first).to_be_visible()
            shots.take(run_page, "airflow-dag-run")
            run_page.close()
        finally:
            browser.close()

    taken = sorted(p.name for p in shots.dir.glob("*.png"))
    assert len(taken) >= 8, taken
    print(f"\nscreenshots: {shots.dir} (copied to {shots.copy_to})")

"""Every route of the Preflight plugin, through a real ``airflow api-server``, is for
signed-in users only: anonymous → 401, an invalid or forged token → 403, a token from
``POST /auth/token`` (header or the UI's ``_token`` cookie) → 200.

Airflow does not authenticate plugin FastAPI apps itself, so this is the test that
catches a route (or a mounted sub-app, or FastAPI's docs pages) that forgot the
``get_user`` dependency. Routes are read from the app the plugin mounts, so a new route
is covered without touching this file; a new path parameter needs a sample value below.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import httpx
import jwt
import pytest
from starlette.routing import BaseRoute, Mount, Route

from preflight.airflow.env import project_root

pytestmark = [pytest.mark.ui, pytest.mark.integration]

# Values for path parameters: names that exist in the demo audit, so a good token gets 200.
SAMPLES = {
    "use_case": "support_assistant",
    "dataset": "support_tickets",
    "filename": "preflight.css",
}
PLUGIN_FILE = project_root() / "plugins" / "preflight_plugin.py"


def _load_plugin() -> type:
    spec = importlib.util.spec_from_file_location("preflight_plugin_under_test", PLUGIN_FILE)
    assert spec and spec.loader, f"cannot load {PLUGIN_FILE}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PreflightPlugin


def _routes() -> list[BaseRoute]:
    plugin = _load_plugin()
    (entry,) = plugin.fastapi_apps
    app = entry["app"]
    return list(getattr(app, "app", app).routes)  # the deferred wrapper builds the real app


ROUTES = _routes()


def _url(route: Route) -> str:
    def sample(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name not in SAMPLES:
            pytest.fail(
                f"route {route.path} has a path parameter {name!r}: add a sample value to SAMPLES"
            )
        return SAMPLES[name]

    return "/preflight" + re.sub(r"\{([^}]+)\}", sample, route.path)


def _route_id(route: BaseRoute) -> str:
    return getattr(route, "path", repr(route))


def test_plugin_declares_app_and_nav_view() -> None:
    plugin = _load_plugin()
    (app,) = plugin.fastapi_apps
    assert app["url_prefix"] == "/preflight"
    (view,) = plugin.external_views
    assert view["href"] == "/preflight/", "external_views href needs the trailing slash"
    assert view["destination"] == "nav" and view["url_route"] == "preflight"


def test_every_route_is_a_plain_route() -> None:
    # A Mount (e.g. StaticFiles) would not run the app's dependencies: nothing may bypass auth.
    mounts = [r for r in ROUTES if isinstance(r, Mount) or not isinstance(r, Route)]
    assert not mounts, f"routes outside the app's auth dependency: {mounts}"
    paths = {r.path for r in ROUTES if isinstance(r, Route)}
    assert {"/", "/use-cases/{use_case}", "/datasets/{dataset}", "/api/runs/latest"} <= paths
    assert not paths & {"/docs", "/redoc", "/openapi.json"}, (
        "FastAPI's docs routes skip app dependencies"
    )


def test_api_server_serves_the_plugin(airflow_stack, admin_token: str) -> None:
    response = httpx.get(
        f"{airflow_stack.base_url}/api/v2/plugins",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    plugin = next((p for p in response.json()["plugins"] if p["name"] == "preflight"), None)
    assert plugin is not None, (
        f"plugin not loaded: {[p['name'] for p in response.json()['plugins']]}"
    )
    assert [a["url_prefix"] for a in plugin["fastapi_apps"]] == ["/preflight"]
    assert [v["href"] for v in plugin["external_views"]] == ["/preflight/"]


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_route_requires_an_airflow_user(route: Route, airflow_stack, admin_token: str) -> None:
    url = airflow_stack.base_url + _url(route)
    methods = sorted((route.methods or {"GET"}) - {"HEAD"})
    forged = jwt.encode(
        {"sub": "admin", "role": "ADMIN", "aud": "apache-airflow", "exp": int(time.time()) + 600},
        "not-the-server-secret-but-long-enough-for-hs512-" * 2,
        algorithm="HS512",
    )
    with httpx.Client(timeout=30) as client:
        for method in methods:
            anonymous = client.request(method, url)
            assert anonymous.status_code == 401, (
                f"anonymous {method} {url}: {anonymous.status_code}"
            )
            assert "support_tickets" not in anonymous.text

            for label, token in (("garbage token", "not-a-jwt"), ("forged token", forged)):
                bad = client.request(method, url, headers={"Authorization": f"Bearer {token}"})
                assert bad.status_code == 403, f"{label} {method} {url}: {bad.status_code}"
                assert "support_tickets" not in bad.text

            good = client.request(method, url, headers={"Authorization": f"Bearer {admin_token}"})
            assert good.status_code == 200, (
                f"token {method} {url}: {good.status_code} {good.text[:500]}"
            )

            # The Airflow UI's login sets the `_token` cookie; pages opened from the UI use it.
            cookie = client.request(method, url, cookies={"_token": admin_token})
            assert cookie.status_code == 200, f"cookie {method} {url}: {cookie.status_code}"
            # A bad bearer token is not rescued by a good cookie: explicit credentials win.
            both = client.request(
                method,
                url,
                headers={"Authorization": "Bearer not-a-jwt"},
                cookies={"_token": admin_token},
            )
            assert both.status_code == 403, (
                f"bad header + good cookie {method} {url}: {both.status_code}"
            )


def test_anonymous_browser_gets_a_sign_in_page(airflow_stack) -> None:
    response = httpx.get(
        f"{airflow_stack.base_url}/preflight/", headers={"Accept": "text/html"}, timeout=30
    )
    assert response.status_code == 401
    assert "Sign in to Airflow" in response.text
    assert "support_assistant" not in response.text


def test_pages_and_json_with_a_token(airflow_stack, admin_token: str) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    base = f"{airflow_stack.base_url}/preflight"
    with httpx.Client(timeout=30, headers=headers) as client:
        latest = client.get(f"{base}/api/runs/latest")
        assert latest.status_code == 200
        report = latest.json()
        assert report["run_id"] == airflow_stack.audit_run_id
        assert {uc["name"] for uc in report["use_cases"]} >= {
            "support_assistant",
            "article_recommendations",
            "article_localisation",
            "seat_suggestions",
        }
        history = client.get(f"{base}/api/use-cases/support_assistant/history").json()
        assert [h["run_id"] for h in history][-1] == airflow_stack.audit_run_id

        overview = client.get(f"{base}/")
        assert overview.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'self'" in overview.headers["content-security-policy"]
        # Runs from Airflow link to their DAG run in the Airflow 3 UI.
        assert "/dags/preflight_audit/runs/" in overview.text

        for path in (
            "/use-cases/no_such_use_case",
            "/datasets/no_such_dataset",
            "/api/use-cases/nope/history",
        ):
            assert client.get(base + path).status_code == 404, path
        assert client.get(f"{base}/?run=no-such-run").status_code == 404


def test_server_logs_live_under_preflight_home(airflow_stack) -> None:
    assert Path(airflow_stack.server_log).is_relative_to(airflow_stack.home)
    assert airflow_stack.server_log.stat().st_size > 0

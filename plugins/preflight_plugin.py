"""Preflight's readiness pages in the Airflow UI.

Mounts Preflight's read-only FastAPI app at ``/preflight`` and adds "Preflight" to the
navigation (an external view the UI shows in an iframe; a short name, because Airflow's
sidebar cuts labels after about nine characters). Every
route requires a signed-in Airflow user: Airflow does not authenticate plugin apps,
so the app itself depends on Airflow's ``get_user`` (see ``preflight.ui``).

No logic here: the app, its pages and its auth live in the ``preflight.ui`` package.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from preflight.ui import plugin_app

URL_PREFIX = "/preflight"


class PreflightPlugin(AirflowPlugin):
    name = "preflight"
    fastapi_apps = [{"app": plugin_app(), "url_prefix": URL_PREFIX, "name": "Preflight"}]
    external_views = [
        {
            "name": "Preflight",
            # The trailing slash matters: without it the Airflow UI answers the request itself.
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "preflight",
            "icon": f"{URL_PREFIX}/static/icon.svg",
            "nav_top_level": True,  # its own entry in the sidebar, not under "Plugins"
        }
    ]

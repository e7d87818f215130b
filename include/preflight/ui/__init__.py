"""Preflight's pages inside the Airflow UI: a read-only FastAPI app over the results store.

The Airflow plugin (``plugins/preflight_plugin.py``) mounts :func:`plugin_app` at
``/preflight``. Airflow does not authenticate plugin apps, so the app built by
:func:`create_app` requires a logged-in Airflow user on every route (Airflow's own
``get_user`` dependency: a ``Bearer`` token, or the ``_token`` cookie the UI's login
sets).

Airflow imports every plugin module in every process that loads plugins, including
each task's worker process. This module therefore imports nothing heavy: FastAPI,
Jinja2 and Airflow's API security module (about 0.7 s together) load only when the
api-server serves the first request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["DeferredApp", "create_app", "plugin_app"]

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def create_app() -> FastAPI:
    """The Preflight FastAPI app, every route behind Airflow's authentication."""
    from preflight.ui.app import build_app

    return build_app()


class DeferredApp:
    """An ASGI app that builds the real one (``factory()``) on its first request."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._app: Any = None

    @property
    def app(self) -> FastAPI:
        # Built synchronously, with no await in between: one event loop cannot race here.
        if self._app is None:
            self._app = self._factory()
        return self._app

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        await self.app(scope, receive, send)


def plugin_app() -> DeferredApp:
    """What the Airflow plugin mounts: :func:`create_app`, built on first use."""
    return DeferredApp(create_app)

"""The FastAPI app behind ``/preflight``: server-rendered, read-only pages and two JSON routes.

Routes (relative to the mount point)::

    GET /                                   overview: every use case of the latest audit
    GET /use-cases/{use_case}               requirements, blockers, band, fixes, score trend
    GET /datasets/{dataset}                 profile, checks by dimension, lineage graph
    GET /datasets/{dataset}/croissant.json  the dataset's Croissant card (JSON-LD)
    GET /api/runs/latest                    report_dict() of the latest audit (JSON)
    GET /api/use-cases/{use_case}/history   past verdicts of a use case (JSON)
    GET /static/{filename}                  the stylesheet and the navigation icon

Pages take ``?run=<run id>`` to show an earlier audit. Every route, the static files
included, depends on Airflow's ``get_user``: anonymous requests get 401, invalid
tokens 403. The configuration and the results store are opened per request, so the
pages always show what the last audit stored, and a new configuration needs no restart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from airflow.api_fastapi.core_api.security import get_user
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import ChainableUndefined, Environment, FileSystemLoader
from starlette.exceptions import HTTPException as StarletteHTTPException

from preflight import settings
from preflight.errors import PreflightError, StoreError
from preflight.model.config import Config
from preflight.model.results import RunResult
from preflight.run.store import ResultsStore
from preflight.ui import views

__all__ = ["AIRFLOW_DAG_ID", "build_app"]

AIRFLOW_DAG_ID = "preflight_audit"
_HERE = Path(__file__).resolve().parent
_STATIC = {
    "preflight.css": ("text/css; charset=utf-8", _HERE / "static" / "preflight.css"),
    "icon.svg": ("image/svg+xml", _HERE / "static" / "icon.svg"),
}
# No script runs on these pages, and only Airflow's own UI may frame them.
_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _static_version() -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for _, path in _STATIC.values():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _format_time(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return "—" if value is None else str(value)
    return value.strftime(
        "%Y-%m-%d %H:%M UTC" if value.utcoffset() is not None else "%Y-%m-%d %H:%M"
    )


def _format_day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else _format_time(value)


def _format_clock(value: Any) -> str:
    if not isinstance(value, datetime):
        return ""
    return value.strftime("%H:%M UTC" if value.utcoffset() is not None else "%H:%M")


def _format_value(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return (
            f"{value:,.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.3g}"
        )
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _percent(part: Any, whole: Any) -> str:
    if not isinstance(part, int | float) or not isinstance(whole, int | float) or not whole:
        return ""
    return f"{100 * part / whole:.1f}%"


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=True,  # every value is escaped, whatever the template's name
        trim_blocks=True,
        lstrip_blocks=True,
        # Payloads written by older or newer Preflight versions may lack a field: render
        # it empty rather than fail the page.
        undefined=ChainableUndefined,
    )
    env.filters.update(when=_format_time, day=_format_day, clock=_format_clock, value=_format_value)
    env.globals.update(
        percent=_percent, is_airflow_run=views.is_airflow_run, status_of=views.check_status
    )
    return env


class _Page:
    """Per-request helpers the templates use to build links."""

    def __init__(self, request: Request, run_param: str | None, version: str) -> None:
        # Mounted under Airflow, root_path is "<airflow base>/preflight"; alone it is "".
        self.root = request.scope.get("root_path", "").rstrip("/")
        self.airflow = self.root.rsplit("/", 1)[0] if self.root else ""
        self.run_param = run_param
        self.version = version

    def _q(self, **params: str | None) -> str:
        query = {k: v for k, v in params.items() if v}
        return f"?{urlencode(query)}" if query else ""

    def home(self) -> str:
        return f"{self.root}/{self._q(run=self.run_param)}"

    def use_case(self, name: str, run: str | None = None) -> str:
        return f"{self.root}/use-cases/{quote(name, safe='')}{self._q(run=run or self.run_param)}"

    def dataset(self, name: str, run: str | None = None) -> str:
        return f"{self.root}/datasets/{quote(name, safe='')}{self._q(run=run or self.run_param)}"

    def croissant(self, name: str, run: str | None = None) -> str:
        """The dataset's Croissant card (JSON-LD)."""
        return f"{self.root}/datasets/{quote(name, safe='')}/croissant.json{self._q(run=run or self.run_param)}"

    def static(self, name: str) -> str:
        return f"{self.root}/static/{name}?v={self.version}"

    def history_json(self, name: str) -> str:
        return f"{self.root}/api/use-cases/{quote(name, safe='')}/history"

    def latest_json(self) -> str:
        return f"{self.root}/api/runs/latest"

    def dag(self) -> str:
        return f"{self.airflow}/dags/{AIRFLOW_DAG_ID}"

    def dag_run(self, run_id: str) -> str:
        """The Airflow 3 UI's page of the DAG run that produced ``run_id``.

        Links to Airflow carry no ``target``: the UI frames external views in a sandbox
        without ``allow-top-navigation`` or ``allow-popups``, so ``_top``/``_blank`` clicks
        are silently dropped there; a plain link at least opens the page (in the frame).
        """
        return f"{self.airflow}/dags/{AIRFLOW_DAG_ID}/runs/{quote(run_id, safe='')}"

    def login(self) -> str:
        return f"{self.airflow}/"


@contextmanager
def _open_store() -> Iterator[ResultsStore]:
    # The results URL comes from settings alone: a broken catalog never hides stored results.
    from preflight.run.store import open_store

    yield open_store(settings.configured_results_url())


def _config_or_none() -> Config | None:
    """Today's configuration, or None when it does not load (a card is then made from the
    audit alone: a broken catalog never hides stored results)."""
    from preflight.config import load_config

    try:
        return load_config()
    except PreflightError:
        return None


def _load_run(store: ResultsStore, run_id: str | None) -> RunResult | None:
    """The requested run (404 when unknown), else the latest; None when none finished yet."""
    if run_id:
        try:
            return store.load_run(run_id)
        except StoreError:
            raise HTTPException(
                status_code=404, detail=f"no audit run {run_id!r} in the results store"
            ) from None
    if store.latest_run_id() is None:
        return None
    return store.load_run()


def build_app() -> FastAPI:
    app = FastAPI(
        title="Preflight",
        description="Data-readiness reports for GenAI use cases, read from Preflight's results store.",
        dependencies=[Depends(get_user)],
        # FastAPI's docs routes are plain routes that skip app dependencies: none at all.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    templates = _templates()
    version = _static_version()

    def render(
        request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        page = _Page(request, request.query_params.get("run"), version)
        html = templates.get_template(template).render(page=page, **context)
        return HTMLResponse(html, status_code=status_code)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.endswith(tuple(_STATIC)):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        wants_html = "/api/" not in request.url.path and "text/html" in request.headers.get(
            "accept", ""
        )
        if not wants_html:
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        css = _STATIC["preflight.css"][1].read_text(encoding="utf-8")
        return render(
            request,
            "error.html",
            exc.status_code,
            status=exc.status_code,
            detail=exc.detail,
            css=css,
        )

    @app.exception_handler(PreflightError)
    async def preflight_error(request: Request, exc: PreflightError) -> Response:
        # A broken configuration or an unreadable store: say which, never a bare 500.
        detail = f"{type(exc).__name__}: {exc}"
        if "/api/" in request.url.path:
            return JSONResponse({"detail": detail}, status_code=500)
        css = _STATIC["preflight.css"][1].read_text(encoding="utf-8")
        return render(request, "error.html", 500, status=500, detail=detail, css=css)

    @app.get("/", response_class=HTMLResponse, name="overview")
    def overview(request: Request, run: str | None = None) -> HTMLResponse:
        with _open_store() as store:
            result = _load_run(store, run)
            if result is None:
                return render(request, "empty.html")
            return render(
                request,
                "overview.html",
                run=result,
                latest=store.latest_run_id(),
                rows=views.overview_rows(result, store),
                users=views.dataset_users(result),
            )

    @app.get("/use-cases/{use_case}", response_class=HTMLResponse, name="use_case")
    def use_case(request: Request, use_case: str, run: str | None = None) -> HTMLResponse:
        with _open_store() as store:
            result = _load_run(store, run)
            if result is None:
                return render(request, "empty.html")
            view = views.use_case_view(result, store, use_case)
            if view is None:
                raise HTTPException(404, f"no use case {use_case!r} in audit run {result.run_id}")
            return render(request, "use_case.html", run=result, view=view)

    @app.get("/datasets/{dataset}", response_class=HTMLResponse, name="dataset")
    def dataset(request: Request, dataset: str, run: str | None = None) -> HTMLResponse:
        with _open_store() as store:
            result = _load_run(store, run)
            if result is None:
                return render(request, "empty.html")
            view = views.dataset_view(result, store, dataset)
            if view is None:
                raise HTTPException(404, f"no dataset {dataset!r} in audit run {result.run_id}")
            return render(request, "dataset.html", run=result, view=view)

    @app.get("/datasets/{dataset}/croissant.json", name="dataset_card")
    def dataset_card(dataset: str, run: str | None = None) -> Response:
        from preflight.authoring.croissant import croissant_card

        with _open_store() as store:
            result = _load_run(store, run)
        if result is None:
            raise HTTPException(404, f"no audit yet: trigger the {AIRFLOW_DAG_ID} DAG")
        audit = next((a for a in result.datasets if a.name == dataset), None)
        if audit is None:
            raise HTTPException(404, f"no dataset {dataset!r} in audit run {result.run_id}")
        if audit.profile is None:
            raise HTTPException(404, f"{dataset} could not be read in audit run {result.run_id}: no card")
        config = _config_or_none()
        entry = config.datasets.get(dataset) if config else None
        card = croissant_card(
            audit,
            entry=entry,
            source=config.sources.get(entry.source) if config and entry else None,
            verdicts=result.use_cases,
            run_id=result.run_id,
        )
        return JSONResponse(card, media_type="application/ld+json")

    @app.get("/api/runs/latest", name="latest_run")
    def latest_run() -> dict[str, Any]:
        from preflight.run.report import report_dict

        with _open_store() as store:
            result = _load_run(store, None)
            if result is None:
                raise HTTPException(404, f"no audit yet: trigger the {AIRFLOW_DAG_ID} DAG")
            return report_dict(result, store)

    @app.get("/api/use-cases/{use_case}/history", name="use_case_history")
    def use_case_history(use_case: str) -> list[dict[str, Any]]:
        with _open_store() as store:
            history = store.use_case_history(use_case)
            if not history:
                raise HTTPException(404, f"no audit has evaluated a use case {use_case!r}")
            return [
                {**row, "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None}
                for row in history
            ]

    @app.get("/static/{filename}", name="static")
    def static(filename: str) -> FileResponse:
        if filename not in _STATIC:
            raise HTTPException(404, "no such file")
        media_type, path = _STATIC[filename]
        return FileResponse(
            path, media_type=media_type, headers={"Cache-Control": "private, max-age=86400"}
        )

    return app

"""The FastAPI app behind ``/preflight``: server-rendered, read-only pages and two JSON routes.

Routes (relative to the mount point)::

    GET /                                   overview: every use case of the latest audit
    GET /use-cases/{use_case}               requirements, blockers, band, fixes, score trend
    GET /datasets/{dataset}                 profile, checks by dimension, lineage graph
    GET /changes?a=<run>&b=<run>            what changed between two audits (default: the
                                            newest and the one before it)
    GET /datasets/{dataset}/croissant.json  the dataset's Croissant card (JSON-LD)
    GET /api/runs/latest                    report_dict() of the latest audit (JSON)
    GET /api/use-cases/{use_case}/history   past verdicts of a use case (JSON)
    GET /static/{filename}                  the stylesheet, the script and the navigation icon

Pages take ``?run=<run id>`` to show an earlier audit. Every route, the static files
included, depends on Airflow's ``get_user``: anonymous requests get 401, invalid
tokens 403. The results store is opened per request from the results URL alone
(:func:`preflight.settings.configured_results_url`), so the pages always show what the
last audit stored. The configuration is loaded per request only to say, in a banner
above those results, what is wrong with it: a broken configuration never stops a page.

The pages share their look with ``report.html`` (``preflight.run.rendering``): the
macros, the stylesheet and the script live in ``preflight/run/templates``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from airflow.api_fastapi.core_api.security import get_user
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader
from starlette.exceptions import HTTPException as StarletteHTTPException

from preflight import settings
from preflight.errors import ConfigError, PreflightError, StoreError
from preflight.model.config import Config
from preflight.model.results import RunResult
from preflight.run import rendering
from preflight.run.store import ResultsStore
from preflight.ui import views

__all__ = ["AIRFLOW_DAG_ID", "build_app"]

AIRFLOW_DAG_ID = "preflight_audit"
_HERE = Path(__file__).resolve().parent
_STATIC = {
    "preflight.css": ("text/css; charset=utf-8", rendering.ASSETS / "preflight.css"),
    "preflight.js": ("text/javascript; charset=utf-8", rendering.ASSETS / "preflight.js"),
    "icon.svg": ("image/svg+xml", _HERE / "static" / "icon.svg"),
}
# Only this app's own script runs (local times, links that leave the frame), nothing is
# fetched from elsewhere, and only Airflow's own UI may frame these pages.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _static_version() -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for _, path in _STATIC.values():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _percent(part: Any, whole: Any) -> str:
    if not isinstance(part, int | float) or not isinstance(whole, int | float) or not whole:
        return ""
    return f"{100 * part / whole:.1f}%"


def _templates() -> Environment:
    env = Environment(
        # The UI's pages first, then the macros they share with the report.
        loader=ChoiceLoader(
            [FileSystemLoader(str(_HERE / "templates")), FileSystemLoader(str(rendering.ASSETS))]
        ),
        autoescape=True,  # every value is escaped, whatever the template's name
        trim_blocks=True,
        lstrip_blocks=True,
        # Payloads written by older or newer Preflight versions may lack a field: render
        # it empty rather than fail the page.
        undefined=ChainableUndefined,
    )
    rendering.install(env)
    env.globals.update(percent=_percent, is_airflow_run=views.is_airflow_run)
    return env


def _config_problems() -> list[str]:
    """What is wrong with the configuration, one line per problem (file and field first);
    empty when it loads. Never raises: the pages show the stored results regardless."""
    from preflight.config import load_config

    try:
        load_config()
    except ConfigError as exc:
        return [str(problem) for problem in (getattr(exc, "errors", None) or [exc])]
    except PreflightError as exc:
        return [f"{type(exc).__name__}: {exc}"]
    except Exception as exc:  # a bug in loading must not take the pages down with it
        return [f"the configuration could not be loaded ({type(exc).__name__})"]
    return []


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

    def changes(self, before: str | None = None, after: str | None = None) -> str:
        """What changed between two audits (default: the run shown and the one before it)."""
        return f"{self.root}/changes{self._q(a=before, b=after or self.run_param)}"

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

        Templates mark links that leave Preflight with ``data-top``. Airflow 3.3 frames a
        nav external view in an iframe sandboxed with ``allow-scripts allow-same-origin
        allow-forms allow-downloads``: no ``allow-top-navigation`` and no ``allow-popups``,
        so ``target="_top"``/``"_blank"`` are silently dropped, and a plain link would open
        a second Airflow UI inside the frame. ``preflight.js`` follows such links from
        Airflow's own (same-origin) document instead, which may navigate its window.
        """
        return f"{self.airflow}/dags/{AIRFLOW_DAG_ID}/runs/{quote(run_id, safe='')}"

    def login(self) -> str:
        return f"{self.airflow}/"


def _hide_password(url: str) -> tuple[str, str | None]:
    """``url`` safe to show (password as ``***``), and the password to scrub from messages."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # not a URL at all: show nothing of it
        return "<unparseable url>", None
    return parsed.render_as_string(hide_password=True), parsed.password


@contextmanager
def _open_store() -> Iterator[ResultsStore]:
    # The results URL comes from settings alone: a broken catalog never hides stored results.
    from preflight.run.store import open_store

    url = settings.configured_results_url()
    try:
        store = open_store(url)
    except PreflightError:
        raise
    except Exception as exc:  # an unreachable database, a missing directory: say which
        shown, password = _hide_password(url)
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        if password:
            reason = reason.replace(password, "***")
        raise StoreError(
            f"the results store at {shown} cannot be opened: {type(exc).__name__}: {reason}"
        ) from exc
    yield store


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
        context.setdefault("config_problems", _config_problems())
        html = templates.get_template(template).render(page=page, **context)
        return HTMLResponse(html, status_code=status_code)

    def error_page(request: Request, status: int, detail: Any) -> HTMLResponse:
        # The stylesheet is inlined: a 401 page cannot load /static (it needs a login too).
        return render(
            request,
            "error.html",
            status,
            status=status,
            detail=detail,
            css=rendering.asset_text("preflight.css"),
            # A link back to the overview only where it does not lead to this same error.
            on_overview=request.url.path.rstrip("/") == page_root(request),
            config_problems=[],  # the error is the news; the banner would repeat or confuse
        )

    def page_root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

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
        return error_page(request, exc.status_code, exc.detail)

    @app.exception_handler(PreflightError)
    async def preflight_error(request: Request, exc: PreflightError) -> Response:
        # A broken configuration or an unreadable store: say which, never a bare 500.
        detail = f"{type(exc).__name__}: {exc}"
        if "/api/" in request.url.path:
            return JSONResponse({"detail": detail}, status_code=500)
        return error_page(request, 500, detail)

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

    @app.get("/changes", response_class=HTMLResponse, name="changes")
    def changes(request: Request, a: str | None = None, b: str | None = None) -> HTMLResponse:
        from preflight.run.diff import diff_runs

        with _open_store() as store:
            if store.latest_run_id() is None:
                return render(request, "empty.html")
            try:
                found = diff_runs(store, a, b)
            except StoreError as exc:
                if a or b:  # a run asked for by name that is not there
                    raise HTTPException(404, str(exc)) from None
                return render(request, "changes.html", changes=None, reason=str(exc))
            return render(request, "changes.html", changes=found)

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

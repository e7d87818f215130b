"""Reports rendered from the results store: ``report.json`` and ``report.html``.

Written to ``reports/<run id>/`` and copied to ``reports/latest/``. The JSON field
names are a contract (see the README); add fields freely, never rename them.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic_core
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from preflight.model.results import DatasetAudit, RunResult, Verdict, check_status, worst_first
from preflight.run import rendering
from preflight.run.readable import check_state, use_case_links
from preflight.run.store import ResultsStore

if TYPE_CHECKING:
    from preflight.model.config import Config

__all__ = ["CARDS_DIR", "anchor", "render_html", "report_dict", "run_report_dir", "write_reports"]

log = logging.getLogger(__name__)
CARDS_DIR = "croissant"  # beside report.html: each readable dataset's Croissant card

_env = rendering.install(
    Environment(
        loader=PackageLoader("preflight.run", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def anchor(prefix: str, name: str) -> str:
    """An element id for a use case or dataset section (names may hold any character)."""
    return f"{prefix}-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


class _Anchors:
    """Links between the report's own sections (the UI passes page links instead)."""

    def dataset(self, name: str) -> str:
        return "#" + anchor("ds", name)

    def use_case(self, name: str) -> str:
        return "#" + anchor("uc", name)


def render_html(run: RunResult, data: dict[str, Any], *, workers: int = 1) -> str:
    """``report.html``: verdicts and blockers first, then each use case, then each dataset.

    With ``workers`` > 1 and many datasets, the dataset sections (most of a large report)
    are rendered in that many forked processes, a slice each, and joined in order."""
    by_name = {uc["name"]: uc for uc in data["use_cases"]}
    used_by: dict[str, list[Verdict]] = {}
    for verdict in run.use_cases:
        for dataset in verdict.datasets:
            used_by.setdefault(dataset, []).append(verdict)
    shared = {
        "links": use_case_links(run),
        "used_by": used_by,
        "nav": _Anchors(),
        "anchor": anchor,
        "cards": {ds["name"]: ds["croissant"] for ds in data["datasets"] if ds.get("croissant")},
    }
    return _env.get_template("report.html").render(
        run=run,
        use_cases=sorted(run.use_cases, key=worst_first),
        previous={name: uc.get("previous") for name, uc in by_name.items()},
        summary=data["summary"],
        dataset_sections=_dataset_sections(list(run.datasets), shared, workers),
        css=rendering.asset_text("preflight.css"),
        js=rendering.asset_text("preflight.js"),
        **shared,
    )


# A section takes ~1 ms to render: a slice smaller than this is not worth a process.
_MIN_SLICE = 100
# The sections job of the forked renderers, inherited at the fork (nothing is pickled
# but the slice bounds and the rendered text).
_SECTIONS_JOB: tuple[list[DatasetAudit], dict[str, Any]] | None = None


def _render_sections(bounds: tuple[int, int]) -> str:
    assert _SECTIONS_JOB is not None
    datasets, shared = _SECTIONS_JOB
    return _env.get_template("dataset_sections.html").render(datasets=datasets[slice(*bounds)], **shared)


def _dataset_sections(datasets: list[DatasetAudit], shared: dict[str, Any], workers: int) -> list[Markup]:
    global _SECTIONS_JOB
    workers = min(workers, len(datasets) // _MIN_SLICE)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [Markup(_env.get_template("dataset_sections.html").render(datasets=datasets, **shared))]
    size = -(-len(datasets) // workers)
    bounds = [(start, min(start + size, len(datasets))) for start in range(0, len(datasets), size)]
    _SECTIONS_JOB = (datasets, shared)
    try:
        # An executor, not a Pool: a renderer that dies raises here instead of hanging.
        with ProcessPoolExecutor(len(bounds), mp_context=multiprocessing.get_context("fork")) as pool:
            return [Markup(text) for text in pool.map(_render_sections, bounds)]
    finally:
        _SECTIONS_JOB = None


def _check_dict(check: Any) -> dict[str, Any]:
    data = check.model_dump(mode="json")
    data["status"] = check_status(check)
    data["state"] = check_state(check)  # like status, and "not_measured" when it could not be
    return data


def _dataset_dict(audit: DatasetAudit) -> dict[str, Any]:
    profile = audit.profile
    return {
        "name": audit.name,
        "source": audit.source,
        "status": audit.status.value,
        "reason": audit.reason,
        "row_count": audit.row_count,
        "scores": audit.scores,
        "approximate": bool(profile and profile.approximate),
        "columns": [c.model_dump(mode="json") for c in profile.columns] if profile else [],
        "checks": [_check_dict(c) for c in audit.checks],
        "facts": audit.facts,
        "evidence": [record.model_dump(mode="json") for record in audit.evidence],
        "probe_failures": {name: f.model_dump(mode="json") for name, f in audit.probe_failures.items()},
        "audited_at": audit.finished_at.isoformat(),
    }


def _use_case_dict(verdict: Verdict, previous: dict[str, Any] | None) -> dict[str, Any]:
    data = verdict.model_dump(mode="json", exclude={"use_case", "checks"})
    data["name"] = verdict.use_case
    data["checks"] = [_check_dict(c) for c in verdict.checks]
    data["previous"] = previous
    return data


def report_dict(run: RunResult, store: ResultsStore | None = None) -> dict[str, Any]:
    previous: dict[str, dict[str, Any]] = {}
    if store is not None:
        for verdict in run.use_cases:
            history = [h for h in store.use_case_history(verdict.use_case) if h["run_id"] != run.run_id]
            if history:
                last = history[-1]
                previous[verdict.use_case] = {
                    "run_id": last["run_id"],
                    "verdict": last["verdict"],
                    "score": last["score"],
                }
    return {
        "run_id": run.run_id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "summary": {
            v: sum(1 for uc in run.use_cases if uc.verdict.value == v) for v in ("ready", "at_risk", "blocked")
        },
        # Worst first: a reader looks for what is blocked before what is ready.
        "use_cases": [_use_case_dict(v, previous.get(v.use_case)) for v in sorted(run.use_cases, key=worst_first)],
        "platform_fixes": list(run.platform_fixes),
        "datasets": [_dataset_dict(a) for a in run.datasets],
    }


def run_report_dir(reports_dir: Path, run_id: str) -> Path:
    """Where one run's reports live (run ids carry ':' and '+', which paths should not)."""
    return reports_dir / re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


def _write_cards(run: RunResult, config: Config, run_dir: Path, data: dict[str, Any]) -> None:
    """A Croissant card per readable dataset in ``croissant/``, linked from the report."""
    from preflight.authoring.croissant import croissant_card

    folder = run_dir / CARDS_DIR
    shutil.rmtree(folder, ignore_errors=True)
    by_name = {d["name"]: d for d in data["datasets"]}
    for audit in run.datasets:
        entry = config.datasets.get(audit.name)
        if audit.profile is None:
            continue
        try:
            card = croissant_card(
                audit,
                entry=entry,
                source=config.sources.get(entry.source) if entry else None,
                verdicts=run.use_cases,
                run_id=run.run_id,
            )
        except Exception as exc:  # a card is reporting: never a reason to lose the report
            log.warning("no Croissant card for %s: %s: %s", audit.name, type(exc).__name__, exc)
            continue
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", audit.name) + ".json"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(_json_bytes(card))
        by_name[audit.name]["croissant"] = f"{CARDS_DIR}/{name}"


def write_reports(
    run: RunResult,
    reports_dir: Path,
    *,
    store: ResultsStore | None = None,
    config: Config | None = None,
    workers: int = 1,
) -> Path:
    """Write both reports for ``run`` (and, given the ``config``, each dataset's Croissant
    card, which the reports link); returns the ``latest`` directory. ``workers``: processes
    the HTML of many datasets may be rendered in (see :func:`render_html`)."""
    data = report_dict(run, store)
    run_dir = run_report_dir(reports_dir, run.run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    if config is not None:
        _write_cards(run, config, run_dir, data)
    (run_dir / "report.json").write_bytes(_json_bytes(data))
    html = render_html(run, data, workers=workers)
    (run_dir / "report.html").write_text(html, encoding="utf-8")
    latest = reports_dir / "latest"
    latest.mkdir(parents=True, exist_ok=True)
    for name in ("report.json", "report.html"):
        shutil.copyfile(run_dir / name, latest / name)
    shutil.rmtree(latest / CARDS_DIR, ignore_errors=True)
    if (run_dir / CARDS_DIR).is_dir():
        shutil.copytree(run_dir / CARDS_DIR, latest / CARDS_DIR, copy_function=_link_or_copy)
    return latest


def _json_bytes(value: Any) -> bytes:
    """Indented UTF-8 JSON. pydantic-core's encoder: ``json.dumps`` with an indent runs
    the pure-Python encoder, 0.5 s of CPU for the report of 1,000 datasets (0.12 s here)."""
    return pydantic_core.to_json(value, indent=2, fallback=str)


def _link_or_copy(source: str, target: str) -> None:
    """``latest/`` shares a run's unchanging card files (a hard link), else copies them."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)

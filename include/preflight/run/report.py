"""Reports rendered from the results store: ``report.json`` and ``report.html``.

Written to ``reports/<run id>/`` and copied to ``reports/latest/``. The JSON field
names are a contract (see the README); add fields freely, never rename them.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from preflight.model.results import DatasetAudit, RunResult, Verdict, check_status, worst_first
from preflight.run.store import ResultsStore

if TYPE_CHECKING:
    from preflight.model.config import Config

__all__ = ["CARDS_DIR", "report_dict", "run_report_dir", "write_reports"]

log = logging.getLogger(__name__)
CARDS_DIR = "croissant"  # beside report.html: each readable dataset's Croissant card

_env = Environment(
    loader=PackageLoader("preflight.run", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _check_dict(check: Any) -> dict[str, Any]:
    data = check.model_dump(mode="json")
    data["status"] = check_status(check)
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
        (folder / name).write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        by_name[audit.name]["croissant"] = f"{CARDS_DIR}/{name}"


def write_reports(
    run: RunResult, reports_dir: Path, *, store: ResultsStore | None = None, config: Config | None = None
) -> Path:
    """Write both reports for ``run`` (and, given the ``config``, each dataset's Croissant
    card, which the reports link); returns the ``latest`` directory."""
    data = report_dict(run, store)
    run_dir = run_report_dir(reports_dir, run.run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    if config is not None:
        _write_cards(run, config, run_dir, data)
    (run_dir / "report.json").write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    html = _env.get_template("report.html").render(report=data)
    (run_dir / "report.html").write_text(html, encoding="utf-8")
    latest = reports_dir / "latest"
    latest.mkdir(parents=True, exist_ok=True)
    for name in ("report.json", "report.html"):
        shutil.copyfile(run_dir / name, latest / name)
    shutil.rmtree(latest / CARDS_DIR, ignore_errors=True)
    if (run_dir / CARDS_DIR).is_dir():
        shutil.copytree(run_dir / CARDS_DIR, latest / CARDS_DIR)
    return latest

"""What the report's and the UI's Jinja2 environments share: filters, globals, assets.

Both render with the macros of ``run/templates/shared.html`` and ``charts.html`` and the
stylesheet and script in ``run/templates/``, so a verdict, a band, a check state, a time
or a chart looks the same in ``report.html`` and in the Airflow UI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment

from preflight.run import charts, readable

__all__ = ["ASSETS", "asset_text", "install"]

ASSETS = Path(__file__).resolve().parent / "templates"


def asset_text(name: str) -> str:
    """``preflight.css`` or ``preflight.js``: inlined by the report, served by the UI."""
    return (ASSETS / name).read_text(encoding="utf-8")


def _verdict_text(value: Any) -> str:
    return str(getattr(value, "value", value) or "").replace("_", " ")


def install(env: Environment) -> Environment:
    """Add the shared filters and globals to ``env``."""
    env.filters.update(
        when=readable.when,
        iso=readable.iso,
        ago=readable.relative_time,
        readable=readable.readable_value,
        code=readable.inline_code,
        band=readable.band_label,
        next_band=readable.next_band,
        wrap=readable.breakable,
        verdict_text=_verdict_text,
    )
    env.globals.update(
        state_of=readable.check_state,
        state_label=lambda state: readable.STATE_LABELS.get(state, state),
        observed=readable.readable_observed,
        expected=readable.readable_expected,
        override_note=readable.severity_override,
        failing_first=readable.failing_first,
        first_blocker=readable.first_blocker,
        duration=readable.duration,
        score_bars=charts.score_bars,
        requirement_bars=charts.requirement_bars,
        score_class=charts.score_class,
        dimension_title=lambda d: charts.DIMENSION_TITLES.get(d, str(d).replace("_", " ").capitalize()),
        SCORE_MEANING=readable.SCORE_MEANING,
        BAND_MEANING=readable.BAND_MEANING,
        DATASET_SCORE_MEANING=readable.DATASET_SCORE_MEANING,
        SCORE_RANGES=readable.SCORE_RANGES,
        STATE_LABELS=readable.STATE_LABELS,
    )
    return env

"""Geometry for the score charts the report and the UI pages share (inline SVG).

Only coordinates and classes are computed here; the ``charts.html`` macros draw them and
escape every label. Nothing is fetched, no script draws anything: the charts work in a
saved report, in the Airflow UI's iframe and in print.

- :func:`score_bars`: a dataset's score per dimension, one horizontal bar each.
- :func:`requirement_bars`: a use case's requirement checks per dimension, as stacked
  counts (failed, could not be measured, waived, passed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from preflight.model.results import Check
from preflight.run.readable import STATE_LABELS, check_state

__all__ = ["DIMENSION_TITLES", "ScoreBars", "StackedBars", "requirement_bars", "score_bars", "score_class"]

DIMENSION_ORDER = ("access", "quality", "discoverability", "lineage", "privacy", "content", "history")
DIMENSION_TITLES = {
    "access": "Access",
    "quality": "Quality",
    "discoverability": "Discoverability",
    "lineage": "Lineage",
    "privacy": "Privacy",
    "content": "Text fitness",
    "history": "History",
}
_LABEL_W, _SCALE_W, _VALUE_W, _ROW_H, _BAR_H, _TOP, _BOTTOM = 118, 260, 44, 24, 14, 6, 22


def score_class(score: int | None) -> str:
    """``good`` (80–100), ``fair`` (50–79), ``poor`` (0–49) or ``none``: the same cut points
    as the verdicts' score ranges, so a colour means one thing everywhere."""
    if score is None:
        return "none"
    return "good" if score >= 80 else ("fair" if score >= 50 else "poor")


def _ordered(names: Iterable[str]) -> list[str]:
    return sorted(names, key=lambda d: (DIMENSION_ORDER.index(d) if d in DIMENSION_ORDER else 99, d))


def _ticks() -> tuple[tuple[float, str], ...]:
    return tuple((_LABEL_W + _SCALE_W * v / 100, str(v)) for v in (0, 50, 80, 100))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    css: str
    title: str


@dataclass(frozen=True)
class ScoreBars:
    width: int
    height: int
    label_width: int
    scale_width: int
    bar_height: int
    rows: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, label) under the scale

    @property
    def summary(self) -> str:
        return ", ".join(f"{r.label} {r.value}" for r in self.rows)


def score_bars(scores: Mapping[str, int | None]) -> ScoreBars | None:
    """One bar per scored dimension (reading order), 0–100; None when nothing is scored."""
    names = [d for d in _ordered(scores) if isinstance(scores.get(d), int | float)]
    if not names:
        return None
    rows = []
    for i, name in enumerate(names):
        value = int(scores[name] or 0)
        label = DIMENSION_TITLES.get(name, name.replace("_", " ").capitalize())
        rows.append(
            Bar(
                label=label,
                value=value,
                y=_TOP + i * _ROW_H,
                width=_SCALE_W * max(0, min(100, value)) / 100,
                css=score_class(value),
                title=f"{label}: {value} of 100",
            )
        )
    height = _TOP + len(rows) * _ROW_H + _BOTTOM
    return ScoreBars(
        width=_LABEL_W + _SCALE_W + _VALUE_W,
        height=height,
        label_width=_LABEL_W,
        scale_width=_SCALE_W,
        bar_height=_BAR_H,
        rows=tuple(rows),
        ticks=_ticks(),
    )


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    state: str  # failed | not_measured | waived | passed
    count: int
    title: str


@dataclass(frozen=True)
class StackRow:
    label: str
    y: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class StackedBars:
    width: int
    height: int
    label_width: int
    scale_width: int
    bar_height: int
    rows: tuple[StackRow, ...]
    states: tuple[str, ...]  # legend order

    @property
    def summary(self) -> str:
        return "; ".join(
            f"{r.label}: " + ", ".join(f"{s.count} {STATE_LABELS[s.state]}" for s in r.segments) for r in self.rows
        )


_STACK_ORDER = ("failed", "not_measured", "waived", "passed")


def requirement_bars(checks: Iterable[Check]) -> StackedBars | None:
    """Per dimension, a bar as long as its number of requirement checks, split by state."""
    by_dimension: dict[str, dict[str, int]] = {}
    for check in checks:
        counts = by_dimension.setdefault(check.dimension.value, {})
        state = check_state(check)
        counts[state] = counts.get(state, 0) + 1
    if not by_dimension:
        return None
    most = max(sum(c.values()) for c in by_dimension.values())
    unit = _SCALE_W / most
    rows = []
    for i, name in enumerate(_ordered(by_dimension)):
        counts = by_dimension[name]
        label = DIMENSION_TITLES.get(name, name.replace("_", " ").capitalize())
        x = float(_LABEL_W)
        segments = []
        for state in _STACK_ORDER:
            count = counts.get(state, 0)
            if not count:
                continue
            segments.append(Segment(x, count * unit, state, count, f"{label}: {count} {STATE_LABELS[state]}"))
            x += count * unit
        rows.append(StackRow(label, _TOP + i * _ROW_H, sum(counts.values()), tuple(segments)))
    return StackedBars(
        width=_LABEL_W + _SCALE_W + _VALUE_W,
        height=_TOP + len(rows) * _ROW_H + 4,
        label_width=_LABEL_W,
        scale_width=_SCALE_W,
        bar_height=_BAR_H,
        rows=tuple(rows),
        states=_STACK_ORDER,
    )

"""Geometry for the two inline-SVG drawings: the score trend and the lineage graph.

Only coordinates are computed here; the templates draw them (and escape every label).
No JavaScript and nothing fetched from elsewhere, so the drawings work inside the
Airflow UI's iframe and in a saved page alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from preflight.run.readable import SCORE_RANGES

__all__ = ["LineageGraph", "TrendChart", "lineage_graph", "trend_chart"]


# --------------------------------------------------------------------------- trend


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    score: int
    verdict: str
    label: str  # when, for the tooltip and the axis
    run_id: str
    current: bool


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: tuple[TrendPoint, ...]
    gridlines: tuple[tuple[int, float], ...]  # (score, y)
    x_labels: tuple[tuple[float, str, str], ...]  # (x, text, text-anchor)
    ranges: tuple[tuple[str, float, float], ...] = ()  # (verdict, y top, y bottom) shaded
    day: str | None = None  # every audit was on this day: the axis shows times only

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def trend_chart(
    history: list[dict[str, Any]],
    *,
    current_run: str | None = None,
    width: int = 720,
    height: int = 200,
) -> TrendChart:
    """Scores (0–100) of a use case over its audits, oldest left; ``history`` as returned by
    ``ResultsStore.use_case_history``."""
    left, right, top, bottom = 40, 24, 22, 30
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(score: float) -> float:
        return top + plot_h * (1 - max(0.0, min(100.0, score)) / 100)

    n = len(history)
    points = []
    moments = []
    for i, row in enumerate(history):
        x = left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))
        when = row.get("decided_at")
        moments.append(when if hasattr(when, "strftime") else None)
        label = (
            when.strftime("%Y-%m-%d %H:%M")
            if when is not None and hasattr(when, "strftime")
            else str(when or "")
        )
        points.append(
            TrendPoint(
                x=x,
                y=y_of(row.get("score") or 0),
                score=int(row.get("score") or 0),
                verdict=str(row.get("verdict") or ""),
                label=label,
                run_id=str(row.get("run_id") or ""),
                current=row.get("run_id") == current_run,
            )
        )
    # Label the first and last audit, and a few between when there is room.
    step = max(1, (n - 1) // 4) if n > 1 else 1
    picked = sorted({0, n - 1, *range(0, n, step)}) if n else []

    def anchor(i: int) -> str:  # keep the outermost labels inside the drawing
        return "middle" if n == 1 else ("start" if i == 0 else ("end" if i == n - 1 else "middle"))

    labels, day = _axis_labels([moments[i] for i in picked], moments)
    x_labels = tuple(
        (
            points[i].x
            - (left - 8 if anchor(i) == "start" else 0)
            + (right - 4 if anchor(i) == "end" else 0),
            label if label is not None else points[i].label[:10],
            anchor(i),
        )
        for i, label in zip(picked, labels, strict=True)
    )
    # The verdicts' score ranges, shaded behind the line; grid lines at their edges.
    gridlines = tuple((s, y_of(s)) for s in (0, 50, 80, 100))
    ranges = tuple(
        (verdict, y_of(high + (1 if high < 100 else 0)), y_of(low))
        for verdict, (low, high) in SCORE_RANGES.items()
    )
    return TrendChart(
        width, height, left, right, top, bottom, tuple(points), gridlines, x_labels, ranges, day
    )


def _axis_labels(picked: list[Any], every: list[Any]) -> tuple[list[str | None], str | None]:
    """Axis labels that tell the labelled audits apart: dates when their days differ, times
    when they share a day (and that day, once, when every audit is on it)."""
    if not picked or any(m is None for m in picked):
        return [None] * len(picked), None
    days = [m.strftime("%Y-%m-%d") for m in picked]
    if len(set(days)) == len(days):
        return days, None
    all_days = {m.strftime("%Y-%m-%d") for m in every if m is not None}
    if len(all_days) == 1:
        return [m.strftime("%H:%M") for m in picked], days[0]
    return [m.strftime("%m-%d %H:%M") for m in picked], None


# --------------------------------------------------------------------------- lineage


@dataclass(frozen=True)
class GraphNode:
    key: str
    x: float
    y: float
    label: str  # possibly shortened; ``title`` has the whole name
    title: str
    sublabel: str
    role: str  # center | upstream | downstream | more
    dataset: str | None = None  # catalog name: the node links to its page


@dataclass(frozen=True)
class GraphEdge:
    path: str
    inferred: bool  # drawn from depth only, not from a job's inputs/outputs
    title: str


@dataclass(frozen=True)
class LineageGraph:
    width: int
    height: int
    node_width: int
    node_height: int
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    upstream_count: int
    downstream_count: int
    hidden: int = 0
    columns: tuple[tuple[float, str], ...] = field(default_factory=tuple)  # (x centre, heading)


_NODE_W, _NODE_H, _COL_GAP, _ROW_GAP, _PAD = 176, 40, 56, 14, 12
_MAX_PER_COLUMN = 6


def _ref(item: Any) -> dict[str, Any]:
    """A lineage node as a dict, whether the fact holds a dict or a plain name."""
    if isinstance(item, dict):
        return item
    return {"name": str(item), "namespace": "", "depth": 1}


def _key(ref: dict[str, Any]) -> str:
    return f"{ref.get('namespace') or ''}/{ref.get('name') or ''}"


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def lineage_graph(dataset: str, lineage: dict[str, Any] | None) -> LineageGraph | None:
    """Upstream columns left of the dataset, downstream right, one column per hop.

    Edges come from the jobs in ``lineage["edges"]`` (a job's inputs → its outputs); a
    node no known job connects is joined to the next column towards the dataset by a
    dashed edge, because its depth is all that is known. ``None`` when there is
    nothing up- or downstream to draw.
    """
    if not isinstance(lineage, dict):
        return None
    upstream = [_ref(i) for i in lineage.get("upstream") or ()]
    downstream = [_ref(i) for i in lineage.get("downstream") or ()]
    if not upstream and not downstream:
        return None

    identity = lineage.get("identity") or {}
    matched = lineage.get("matched") or {}
    center_keys = {_key(identity), _key(matched), *(_key(a) for a in matched.get("aliases") or ())}
    center_keys.discard("/")
    center = {
        "name": dataset,
        "namespace": matched.get("namespace") or identity.get("namespace") or "",
        "dataset": dataset,
    }

    max_up = max((int(r.get("depth") or 1) for r in upstream), default=0)
    max_down = max((int(r.get("depth") or 1) for r in downstream), default=0)
    columns: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    columns.setdefault(max_up, []).append(("center", center))
    for role, refs, sign in (("upstream", upstream, -1), ("downstream", downstream, 1)):
        for ref in refs:
            columns.setdefault(max_up + sign * int(ref.get("depth") or 1), []).append((role, ref))

    hidden = 0
    for index, entries in columns.items():
        if len(entries) > _MAX_PER_COLUMN:
            extra = len(entries) - (_MAX_PER_COLUMN - 1)
            hidden += extra
            columns[index] = [
                *entries[: _MAX_PER_COLUMN - 1],
                ("more", {"name": f"+{extra} more", "namespace": ""}),
            ]

    tallest = max(len(e) for e in columns.values())
    height = _PAD * 2 + 18 + tallest * _NODE_H + (tallest - 1) * _ROW_GAP
    n_cols = max_up + max_down + 1
    width = _PAD * 2 + n_cols * _NODE_W + (n_cols - 1) * _COL_GAP

    nodes: list[GraphNode] = []
    position: dict[str, GraphNode] = {}
    for index in sorted(columns):
        entries = columns[index]
        x = _PAD + index * (_NODE_W + _COL_GAP)
        block = len(entries) * _NODE_H + (len(entries) - 1) * _ROW_GAP
        y0 = _PAD + 18 + (tallest * _NODE_H + (tallest - 1) * _ROW_GAP - block) / 2
        for row, (role, ref) in enumerate(entries):
            name = str(ref.get("name") or "")
            namespace = str(ref.get("namespace") or "")
            catalog = ref.get("dataset")
            label = catalog or name.rsplit("/", 1)[-1] or name
            node = GraphNode(
                key=_key(ref) if role != "center" else "@center",
                x=x,
                y=y0 + row * (_NODE_H + _ROW_GAP),
                label=_short(str(label)),
                title=f"{namespace}/{name}" if namespace else name,
                sublabel=_short(namespace, 28),
                role=role,
                dataset=str(catalog) if catalog else None,
            )
            nodes.append(node)
            position.setdefault(node.key, node)
    for key in center_keys:
        position[key] = position["@center"]

    def link(a: GraphNode, b: GraphNode, *, inferred: bool, title: str) -> GraphEdge:
        (src, dst) = (a, b) if a.x <= b.x else (b, a)
        x1, y1 = src.x + _NODE_W, src.y + _NODE_H / 2
        x2, y2 = dst.x, dst.y + _NODE_H / 2
        mid = (x1 + x2) / 2
        return GraphEdge(
            f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}",
            inferred,
            title,
        )

    edges: list[GraphEdge] = []
    seen: set[tuple[str, str]] = set()
    joined: set[str] = set()
    for edge in lineage.get("edges") or ():
        if not isinstance(edge, dict):
            continue
        job = edge.get("job") or {}
        job_name = job.get("name", "") if isinstance(job, dict) else str(job)
        for source in edge.get("inputs") or ():
            for target in edge.get("outputs") or ():
                a, b = position.get(_key(_ref(source))), position.get(_key(_ref(target)))
                if a is None or b is None or a is b or (a.key, b.key) in seen:
                    continue
                seen.add((a.key, b.key))
                joined.update((a.key, b.key))
                edges.append(link(a, b, inferred=False, title=f"{job_name}: {a.title} → {b.title}"))

    by_column: dict[float, list[GraphNode]] = {}
    for node in nodes:
        by_column.setdefault(node.x, []).append(node)
    center_x = position["@center"].x
    for node in nodes:
        if node.role == "center" or node.key in joined:
            continue
        towards = node.x + (_NODE_W + _COL_GAP) * (1 if node.x < center_x else -1)
        neighbour = next(iter(by_column.get(towards, ())), position["@center"])
        edges.append(link(node, neighbour, inferred=True, title="position known from depth only"))

    def heading(column: int) -> str:
        hops = abs(column - max_up)
        if hops == 0:
            return "this dataset"
        return f"{hops} hop{'s' if hops > 1 else ''} {'up' if column < max_up else 'down'}"

    headings = [(_PAD + i * (_NODE_W + _COL_GAP) + _NODE_W / 2, heading(i)) for i in range(n_cols)]
    return LineageGraph(
        width=width,
        height=int(height),
        node_width=_NODE_W,
        node_height=_NODE_H,
        nodes=tuple(nodes),
        edges=tuple(edges),
        upstream_count=len(upstream),
        downstream_count=len(downstream),
        hidden=hidden,
        columns=tuple(headings),
    )

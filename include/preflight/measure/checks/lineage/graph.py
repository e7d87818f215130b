"""The lineage graph: its model, building it from run events, and tracing one catalog
dataset through it (:class:`LineageTrace`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from preflight.measure.checks.lineage.events import _event_problem, _nonempty, _parse_time
from preflight.measure.checks.lineage.naming import (
    MATCH_RULES,
    Identity,
    _catalog_name,
    _scheme,
    catalog_identities,
    match_rank,
)

if TYPE_CHECKING:
    from preflight.model.config import Config

FINISHED = frozenset({"COMPLETE", "FAIL", "ABORT"})
# OTHER carries metadata only and never moves a run's state; a terminal state beats a
# START/RUNNING stamped with the same instant.
_STATE_RANK = {"START": 0, "RUNNING": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}


# --------------------------------------------------------------------------- graph model


@dataclass(frozen=True, order=True)
class DatasetRef:
    namespace: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"namespace": self.namespace, "name": self.name}

    def __str__(self) -> str:
        # namespace + name read as a URI: postgres://h:5432/db.s.t, file:/srv/index
        if "://" not in self.namespace and self.name.startswith("/"):
            return f"{self.namespace}:{self.name}"
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, order=True)
class ColumnSource:
    """One input field a column is derived from (an ``inputFields`` entry)."""

    dataset: DatasetRef
    field: str

    def __str__(self) -> str:
        return f"{self.dataset}.{self.field}"


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    state: str  # START | RUNNING | COMPLETE | FAIL | ABORT: the run's latest state
    time: datetime  # when it entered that state (UTC)
    started_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "state": self.state,
            "time": self.time.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
        }


@dataclass(frozen=True)
class JobNode:
    namespace: str
    name: str
    inputs: tuple[DatasetRef, ...] = ()  # as of its latest run that named datasets
    outputs: tuple[DatasetRef, ...] = ()
    runs: tuple[RunInfo, ...] = ()  # oldest first

    @property
    def latest_run(self) -> RunInfo | None:
        return self.runs[-1] if self.runs else None

    @property
    def latest_finished(self) -> RunInfo | None:
        return next((r for r in reversed(self.runs) if r.state in FINISHED), None)

    @property
    def latest_success(self) -> RunInfo | None:
        return next((r for r in reversed(self.runs) if r.state == "COMPLETE"), None)

    def as_dict(self) -> dict[str, str]:
        return {"namespace": self.namespace, "name": self.name}

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


ColumnLineage = Mapping[str, tuple[ColumnSource, ...]]  # output column -> its sources


@dataclass(frozen=True)
class LineageGraph:
    """Jobs, the datasets they read and write, their runs, and column lineage per output."""

    jobs: tuple[JobNode, ...] = ()
    column_lineage: Mapping[DatasetRef, ColumnLineage] = field(default_factory=dict)
    _producers: dict[DatasetRef, tuple[JobNode, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _consumers: dict[DatasetRef, tuple[JobNode, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        producers: dict[DatasetRef, list[JobNode]] = defaultdict(list)
        consumers: dict[DatasetRef, list[JobNode]] = defaultdict(list)
        for job in self.jobs:
            for ref in job.outputs:
                producers[ref].append(job)
            for ref in job.inputs:
                consumers[ref].append(job)
        object.__setattr__(self, "_producers", {k: tuple(v) for k, v in producers.items()})
        object.__setattr__(self, "_consumers", {k: tuple(v) for k, v in consumers.items()})

    @property
    def datasets(self) -> frozenset[DatasetRef]:
        refs = set(self._producers) | set(self._consumers) | set(self.column_lineage)
        for columns in self.column_lineage.values():
            refs.update(source.dataset for sources in columns.values() for source in sources)
        return frozenset(refs)

    def job(self, namespace: str, name: str) -> JobNode | None:
        return next((j for j in self.jobs if (j.namespace, j.name) == (namespace, name)), None)

    def producers(self, *refs: DatasetRef) -> tuple[JobNode, ...]:
        return _unique(job for ref in refs for job in self._producers.get(ref, ()))

    def consumers(self, *refs: DatasetRef) -> tuple[JobNode, ...]:
        return _unique(job for ref in refs for job in self._consumers.get(ref, ()))

    def upstream(self, *refs: DatasetRef) -> list[tuple[DatasetRef, int]]:
        """Datasets the given ones are derived from, with their distance (1 = direct input)."""
        return self._walk(refs, lambda ref: (i for j in self.producers(ref) for i in j.inputs))

    def downstream(self, *refs: DatasetRef) -> list[tuple[DatasetRef, int]]:
        """Datasets derived from the given ones, with their distance (1 = direct output)."""
        return self._walk(refs, lambda ref: (o for j in self.consumers(ref) for o in j.outputs))

    def _walk(self, start: Sequence[DatasetRef], step: Any) -> list[tuple[DatasetRef, int]]:
        # Breadth first, so each dataset gets its shortest distance; `seen` makes cycles
        # (a job reading its own output, incremental loads) harmless.
        seen = set(start)
        found: list[tuple[DatasetRef, int]] = []
        frontier = sorted(seen)
        level = 0
        while frontier:
            level += 1
            following: list[DatasetRef] = []
            for ref in frontier:
                for nxt in step(ref):
                    if nxt not in seen:
                        seen.add(nxt)
                        found.append((nxt, level))
                        following.append(nxt)
            frontier = sorted(following)
        return found

    def find(self, identity: Identity) -> DatasetMatch | None:
        """The event dataset(s) that stand for ``identity`` (rules in the module docstring)."""
        ranked = [
            (rank, ref) for ref in self.datasets if (rank := match_rank(identity, ref)) is not None
        ]
        if not ranked:
            return None
        scheme = _scheme(identity[0])
        ranked.sort(
            key=lambda item: (
                item[0],
                _scheme(item[1].namespace) != scheme,
                not self.producers(item[1]),
                item[1],
            )
        )
        best = ranked[0][0]
        # Rules 1-3 pool their matches; the bare table name (4) only stands alone.
        aliases = tuple(sorted(ref for rank, ref in ranked if (rank <= 2) == (best <= 2)))
        return DatasetMatch(
            ref=ranked[0][1],
            rule=MATCH_RULES[best],
            aliases=aliases,
            candidates=sum(1 for rank, _ in ranked if rank == best),
        )


class DatasetMatch(NamedTuple):
    ref: DatasetRef  # the preferred event dataset
    rule: str  # exact | name | suffix | table
    aliases: tuple[DatasetRef, ...]  # every event dataset taken to be this dataset
    candidates: int  # how many matched by the winning rule (>1: ambiguous)


def _unique(jobs: Iterable[JobNode]) -> tuple[JobNode, ...]:
    seen: dict[tuple[str, str], JobNode] = {}
    for job in jobs:
        seen.setdefault((job.namespace, job.name), job)
    return tuple(seen.values())


# --------------------------------------------------------------------------- graph


@dataclass
class _RunState:
    state: str | None = None
    key: tuple[datetime, int] | None = None
    started_at: datetime | None = None
    last_seen: datetime | None = None
    inputs: set[DatasetRef] = field(default_factory=set)
    outputs: set[DatasetRef] = field(default_factory=set)


def _refs(datasets: Any) -> set[DatasetRef]:
    return {DatasetRef(d["namespace"], d["name"]) for d in datasets or ()}


def _column_sources(facet: Mapping[str, Any]) -> dict[str, tuple[ColumnSource, ...]]:
    fields = facet.get("fields")
    columns: dict[str, tuple[ColumnSource, ...]] = {}
    if not isinstance(fields, dict):
        return columns
    for column, spec in fields.items():
        inputs = spec.get("inputFields") if isinstance(spec, dict) else None
        sources = {
            ColumnSource(DatasetRef(source["namespace"], source["name"]), source["field"])
            for source in inputs or ()
            if isinstance(source, dict)
            and all(_nonempty(source.get(k)) for k in ("namespace", "name", "field"))
        }
        columns[column] = tuple(sorted(sources))
    return columns


def _run_order(item: tuple[str, _RunState]) -> tuple[datetime, str]:
    run_id, state = item
    when = state.key[0] if state.key else state.last_seen
    return (when or datetime.min.replace(tzinfo=UTC), run_id)


def build_graph(events: Iterable[Mapping[str, Any]]) -> LineageGraph:
    """The lineage graph the events describe; their order does not matter."""
    runs: dict[tuple[str, str, str], _RunState] = {}
    static: dict[tuple[str, str], tuple[datetime, set[DatasetRef], set[DatasetRef]]] = {}
    columns: dict[DatasetRef, tuple[tuple[datetime, str], dict[str, tuple[ColumnSource, ...]]]] = {}
    jobs: set[tuple[str, str]] = set()

    for event in events:
        if _event_problem(event) is not None or "job" not in event:
            continue
        job = (event["job"]["namespace"], event["job"]["name"])
        jobs.add(job)
        time = _parse_time(event["eventTime"])
        inputs, outputs = _refs(event.get("inputs")), _refs(event.get("outputs"))
        for output in event.get("outputs") or ():
            facet = (output.get("facets") or {}).get("columnLineage")
            if isinstance(facet, dict):
                sources = _column_sources(facet)
                # Latest facet wins; equal instants are settled by content, not by order.
                facet_key = (
                    time,
                    json.dumps({c: [str(s) for s in v] for c, v in sorted(sources.items())}),
                )
                ref = DatasetRef(output["namespace"], output["name"])
                if ref not in columns or facet_key > columns[ref][0]:
                    columns[ref] = (facet_key, sources)
        if "run" not in event:  # a JobEvent: static lineage, no run
            if job not in static or time >= static[job][0]:
                static[job] = (time, inputs, outputs)
            continue
        run = runs.setdefault((*job, event["run"]["runId"]), _RunState())
        run.inputs |= inputs
        run.outputs |= outputs
        run.last_seen = max(run.last_seen or time, time)
        event_type = event.get("eventType") or "OTHER"
        if event_type == "START":
            run.started_at = min(run.started_at or time, time)
        if event_type in _STATE_RANK:
            state_key = (time, _STATE_RANK[event_type])
            if (
                run.key is None
                or state_key > run.key
                or (state_key == run.key and event_type > (run.state or ""))
            ):
                run.state, run.key = event_type, state_key

    by_job: dict[tuple[str, str], list[tuple[str, _RunState]]] = defaultdict(list)
    for (namespace, name, run_id), state in runs.items():
        by_job[(namespace, name)].append((run_id, state))
    nodes = []
    for namespace, name in sorted(jobs):
        mine = sorted(by_job[(namespace, name)], key=_run_order)
        infos = tuple(
            RunInfo(run_id, state.state, state.key[0], state.started_at)
            for run_id, state in mine
            if state.state is not None and state.key is not None
        )
        with_datasets = [state for _, state in mine if state.inputs or state.outputs]
        if with_datasets:
            inputs, outputs = with_datasets[-1].inputs, with_datasets[-1].outputs
        elif (namespace, name) in static:
            _, inputs, outputs = static[(namespace, name)]
        else:
            inputs, outputs = set(), set()
        nodes.append(JobNode(namespace, name, tuple(sorted(inputs)), tuple(sorted(outputs)), infos))
    return LineageGraph(tuple(nodes), {ref: value for ref, (_, value) in sorted(columns.items())})


# --------------------------------------------------------------------------- tracing


@dataclass(frozen=True)
class LineageTrace:
    """What the graph says about one catalog dataset; the checks and facts derive from it."""

    dataset: str
    identity: Identity
    match: DatasetMatch | None
    producers: tuple[JobNode, ...]
    consumers: tuple[JobNode, ...]
    upstream: tuple[tuple[DatasetRef, int], ...]
    downstream: tuple[tuple[DatasetRef, int], ...]
    catalog: Mapping[DatasetRef, str]  # traced dataset -> catalog name, where known
    records: frozenset[str]  # catalog datasets declared system_of_record
    system_of_record: bool  # the dataset itself
    columns: ColumnLineage
    edges: tuple[JobNode, ...]  # jobs on the traced subgraph
    roots: tuple[DatasetRef, ...]  # upstream datasets nothing is known to produce

    @property
    def depth(self) -> int:
        return max((level for _, level in self.upstream), default=0)

    @property
    def upstream_records(self) -> list[str]:
        return sorted(
            {self.catalog[r] for r, _ in self.upstream if self.catalog.get(r) in self.records}
        )

    def runs(self) -> list[tuple[JobNode, RunInfo]]:
        return sorted(
            ((job, run) for job in self.producers for run in job.runs),
            key=lambda item: (item[1].time, item[1].run_id),
        )

    def latest(self, states: Iterable[str] | None = None) -> tuple[JobNode, RunInfo] | None:
        wanted = set(states) if states is not None else None
        matching = [(j, r) for j, r in self.runs() if wanted is None or r.state in wanted]
        return matching[-1] if matching else None

    def facts(self) -> dict[str, Any]:
        def node(ref: DatasetRef, level: int) -> dict[str, Any]:
            name = self.catalog.get(ref)
            return {
                **ref.as_dict(),
                "depth": level,
                "dataset": name,
                "system_of_record": name in self.records,
            }

        latest, success = self.latest(), self.latest({"COMPLETE"})
        producer = latest[0] if latest else (self.producers[0] if self.producers else None)
        return {
            "identity": {"namespace": self.identity[0], "name": self.identity[1]},
            "matched": None
            if self.match is None
            else {
                **self.match.ref.as_dict(),
                "rule": self.match.rule,
                "aliases": [a.as_dict() for a in self.match.aliases],
                "candidates": self.match.candidates,
            },
            "producer": producer.name if producer else None,
            "producer_namespace": producer.namespace if producer else None,
            "producers": [j.as_dict() for j in self.producers],
            "consumers": [j.as_dict() for j in self.consumers],
            "upstream": [node(ref, level) for ref, level in self.upstream],
            "downstream": [node(ref, level) for ref, level in self.downstream],
            "depth": self.depth,
            "downstream_depth": max((level for _, level in self.downstream), default=0),
            "last_run": {**latest[1].as_dict(), "job": latest[0].name} if latest else None,
            "last_success": {**success[1].as_dict(), "job": success[0].name} if success else None,
            "system_of_record": self.system_of_record,
            "system_of_record_upstream": self.upstream_records,
            "column_lineage": {
                column: [str(s) for s in sources]
                for column, sources in sorted(self.columns.items())
            },
            "edges": [
                {
                    "job": job.as_dict(),
                    "inputs": [r.as_dict() for r in job.inputs],
                    "outputs": [r.as_dict() for r in job.outputs],
                    "state": job.latest_run.state if job.latest_run else None,
                }
                for job in self.edges
            ],
        }


def trace_lineage(
    graph: LineageGraph, dataset_name: str, identity: Identity, config: Config
) -> LineageTrace:
    """Find ``identity`` in the graph and follow it up- and downstream."""
    dataset = config.datasets.get(dataset_name)
    is_record = bool(dataset and dataset.system_of_record)
    records = frozenset(name for name, d in config.datasets.items() if d.system_of_record)
    match = graph.find(identity)
    aliases = match.aliases if match else ()
    upstream = graph.upstream(*aliases)
    downstream = graph.downstream(*aliases)
    # Linear in the catalog, so only when there is a neighbour to name.
    identities = catalog_identities(config) if upstream or downstream else {}
    catalog = {
        ref: name for ref, _ in (*upstream, *downstream) if (name := _catalog_name(ref, identities))
    }
    columns: dict[str, tuple[ColumnSource, ...]] = {}
    for alias in aliases:
        for column, sources in graph.column_lineage.get(alias, {}).items():
            columns[column] = tuple(sorted({*columns.get(column, ()), *sources}))
    traced = {*aliases, *(r for r, _ in upstream)}
    edges = _unique(
        [
            *(j for r in sorted(traced) for j in graph.producers(r)),
            *graph.consumers(*aliases),
            *(j for r, _ in downstream for j in graph.producers(r)),
        ]
    )
    return LineageTrace(
        dataset=dataset_name,
        identity=identity,
        match=match,
        producers=graph.producers(*aliases),
        consumers=graph.consumers(*aliases),
        upstream=tuple(upstream),
        downstream=tuple(downstream),
        catalog=catalog,
        records=records,
        system_of_record=is_record,
        columns=columns,
        edges=edges,
        roots=tuple(ref for ref, _ in upstream if not graph.producers(ref)),
    )

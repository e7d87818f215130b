"""Lineage in: read OpenLineage run events, build a graph, judge a dataset's lineage.

Two sources feed the same :func:`build_graph`, so both give an identical
:class:`LineageGraph`:

* a JSON-lines file, one run event a line, as openlineage-python's file transport writes
  it (``{"type": "file", "log_file_path": ".../events.jsonl", "append": true}``);
* a Marquez-compatible HTTP API. ``GET /api/v1/events/lineage`` returns the stored run
  events themselves, one paged call. Servers without that endpoint are read through
  ``/api/v1/namespaces``, ``/namespaces/{ns}/jobs``, ``/namespaces/{ns}/jobs/{job}/runs``
  and ``/namespaces/{ns}/datasets`` (for ``columnLineage``), and their runs are turned
  back into START/terminal run events.

A malformed event is a :class:`LineageReadError` (its line, or its position in the API's
stream) and is skipped; a source that cannot be read at all raises
:class:`LineageSourceError`, which the probe turns into a failing Check.

Naming and matching
-------------------
:func:`dataset_identity` follows the OpenLineage naming spec: PostgreSQL
``postgres://host:port`` + ``database.schema.table`` (schema defaults to ``public``),
MySQL/MariaDB ``mysql://host:port`` + ``database.table``, SQL Server
``sqlserver://host:port`` + ``database.schema.table``. The spec names no SQLite scheme;
Preflight uses ``sqlite://<absolute path of the file>`` + ``table`` (``schema.table``
for an attached schema other than ``main``).

Tools disagree on namespaces (``localhost`` vs ``127.0.0.1``, ``postgresql://`` vs
``postgres://``, no port, a logical name), so an event dataset matches a catalog
dataset by the first rule that holds, compared case-insensitively:

1. ``exact``  - same name, same namespace after normalising it (scheme aliases,
   default port, ``localhost`` = ``127.0.0.1``);
2. ``name``   - same name in any namespace;
3. ``suffix`` - one name ends with the other's dot-separated parts, at least
   ``schema.table`` (``marts.orders`` matches ``analytics.marts.orders``);
4. ``table``  - one name is the bare table name the other ends with.

Path-like names (with ``/``) match by rules 1-2 only. The catalog dataset is the union
of every event dataset matching it by rules 1-3 (its aliases); rule 4 is used only when
nothing more specific matches. Among equal matches, one in the identity's scheme and
then one with a producing job is preferred.

Errors::

    PreflightError
    └── LineageSourceError   a lineage source cannot be read at all
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy.engine import URL, make_url

from preflight.errors import PreflightError
from preflight.models import Check, Dimension, Severity
from preflight.probes import ProbeContext, probe
from preflight.sources import expand_env, source_url

if TYPE_CHECKING:
    from preflight.config import Config, DatasetConfig

__all__ = [
    "ColumnSource",
    "DatasetMatch",
    "DatasetRef",
    "JobNode",
    "LineageGraph",
    "LineageReadError",
    "LineageSourceError",
    "LineageTrace",
    "LoadedLineage",
    "RunInfo",
    "assess_lineage",
    "build_graph",
    "clear_cache",
    "dataset_identity",
    "events_path",
    "lineage_probe",
    "load_lineage",
    "match_rank",
    "read_events_file",
    "read_marquez",
    "trace_lineage",
]

log = logging.getLogger(__name__)

Identity = tuple[str, str]  # (namespace, name) in OpenLineage naming

RUN_EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
FINISHED = frozenset({"COMPLETE", "FAIL", "ABORT"})
# OTHER carries metadata only and never moves a run's state; a terminal state beats a
# START/RUNNING stamped with the same instant.
_STATE_RANK = {"START": 0, "RUNNING": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
DEFAULT_RECENCY = timedelta(days=7)
COLUMN_COVERAGE_MIN = 0.8
MATCH_RULES = ("exact", "name", "suffix", "table")
# Marquez's /events/lineage defaults `before` to 2030; ask for everything.
_FAR_FUTURE = "2999-12-31T23:59:59+00:00"


class LineageSourceError(PreflightError):
    """A lineage source (events file, lineage API) cannot be read at all."""


class LineageReadError(NamedTuple):
    """One event that could not be used: its line in the file (or position in the API's
    stream; ``None`` when it concerns no single event) and why."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


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


# --------------------------------------------------------------------------- reading


def _nonempty(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _event_problem(event: Any) -> str | None:
    """Why ``event`` cannot be used as an OpenLineage event, or None if it can."""
    if not isinstance(event, dict):
        return f"expected a JSON object, got {type(event).__name__}"
    try:
        _parse_time(event.get("eventTime"))
    except ValueError:
        return "eventTime is missing or not an ISO-8601 date-time"
    if "job" not in event and isinstance(event.get("dataset"), dict):
        return None  # a DatasetEvent: valid, but it carries no job lineage
    job = event.get("job")
    if (
        not isinstance(job, dict)
        or not _nonempty(job.get("namespace"))
        or not _nonempty(job.get("name"))
    ):
        return "job.namespace and job.name are required"
    if "run" in event:
        run = event["run"]
        if not isinstance(run, dict) or not _nonempty(run.get("runId")):
            return "run.runId is required"
        event_type = event.get("eventType")
        if event_type is not None and event_type not in RUN_EVENT_TYPES:
            return f"unknown eventType {event_type!r}"
    for side in ("inputs", "outputs"):
        datasets = event.get(side)
        if datasets is None:
            continue
        if not isinstance(datasets, list):
            return f"{side} must be a list"
        for i, dataset in enumerate(datasets):
            if (
                not isinstance(dataset, dict)
                or not _nonempty(dataset.get("namespace"))
                or not _nonempty(dataset.get("name"))
            ):
                return f"{side}[{i}] needs a namespace and a name"
    return None


def read_events_file(
    path: str | os.PathLike[str],
) -> tuple[list[dict[str, Any]], list[LineageReadError]]:
    """OpenLineage events from a JSON-lines file; malformed lines are reported and skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LineageSourceError(
            f"cannot read OpenLineage events file {path.name}: {exc.strerror or exc}"
        ) from exc
    events: list[dict[str, Any]] = []
    errors: list[LineageReadError] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except UnicodeDecodeError:
            errors.append(LineageReadError(number, "not UTF-8 text"))
            continue
        except json.JSONDecodeError as exc:
            # A writer still appending leaves a half line at the end: the same error.
            errors.append(
                LineageReadError(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            )
            continue
        if problem := _event_problem(event):
            errors.append(LineageReadError(number, problem))
            continue
        events.append(event)
    return events, errors


def _display_url(url: str) -> str:
    """scheme://host[:port][/path] with any credentials dropped, for messages."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _api_root(url: str) -> str:
    root = url.rstrip("/")
    return root if root.endswith("/api/v1") else f"{root}/api/v1"


class _NotFound(Exception):
    pass


def _get_json(url: str, timeout: float) -> Any:
    headers = {"Accept": "application/json"}
    # The same variable Marquez's own clients read.
    if api_key := os.environ.get("MARQUEZ_API_KEY"):
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise _NotFound(url) from None
        raise LineageSourceError(
            f"lineage API answered HTTP {exc.code} for {_display_url(url)}"
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise LineageSourceError(
            f"lineage API {_display_url(url)} is unreachable: {reason}"
        ) from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise LineageSourceError(f"lineage API {_display_url(url)} did not answer JSON") from exc


def _with_query(url: str, **params: Any) -> str:
    return f"{url}?{urllib.parse.urlencode(params)}"


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def read_marquez(
    url: str, namespace: str | None = None, *, timeout: float = 10, page_size: int = 500
) -> tuple[list[dict[str, Any]], list[LineageReadError]]:
    """OpenLineage events from a Marquez-compatible lineage API at ``url``.

    ``namespace`` keeps only the jobs of that namespace (default: every namespace).
    Invalid events are reported with their position in the stream and skipped; an
    unreachable or failing API raises :class:`LineageSourceError`.
    """
    api = _api_root(url)
    try:
        events, errors = _marquez_events(api, timeout, page_size)
    except _NotFound:
        log.info("%s has no /events/lineage; reading jobs and runs instead", _display_url(api))
        try:
            return _marquez_jobs_and_runs(api, namespace, timeout, page_size)
        except _NotFound as exc:
            raise LineageSourceError(
                f"not a Marquez-compatible lineage API: {_display_url(str(exc))} not found"
            ) from None
    if namespace is not None:
        events = [e for e in events if (e.get("job") or {}).get("namespace") == namespace]
    return events, errors


def _marquez_events(
    api: str, timeout: float, page_size: int
) -> tuple[list[dict[str, Any]], list[LineageReadError]]:
    events: list[dict[str, Any]] = []
    errors: list[LineageReadError] = []
    seen: set[int] = set()
    offset = position = 0
    while True:
        page = _get_json(
            _with_query(
                f"{api}/events/lineage",
                sortDirection="asc",
                limit=page_size,
                offset=offset,
                before=_FAR_FUTURE,
            ),
            timeout,
        )
        batch = page.get("events") if isinstance(page, dict) else None
        if not isinstance(batch, list):
            raise LineageSourceError(
                f"{_display_url(api)}/events/lineage answered without an 'events' list"
            )
        fresh = 0
        for event in batch:
            position += 1
            key = hash(json.dumps(event, sort_keys=True))
            if key in seen:
                continue
            seen.add(key)
            fresh += 1
            if problem := _event_problem(event):
                errors.append(LineageReadError(position, problem))
            else:
                events.append(event)
        offset += len(batch)
        total = page.get("totalCount")
        if batch and not fresh:
            # An older server that ignores `offset` answers the first page again.
            errors.append(
                LineageReadError(
                    None,
                    f"the lineage API ignored 'offset'; read only the first {len(events)} events",
                )
            )
            break
        if len(batch) < page_size or (isinstance(total, int) and offset >= total):
            break
    return events, errors


def _paged(url: str, key: str, timeout: float, page_size: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 0
    previous: list[Any] | None = None
    while True:
        page = _get_json(_with_query(url, limit=page_size, offset=offset), timeout)
        batch = page.get(key) if isinstance(page, dict) else None
        if not isinstance(batch, list):
            raise LineageSourceError(f"{_display_url(url)} answered without a '{key}' list")
        if batch == previous:
            break
        items.extend(item for item in batch if isinstance(item, dict))
        if len(batch) < page_size:
            break
        offset += len(batch)
        previous = batch
    return items


_MARQUEZ_TERMINAL = {"COMPLETED": "COMPLETE", "FAILED": "FAIL", "ABORTED": "ABORT"}


def _dataset_ids(entries: Any, nested: str | None = None) -> list[dict[str, str]]:
    ids = []
    for entry in entries or ():
        ident = entry.get(nested) if nested and isinstance(entry, dict) else entry
        if (
            isinstance(ident, dict)
            and _nonempty(ident.get("namespace"))
            and _nonempty(ident.get("name"))
        ):
            ids.append({"namespace": ident["namespace"], "name": ident["name"]})
    return ids


def _run_events(
    namespace: str, name: str, run: dict[str, Any], job: dict[str, Any]
) -> list[dict[str, Any]]:
    """A Marquez run (state, startedAt, endedAt) as the run events that produced it."""
    inputs = (
        _dataset_ids(run.get("inputDatasetVersions"), "datasetVersionId")
        or _dataset_ids(run.get("inputVersions"))
        or _dataset_ids(job.get("inputs"))
    )
    outputs = (
        _dataset_ids(run.get("outputDatasetVersions"), "datasetVersionId")
        or _dataset_ids(run.get("outputVersions"))
        or _dataset_ids(job.get("outputs"))
    )
    state = run.get("state")
    started = run.get("startedAt") or (
        run.get("createdAt") if state in ("NEW", "RUNNING") else None
    )
    events = []

    def event(event_type: str, time: Any) -> dict[str, Any]:
        return {
            "eventType": event_type,
            "eventTime": time,
            "run": {"runId": run.get("id")},
            "job": {"namespace": namespace, "name": name},
            "inputs": [dict(i) for i in inputs],
            "outputs": [dict(o) for o in outputs],
        }

    if started:
        events.append(event("START", started))
    if terminal := _MARQUEZ_TERMINAL.get(str(state)):
        events.append(event(terminal, run.get("endedAt") or run.get("updatedAt")))
    return events


def _marquez_jobs_and_runs(
    api: str, namespace: str | None, timeout: float, page_size: int
) -> tuple[list[dict[str, Any]], list[LineageReadError]]:
    namespaces = (
        [namespace]
        if namespace
        else [
            n["name"]
            for n in _paged(f"{api}/namespaces", "namespaces", timeout, page_size)
            if _nonempty(n.get("name"))
        ]
    )
    events: list[dict[str, Any]] = []
    errors: list[LineageReadError] = []
    for ns in namespaces:
        for job in _paged(f"{api}/namespaces/{_quote(ns)}/jobs", "jobs", timeout, page_size):
            ident = job.get("id") if isinstance(job.get("id"), dict) else job
            job_ns, job_name = ident.get("namespace") or ns, ident.get("name")
            if not _nonempty(job_name):
                errors.append(LineageReadError(None, f"a job in namespace {ns!r} has no name"))
                continue
            runs = _paged(
                f"{api}/namespaces/{_quote(job_ns)}/jobs/{_quote(job_name)}/runs",
                "runs",
                timeout,
                page_size,
            )
            if not runs and (job.get("inputs") or job.get("outputs")):
                events.append(
                    {
                        "eventTime": job.get("updatedAt") or job.get("createdAt"),
                        "job": {"namespace": job_ns, "name": job_name},
                        "inputs": _dataset_ids(job.get("inputs")),
                        "outputs": _dataset_ids(job.get("outputs")),
                    }
                )
            for run in runs:
                events.extend(_run_events(job_ns, job_name, run, job))

    # Column lineage lives on the datasets: put it back on the output of the latest
    # event that wrote each one, where a file of run events would have it.
    writers: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        if _event_problem(event) is None:
            for output in event.get("outputs") or ():
                ref = (output["namespace"], output["name"])
                current = writers.get(ref)
                if current is None or _parse_time(event["eventTime"]) >= _parse_time(
                    current["eventTime"]
                ):
                    writers[ref] = event
    for ns in sorted({ns for ns, _ in writers}):
        for dataset in _paged(
            f"{api}/namespaces/{_quote(ns)}/datasets", "datasets", timeout, page_size
        ):
            ident = dataset.get("id") if isinstance(dataset.get("id"), dict) else dataset
            facet = (dataset.get("facets") or {}).get("columnLineage")
            writer = writers.get((ident.get("namespace") or ns, ident.get("name")))
            if isinstance(facet, dict) and writer is not None:
                for output in writer["outputs"]:
                    if (output["namespace"], output["name"]) == (
                        ident.get("namespace") or ns,
                        ident.get("name"),
                    ):
                        output["facets"] = {"columnLineage": facet}

    valid = []
    for position, event in enumerate(events, start=1):
        if problem := _event_problem(event):
            errors.append(LineageReadError(position, problem))
        else:
            valid.append(event)
    return valid, errors


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
                key = (
                    time,
                    json.dumps({c: [str(s) for s in v] for c, v in sorted(sources.items())}),
                )
                ref = DatasetRef(output["namespace"], output["name"])
                if ref not in columns or key > columns[ref][0]:
                    columns[ref] = (key, sources)
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
            key = (time, _STATE_RANK[event_type])
            if (
                run.key is None
                or key > run.key
                or (key == run.key and event_type > (run.state or ""))
            ):
                run.state, run.key = event_type, key

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


# --------------------------------------------------------------------------- naming


_SCHEME_ALIASES = {"postgresql": "postgres", "mariadb": "mysql", "mssql": "sqlserver"}
_DEFAULT_PORTS = {
    "postgres": "5432",
    "mysql": "3306",
    "sqlserver": "1433",
    "oracle": "1521",
    "redshift": "5439",
}


def _scheme(namespace: str) -> str:
    scheme, sep, _ = namespace.lower().partition("://")
    scheme = scheme.split("+")[0]
    return _SCHEME_ALIASES.get(scheme, scheme) if sep else namespace.lower()


def _normalise_namespace(namespace: str) -> str:
    text = namespace.strip().rstrip("/").lower()
    raw_scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    scheme = _scheme(text)
    if "/" not in rest and not rest.startswith("["):  # host[:port]; leave paths and IPv6 alone
        host, _, port = rest.partition(":")
        host = "127.0.0.1" if host == "localhost" else host
        port = port or _DEFAULT_PORTS.get(scheme, "")
        rest = f"{host}:{port}" if port else host
    return f"{scheme}://{rest}"


def _parts(name: str) -> tuple[str, ...] | None:
    return None if "/" in name else tuple(name.lower().split("."))


def match_rank(identity: Identity, ref: DatasetRef) -> int | None:
    """0 exact, 1 same name, 2 schema.table suffix, 3 bare table; None when no match."""
    namespace, name = identity
    if name.lower() == ref.name.lower():
        return 0 if _normalise_namespace(namespace) == _normalise_namespace(ref.namespace) else 1
    ours, theirs = _parts(name), _parts(ref.name)
    if ours is None or theirs is None:
        return None
    short, long = sorted((ours, theirs), key=len)
    if len(short) == len(long) or long[-len(short) :] != short:
        return None
    return 2 if len(short) >= 2 else 3


def dataset_identity(dataset: DatasetConfig, engine_url: str | URL) -> Identity:
    """``(namespace, name)`` of a catalog dataset in OpenLineage naming."""
    url = make_url(engine_url) if isinstance(engine_url, str) else engine_url
    backend = url.get_backend_name()
    table, schema = dataset.table, dataset.schema_name
    if backend == "sqlite":
        database = url.database or ":memory:"
        location = (
            database
            if database == ":memory:" or database.startswith("file:")
            else os.path.abspath(database)
        )
        return (
            f"sqlite://{location}",
            table if not schema or schema == "main" else f"{schema}.{table}",
        )
    host = url.host or "localhost"
    if backend == "postgresql":
        database = url.database or url.username or "postgres"
        return f"postgres://{host}:{url.port or 5432}", f"{database}.{schema or 'public'}.{table}"
    if backend in ("mysql", "mariadb"):
        return f"mysql://{host}:{url.port or 3306}", ".".join(
            p for p in (schema or url.database, table) if p
        )
    if backend == "mssql":
        return f"sqlserver://{host}:{url.port or 1433}", ".".join(
            p for p in (url.database, schema or "dbo", table) if p
        )
    authority = f"{host}:{url.port}" if url.port else host
    return f"{backend}://{authority}", ".".join(p for p in (url.database, schema, table) if p)


_SOURCE_URLS: dict[tuple[str, str | None, str | None], str | None] = {}


def catalog_identities(config: Config) -> dict[str, Identity]:
    """Every catalog dataset's identity. A source whose URL cannot be resolved here (an
    unset variable, an Airflow connection outside Airflow) still matches by name."""
    identities: dict[str, Identity] = {}
    for name, dataset in config.datasets.items():
        source = config.sources.get(dataset.source)
        url: str | None = None
        if source is not None:
            key = (dataset.source, source.url, source.conn_id)
            if key not in _SOURCE_URLS:
                try:
                    _SOURCE_URLS[key] = source_url(source)
                except Exception as exc:  # any failure only costs namespace precision
                    log.debug("no URL for source %s: %s", dataset.source, exc)
                    _SOURCE_URLS[key] = None
            url = _SOURCE_URLS[key]
        if url:
            try:
                identities[name] = dataset_identity(dataset, url)
                continue
            except Exception as exc:
                log.debug("no identity for dataset %s: %s", name, exc)
        identities[name] = ("", ".".join(p for p in (dataset.schema_name, dataset.table) if p))
    return identities


def _catalog_name(ref: DatasetRef, identities: Mapping[str, Identity]) -> str | None:
    ranked = sorted(
        (rank, _scheme(identity[0]) != _scheme(ref.namespace), name)
        for name, identity in identities.items()
        if (rank := match_rank(identity, ref)) is not None
    )
    return ranked[0][2] if ranked else None


# --------------------------------------------------------------------------- judging


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
    identities = catalog_identities(config)
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


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def assess_lineage(
    graph: LineageGraph,
    dataset_name: str,
    identity: Identity,
    config: Config,
    now: datetime,
    *,
    columns: Sequence[str] | None = None,
    trace: LineageTrace | None = None,
) -> list[Check]:
    """The lineage sub-checks of one dataset.

    ``columns`` are the dataset's columns (the probe passes the profiled ones; default:
    the catalog's declared ``columns``). A system of record is expected to have no
    producing job or upstream: for it those checks pass when lineage is silent.
    """
    trace = trace or trace_lineage(graph, dataset_name, identity, config)
    dataset = config.datasets.get(dataset_name)
    if columns is None:
        columns = list(dataset.columns) if dataset else []
    slo = dataset.freshness.slo if dataset and dataset.freshness else DEFAULT_RECENCY
    looked_for = f"{identity[0]}/{identity[1]}"

    def check(id_: str, severity: Severity, passed: bool, message: str, **kwargs: Any) -> Check:
        return Check(
            id=id_,
            dimension=Dimension.LINEAGE,
            severity=severity,
            passed=passed,
            message=message,
            dataset=dataset_name,
            **kwargs,
        )

    exempt = trace.system_of_record and not trace.producers
    matched = trace.match.ref if trace.match else None
    match_details = {
        "identity": looked_for,
        "matched": str(matched) if matched else None,
        "rule": trace.match.rule if trace.match else None,
    }
    checks: list[Check] = []

    # lineage.producer
    if trace.producers:
        names = [str(j) for j in trace.producers]
        checks.append(
            check(
                "lineage.producer",
                Severity.WARNING,
                True,
                f"written by {', '.join(names)}",
                observed=names[0] if len(names) == 1 else names,
                details=match_details,
            )
        )
    elif exempt:
        checks.append(
            check(
                "lineage.producer",
                Severity.WARNING,
                True,
                "system of record: written by its application, no producing job expected",
                details=match_details,
            )
        )
    else:
        message = (
            f"lineage knows {matched} but no job writes it"
            if matched
            else f"no lineage event mentions this dataset (looked for {looked_for})"
        )
        checks.append(
            check(
                "lineage.producer",
                Severity.WARNING,
                False,
                message,
                expected="a producing job",
                details=match_details,
                remediation="Emit OpenLineage events from the job that writes this table (for "
                "Airflow, configure the OpenLineage provider's transport), naming "
                f"its output {looked_for} or at least its schema.table.",
            )
        )

    # lineage.last_run
    finished, latest = trace.latest(FINISHED), trace.latest()
    if exempt:
        checks.append(
            check(
                "lineage.last_run",
                Severity.WARNING,
                True,
                "system of record: no producing job whose runs to judge",
            )
        )
    elif finished is None:
        state = latest[1].state if latest else None
        checks.append(
            check(
                "lineage.last_run",
                Severity.WARNING,
                False,
                f"no finished run of a producing job (latest state: {state or 'none'})",
                observed={
                    "state": state,
                    "age_hours": _hours(now - latest[1].time) if latest else None,
                },
                expected="COMPLETE",
                remediation="Run the producing job to completion and make sure it emits "
                "COMPLETE/FAIL events.",
            )
        )
    else:
        job, run = finished
        age = _hours(now - run.time)
        details: dict[str, Any] = {
            "job": str(job),
            "run_id": run.run_id,
            "time": run.time.isoformat(),
        }
        if latest and latest[1] != run:
            details["in_progress"] = {"run_id": latest[1].run_id, "state": latest[1].state}
        ok = run.state == "COMPLETE"
        checks.append(
            check(
                "lineage.last_run",
                Severity.WARNING,
                ok,
                f"latest run of {job.name} {'completed' if ok else 'ended ' + run.state} "
                f"{age} h ago",
                observed={"state": run.state, "age_hours": age},
                expected="COMPLETE",
                details=details,
                remediation=None
                if ok
                else f"Investigate run {run.run_id} of {job}, fix it and rerun the job.",
            )
        )

    # lineage.recency
    success = trace.latest({"COMPLETE"})
    slo_hours = _hours(slo)
    source = "freshness SLO" if dataset and dataset.freshness else "default"
    if exempt:
        checks.append(
            check(
                "lineage.recency",
                Severity.INFO,
                True,
                "system of record: no producing job whose recency to judge",
            )
        )
    elif success is None:
        checks.append(
            check(
                "lineage.recency",
                Severity.INFO,
                False,
                "no successful run of a producing job is recorded",
                expected={"max_age_hours": slo_hours, "from": source},
                remediation="Make the producing job succeed (and emit its COMPLETE event).",
            )
        )
    else:
        job, run = success
        age = now - run.time
        ok = age <= slo
        checks.append(
            check(
                "lineage.recency",
                Severity.INFO,
                ok,
                f"last successful run of {job.name} was {_hours(age)} h ago "
                f"({'within' if ok else 'beyond'} {slo_hours} h, {source})",
                observed=_hours(age),
                expected={"max_age_hours": slo_hours, "from": source},
                details={"job": str(job), "run_id": run.run_id, "time": run.time.isoformat()},
                remediation=None
                if ok
                else f"{job} has not succeeded within {slo_hours} h: "
                "check its schedule and recent failures.",
            )
        )

    # lineage.upstream
    depth = trace.depth
    if depth >= 1 or trace.system_of_record:
        message = (
            f"{len(trace.upstream)} upstream dataset(s), {depth} level(s) deep"
            if depth
            else "system of record: no upstream expected"
        )
        checks.append(
            check(
                "lineage.upstream",
                Severity.WARNING,
                True,
                message,
                observed=depth,
                expected=">= 1",
                details={"upstream": [str(r) for r, _ in trace.upstream]},
            )
        )
    else:
        checks.append(
            check(
                "lineage.upstream",
                Severity.WARNING,
                False,
                "no upstream dataset is known" + ("" if trace.producers else " (no producing job)"),
                observed=0,
                expected=">= 1",
                remediation="Record the inputs of the producing job in its lineage events, or "
                "declare the dataset `system_of_record: true` if it originates here.",
            )
        )

    # lineage.system_of_record
    found = trace.upstream_records
    if trace.system_of_record:
        checks.append(
            check(
                "lineage.system_of_record",
                Severity.INFO,
                True,
                "is itself a system of record",
                observed=[dataset_name],
            )
        )
    elif found:
        checks.append(
            check(
                "lineage.system_of_record",
                Severity.INFO,
                True,
                f"upstream chain reaches system of record {', '.join(found)}",
                observed=found,
            )
        )
    else:
        roots = [str(r) for r in trace.roots]
        message = (
            f"upstream chain ends in {', '.join(roots)}, none declared a system of record"
            if roots
            else "no upstream lineage reaches a system of record"
        )
        checks.append(
            check(
                "lineage.system_of_record",
                Severity.INFO,
                False,
                message,
                observed=roots,
                expected="a catalog dataset with system_of_record: true",
                remediation="Declare the originating dataset `system_of_record: true` in the "
                "catalog, or add the missing upstream lineage.",
            )
        )

    # lineage.column_coverage
    covered_names = {c.lower() for c in trace.columns}
    covered = [c for c in columns if c.lower() in covered_names]
    missing = [c for c in columns if c.lower() not in covered_names]
    if trace.system_of_record and not trace.columns:
        checks.append(
            check(
                "lineage.column_coverage",
                Severity.INFO,
                True,
                "system of record: no column lineage expected",
            )
        )
    elif not columns:
        # No column list to compare against: say what lineage knows, pass only if anything.
        checks.append(
            check(
                "lineage.column_coverage",
                Severity.INFO,
                bool(trace.columns),
                f"no column list to compare; {len(trace.columns)} column(s) have column-level lineage",
                observed=None,
                expected=COLUMN_COVERAGE_MIN,
                details={"covered": sorted(trace.columns), "missing": []},
            )
        )
    else:
        share = round(len(covered) / len(columns), 3)
        ok = share >= COLUMN_COVERAGE_MIN
        checks.append(
            check(
                "lineage.column_coverage",
                Severity.INFO,
                ok,
                f"{len(covered)} of {len(columns)} columns have column-level lineage",
                observed=share,
                expected=COLUMN_COVERAGE_MIN,
                details={"covered": covered, "missing": missing},
                remediation=None
                if ok
                else "Emit the columnLineage facet for this output (SQL "
                "operators of Airflow's OpenLineage provider derive "
                f"it); missing: {', '.join(missing)}.",
            )
        )
    return checks


# --------------------------------------------------------------------------- the probe


@dataclass(frozen=True)
class LoadedLineage:
    graph: LineageGraph
    errors: tuple[LineageReadError, ...]
    source: str  # for reports: which file / API


_CACHE: dict[tuple[Any, ...], LoadedLineage] = {}
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget loaded graphs (tests; a long-lived process that wants fresh lineage)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _SOURCE_URLS.clear()


def events_path(config: Config) -> Path | None:
    """The configured events file: ``${VAR}`` expanded, relative to the config directory."""
    raw = config.settings.lineage.events_file
    if not raw:
        return None
    path = Path(expand_env(raw)).expanduser()
    return path if path.is_absolute() else (config.directory / path).resolve()


def load_lineage(config: Config, *, timeout: float = 10) -> LoadedLineage:
    """The graph of the configured sources, read once per process per source state."""
    settings = config.settings.lineage
    path = events_path(config)
    url = expand_env(settings.marquez_url) if settings.marquez_url else None
    key: list[Any] = []
    if path is not None:
        try:
            stat = path.stat()
        except OSError as exc:
            raise LineageSourceError(f"OpenLineage events file not found: {path.name}") from exc
        key.append(
            ("file", str(path), stat.st_mtime_ns, stat.st_size)
        )  # rewritten file: read again
    if url:
        key.append(("marquez", url))
    cache_key = tuple(key)
    with _CACHE_LOCK:  # one reader per source, however many probes ask at once
        if cached := _CACHE.get(cache_key):
            return cached
        events: list[dict[str, Any]] = []
        errors: list[LineageReadError] = []
        sources = []
        if path is not None:
            found, problems = read_events_file(path)
            events += found
            errors += problems
            sources.append(f"events file {path.name}")
        if url:
            found, problems = read_marquez(url, timeout=timeout)
            events += found
            errors += problems
            sources.append(f"lineage API {_display_url(url)}")
        for error in errors[:5]:
            log.warning("lineage: skipped %s", error)
        loaded = LoadedLineage(build_graph(events), tuple(errors), " + ".join(sources))
        _CACHE[cache_key] = loaded
        return loaded


def _identity_for(ctx: ProbeContext) -> Identity:
    engine_url = getattr(ctx.engine, "url", None)
    if engine_url is None:
        engine_url = source_url(ctx.config.sources[ctx.dataset.source])
    return dataset_identity(ctx.dataset, engine_url)


@probe("lineage", Dimension.LINEAGE, order=60)
def lineage_probe(ctx: ProbeContext) -> list[Check]:
    """Where the dataset comes from, per the configured OpenLineage events."""
    settings = ctx.config.settings.lineage
    if not settings.events_file and not settings.marquez_url:
        return [
            Check(
                id="lineage.source_configured",
                dimension=Dimension.LINEAGE,
                severity=Severity.WARNING,
                passed=False,
                dataset=ctx.name,
                message="no lineage source is configured, so the dataset's origin cannot be checked",
                expected="settings.lineage.events_file or settings.lineage.marquez_url",
                remediation="Set settings.lineage.events_file to an OpenLineage JSON-lines file (e.g. the file "
                "transport of Airflow's OpenLineage provider: AIRFLOW__OPENLINEAGE__TRANSPORT="
                '\'{"type": "file", "log_file_path": "${PREFLIGHT_HOME}/lineage/events.jsonl", '
                '"append": true}\'), or settings.lineage.marquez_url to a Marquez API.',
            )
        ]
    try:
        loaded = load_lineage(ctx.config)
        identity = _identity_for(ctx)
    except PreflightError as exc:
        return [
            Check(
                id="lineage.source_readable",
                dimension=Dimension.LINEAGE,
                severity=Severity.WARNING,
                passed=False,
                dataset=ctx.name,
                message=f"lineage source cannot be read: {exc}",
                remediation="Check settings.lineage (the events file path, relative to the config "
                "directory, or the lineage API URL) and that the source is reachable.",
            )
        ]
    trace = trace_lineage(loaded.graph, ctx.name, identity, ctx.config)
    columns = [c.name for c in ctx.profile.columns] if ctx.profile is not None else None
    checks = assess_lineage(
        loaded.graph, ctx.name, identity, ctx.config, ctx.now, columns=columns, trace=trace
    )
    facts = trace.facts()
    facts["source"] = loaded.source
    facts["read_errors"] = [str(e) for e in loaded.errors[:20]]
    facts["read_error_count"] = len(loaded.errors)
    ctx.facts["lineage"] = facts
    return checks

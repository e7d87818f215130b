"""Reading OpenLineage run events: a JSON-lines file or a Marquez-compatible HTTP API.

Both readers validate each event (:func:`_event_problem`), report the unusable ones as
:class:`LineageReadError` and raise :class:`LineageSourceError` when the source cannot be
read at all. See :mod:`preflight.measure.checks.lineage` for the overview.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard

from preflight.errors import LineageSourceError
from preflight.settings import marquez_api_key

log = logging.getLogger(__name__)

RUN_EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
# Marquez's /events/lineage defaults `before` to 2030; ask for everything.
_FAR_FUTURE = "2999-12-31T23:59:59+00:00"




class LineageReadError(NamedTuple):
    """One event that could not be used: its line in the file (or position in the API's
    stream; ``None`` when it concerns no single event) and why."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


# --------------------------------------------------------------------------- reading


def _nonempty(value: Any) -> TypeGuard[str]:
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
    if api_key := marquez_api_key():
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
            job_id = job.get("id")
            ident: dict[str, Any] = job_id if isinstance(job_id, dict) else job
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
            dataset_id = dataset.get("id")
            ident = dataset_id if isinstance(dataset_id, dict) else dataset
            facet = (dataset.get("facets") or {}).get("columnLineage")
            dataset_ns, dataset_name = ident.get("namespace") or ns, ident.get("name")
            # Every writer is keyed by names checked to be strings; no other name has one.
            writer = (
                writers.get((dataset_ns, dataset_name)) if isinstance(dataset_name, str) else None
            )
            if isinstance(facet, dict) and writer is not None:
                for output in writer["outputs"]:
                    if (output["namespace"], output["name"]) == (dataset_ns, dataset_name):
                        output["facets"] = {"columnLineage": facet}

    valid = []
    for position, event in enumerate(events, start=1):
        if problem := _event_problem(event):
            errors.append(LineageReadError(position, problem))
        else:
            valid.append(event)
    return valid, errors

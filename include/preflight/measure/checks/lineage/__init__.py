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

# Importing .checks registers ``lineage_probe`` (preflight.measure.audit imports this package for it).
# ``name as name``: public names kept importable from here though outside ``__all__``.
from preflight.measure.checks.lineage.checks import COLUMN_COVERAGE_MIN as COLUMN_COVERAGE_MIN
from preflight.measure.checks.lineage.checks import DEFAULT_RECENCY as DEFAULT_RECENCY
from preflight.measure.checks.lineage.checks import PROBES as PROBES
from preflight.measure.checks.lineage.checks import (
    LoadedLineage,
    assess_lineage,
    clear_cache,
    events_path,
    lineage_probe,
    load_lineage,
)
from preflight.measure.checks.lineage.events import RUN_EVENT_TYPES as RUN_EVENT_TYPES
from preflight.measure.checks.lineage.events import (
    LineageReadError,
    LineageSourceError,
    read_events_file,
    read_marquez,
)
from preflight.measure.checks.lineage.graph import FINISHED as FINISHED
from preflight.measure.checks.lineage.graph import ColumnLineage as ColumnLineage
from preflight.measure.checks.lineage.graph import (
    ColumnSource,
    DatasetMatch,
    DatasetRef,
    JobNode,
    LineageGraph,
    LineageTrace,
    RunInfo,
    build_graph,
    trace_lineage,
)
from preflight.measure.checks.lineage.naming import MATCH_RULES as MATCH_RULES
from preflight.measure.checks.lineage.naming import Identity as Identity
from preflight.measure.checks.lineage.naming import catalog_identities as catalog_identities
from preflight.measure.checks.lineage.naming import catalog_identity as catalog_identity
from preflight.measure.checks.lineage.naming import (
    dataset_identity,
    match_rank,
)

__all__ = [
    "ColumnSource",
    "DatasetMatch",
    "DatasetRef",
    "PROBES",
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

"""Preflight's exceptions: the whole tree, in one module.

Data problems are never exceptions: an unreachable source, a missing table, a check that
could not run are *results* (evidence "not measured", a failed check). These are for
the program's own failures and for refusals the caller must act on. The CLI maps them to
exit codes in one place (``preflight.cli``): a closed gate exits 1, every other
``PreflightError`` exits 2.

    PreflightError
    ├── ConfigError          bad YAML, unknown field, wrong type, dangling reference
    │                        (carries the file and the field)
    ├── SourceError          a source cannot be turned into a connection at all
    │   ├── TableNotFoundError   the table (or its schema) does not exist or is not visible
    │   └── SamplingError        a column cannot be sampled
    ├── StoreError           the results store cannot be read or written
    ├── LineageSourceError   a configured lineage source (events file, API) cannot be read
    ├── LineageEmitError     Preflight's own OpenLineage events could not be sent
    ├── UnknownUseCaseError  a use case is in neither the configuration nor the run asked for
    ├── GateClosedError      a use case may not launch: blocked, stale, judged on another
    │                        configuration, or never audited (carries the reasons)
    ├── RegistrationError    a probe or rule registered twice under one name
    ├── IncompleteRunError   an Airflow run planned datasets that it never audited
    ├── PoolSyncError        Airflow's pools could not be set from the configuration
    └── DemoError            a step of ``preflight demo`` failed (names the log to read)

Third-party errors are translated at one boundary per external system: database errors
in :mod:`preflight.engines` (reduced to a safe reason, no data and no secrets), Great
Expectations in :mod:`preflight.measure.checks.gx_suite`, lineage sources in
:mod:`preflight.measure.checks.lineage.events`, OpenLineage transports in
:mod:`preflight.run.lineage_out`, Airflow in :mod:`preflight.airflow`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = [
    "ConfigError",
    "DemoError",
    "GateClosedError",
    "IncompleteRunError",
    "LineageEmitError",
    "LineageSourceError",
    "PoolSyncError",
    "PreflightError",
    "RegistrationError",
    "SamplingError",
    "SourceError",
    "StoreError",
    "TableNotFoundError",
    "UnknownUseCaseError",
    "did_you_mean",
]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, else `` (known: a, b)``: the tail
    of an error message about a misspelt name."""
    names = sorted(set(known))
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(names) or 'none'})"


class PreflightError(Exception):
    """Root of every error Preflight raises on purpose."""


class ConfigError(PreflightError):
    """The configuration cannot be used. The message names the file and the field."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        self.problem = message
        # Every problem found, when the loader reports several at once.
        self.problems: tuple[ConfigError, ...] = (self,)
        where = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


class SourceError(PreflightError):
    """A source's connection settings cannot be resolved (e.g. an unset variable)."""


class TableNotFoundError(SourceError, LookupError):
    """The table (or its schema) does not exist, or is not visible to this connection."""

    def __init__(self, table: str, schema: str | None = None):
        self.table = table
        self.schema = schema
        super().__init__(f"table {f'{schema}.{table}' if schema else table} not found")


class SamplingError(SourceError):
    """A column cannot be sampled: no such table or column, or the query failed."""


class StoreError(PreflightError):
    """The results store failed."""


class LineageSourceError(PreflightError):
    """A lineage source (events file, lineage API) cannot be read at all."""


class LineageEmitError(PreflightError):
    """OpenLineage events could not be handed to the configured transport."""


class UnknownUseCaseError(PreflightError, LookupError):
    """A use case is not in the configuration, or has no verdict in the run asked for."""


class GateClosedError(PreflightError):
    """A use case may not launch; ``reasons`` says every reason, one line each."""

    def __init__(self, use_case: str, reasons: Sequence[str], *, run_id: str | None = None):
        self.use_case = use_case
        self.reasons = tuple(reasons)
        self.run_id = run_id
        where = f" (run {run_id})" if run_id else ""
        super().__init__(
            f"{use_case}: gate closed{where}:\n" + "\n".join(f"  - {line}" for line in self.reasons)
        )


class RegistrationError(PreflightError):
    """A probe or a requirement rule is registered under a name already taken."""


class DemoError(PreflightError):
    """A step of the demo failed; the message names the log to read."""


class IncompleteRunError(PreflightError):
    """Datasets a run planned have no stored audit: evaluating it would judge on less
    evidence than planned (the DAG was parsed with other sources than the run used)."""


class PoolSyncError(PreflightError):
    """``airflow pools import`` failed while setting the sources' pools (names its log)."""

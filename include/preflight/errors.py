"""Preflight's exceptions. Data problems are never exceptions; these are for the
program's own failures, and each maps to exit code 2 in the CLI.

    PreflightError
    ├── ConfigError        bad YAML, unknown field, wrong type, dangling reference
    ├── SourceError        a source cannot be turned into a connection at all
    ├── StoreError         the results store cannot be read or written
    ├── TableNotFoundError (profiling) the table to profile does not exist
    ├── LineageSourceError (lineage) a configured lineage source cannot be read
    ├── LineageEmitError   (lineage_out) an OpenLineage event could not be sent
    ├── SamplingError      (sampling) a text column cannot be sampled
    └── DemoError          (demo.runner) a step of the demo failed
"""

from __future__ import annotations


class PreflightError(Exception):
    """Root of every error Preflight raises on purpose."""


class ConfigError(PreflightError):
    """The configuration cannot be used. The message names the file and the field."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        where = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


class SourceError(PreflightError):
    """A source's connection settings cannot be resolved (e.g. an unset variable)."""


class StoreError(PreflightError):
    """The results store failed."""

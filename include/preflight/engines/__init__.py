"""The one seam between Preflight and the databases it reads.

``engine_for`` / ``engine_for_dataset`` give a guarded engine (read-only, connect,
statement and lock timeouts); ``spec_for`` gives a dialect's :class:`EngineSpec` (the
only place that knows dialects apart); ``safe_reason`` turns a database error into a
reason with no data and no secrets. One module per dialect: ``sqlite``, ``postgresql``,
``mysql`` (and MariaDB), ``duckdb``, and ``generic`` for any other SQLAlchemy dialect.
"""

from preflight.engines.base import EngineSpec, LakeView, RawSample, spec_for
from preflight.engines.connect import (
    check_sources,
    db_reason,
    dispose_engines,
    engine_for,
    engine_for_dataset,
    expand_url,
    guards_of,
    install_guards,
    redact,
    source_url,
)
from preflight.engines.reasons import safe_reason, scrub_secrets, secrets_of

__all__ = [
    "EngineSpec",
    "LakeView",
    "RawSample",
    "check_sources",
    "db_reason",
    "dispose_engines",
    "engine_for",
    "engine_for_dataset",
    "expand_url",
    "guards_of",
    "install_guards",
    "is_boolean_type",
    "redact",
    "safe_reason",
    "scrub_secrets",
    "secrets_of",
    "source_url",
    "spec_for",
]


def is_boolean_type(sa_type: object) -> bool:
    """A reflected type some engine stores booleans as (MySQL's TINYINT(1))."""
    from preflight.engines.base import SPECS, _load_specs

    _load_specs()
    return any(spec.is_boolean_type(sa_type) for spec in set(SPECS.values()))

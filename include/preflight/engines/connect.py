"""Turn a configured source into a SQLAlchemy engine: read-only, bounded, without leaking credentials.

URLs may reference environment variables (``${PG_PASSWORD}``); they are expanded here,
at connect time, component by component (a password holding ``@``, ``:`` or ``/`` stays
a password), and never written back anywhere. ``conn_id`` sources are resolved through
Airflow's connection machinery (env ``AIRFLOW_CONN_*`` or the metadata DB), so a
password lives where Airflow keeps it.

Every engine made here is guarded by its dialect's :class:`~preflight.engines.base.EngineSpec`:
each new connection is made read-only and gets the source's connect, statement and lock
timeouts (:func:`install_guards`, which the GX seam applies to the engines GX builds too).
"""

from __future__ import annotations

import glob
import os
import re
import weakref
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from preflight.engines.base import LakeView, spec_for
from preflight.engines.reasons import safe_reason, secrets_of
from preflight.errors import ConfigError, SourceError
from preflight.model.config import SourceConfig, Timeouts
from preflight.settings import expand_env, expand_url

if TYPE_CHECKING:
    from preflight.model.config import Config

__all__ = [
    "check_sources",
    "db_reason",
    "dispose_engines",
    "engine_for",
    "engine_for_dataset",
    "expand_env",
    "expand_url",
    "guards_of",
    "install_guards",
    "lake_views",
    "redact",
    "source_url",
]


def redact(url: str | URL) -> str:
    """A URL safe for logs and reports: the password replaced by ``***``."""
    try:
        return (url if isinstance(url, URL) else make_url(url)).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show nothing of it
        return "<unparseable url>"


def _url_from_airflow_connection(conn_id: str) -> URL:
    try:
        from airflow.sdk import Connection  # Airflow 3 task SDK
    except ImportError as exc:  # pragma: no cover - Airflow is a dependency
        raise SourceError("conn_id sources need Airflow installed") from exc
    try:
        conn = Connection.get(conn_id)
    except Exception as exc:
        raise SourceError(f"Airflow connection {conn_id!r} not found: {type(exc).__name__}") from None
    if conn.conn_type == "sqlite":
        return URL.create("sqlite", database=conn.host)
    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook  # noqa: F401

        url = conn.get_hook().sqlalchemy_url
        return url if isinstance(url, URL) else make_url(str(url))
    except Exception as exc:
        raise SourceError(
            f"Airflow connection {conn_id!r} cannot be turned into a SQLAlchemy URL: {type(exc).__name__}"
        ) from None


def source_url_object(source: SourceConfig) -> URL:
    if source.url:
        return expand_url(source.url)
    assert source.conn_id
    return _url_from_airflow_connection(source.conn_id)


def source_url(source: SourceConfig) -> str:
    """The source's URL as text, password included (never log it: see :func:`redact`)."""
    return source_url_object(source).render_as_string(hide_password=False)


# ---------------------------------------------------------------------- guards

_GUARDED: weakref.WeakKeyDictionary[Engine, tuple[Timeouts, tuple[LakeView, ...]]] = (
    weakref.WeakKeyDictionary()
)


def guards_of(engine: Engine) -> tuple[Timeouts, tuple[LakeView, ...]]:
    """The timeouts and views ``engine`` was guarded with (defaults for an unguarded one)."""
    return _GUARDED.get(engine) or (Timeouts(), ())


def install_guards(
    engine: Engine, timeouts: Timeouts, views: Sequence[LakeView] = (), *, fresh: bool = True
) -> Engine:
    """Make every connection ``engine`` opens read-only and bounded, per its dialect's spec.

    ``fresh=False`` for an engine that may already hold connections (one GX built): its
    pool is emptied so that no connection opened before the guards stays in use.
    """
    spec = spec_for(engine)

    def connected(dbapi_connection: Any, _record: Any) -> None:
        spec.setup_connection(dbapi_connection, timeouts, views)

    event.listen(engine, "connect", connected)
    spec.instrument(engine, timeouts)
    _GUARDED[engine] = (timeouts, tuple(views))
    if not fresh:
        engine.dispose()
    return engine


def dispose_engines() -> None:
    """Close the pooled connections of every guarded engine (they reopen on demand):
    before a fork, so that parent and child never share a connection."""
    for engine in list(_GUARDED.keys()):
        engine.dispose()


@lru_cache(maxsize=64)
def _engine(url: URL, timeouts: Timeouts, views: tuple[LakeView, ...]) -> Engine:
    spec = spec_for(url)
    prepared = spec.prepare_url(url, views)
    engine = sa.create_engine(
        prepared, connect_args=spec.connect_args(prepared, timeouts), **spec.engine_kwargs(prepared)
    )
    return install_guards(engine, timeouts, views)


def db_reason(
    exc: BaseException,
    engine: Engine | Connection | None,
    *,
    names: Iterable[str] = (),
    secrets: Iterable[str | None] | None = None,
) -> str:
    """:func:`~preflight.engines.reasons.safe_reason` for an error raised on ``engine``:
    no data, no secrets (the engine's password included), and which timeout fired."""
    timeout = None
    if engine is not None:
        bare = engine.engine if isinstance(engine, Connection) else engine
        kind = spec_for(bare).timeout_kind(exc)
        if kind:
            limit = getattr(_GUARDED.get(bare, (None,))[0], kind, None)
            timeout = f"{kind} timeout {_duration(limit)}" if limit is not None else f"{kind} timeout"
        if secrets is None:
            secrets = secrets_of(bare.url)
    return safe_reason(exc, secrets=secrets or (), names=names, timeout=timeout)


def _duration(value: timedelta) -> str:
    total = value.total_seconds()
    for unit, size in (("h", 3600), ("m", 60)):
        if total >= size and total % size == 0:
            return f"{int(total // size)}{unit}"
    return f"{total:g}s"


def _checked(url: URL, views: tuple[LakeView, ...]) -> None:
    spec = spec_for(url)
    problem = spec.check_driver(url)
    if problem:
        raise SourceError(problem)
    if views and not spec.reads_files:
        raise SourceError(
            f"'path:' datasets are read through DuckDB, but their source is {url.get_backend_name()}: "
            "give them a duckdb:/// source (or none, for an in-memory DuckDB)"
        )
    missing = spec.missing_database(url)
    if missing:
        raise SourceError(missing)


def engine_for(source: SourceConfig, views: Sequence[LakeView] = ()) -> Engine:
    """One guarded, pooled engine per distinct source (URL, timeouts, views) for the life of the process."""
    url = source_url_object(source)
    key = tuple(sorted(views, key=lambda v: v.name))
    _checked(url, key)
    return _engine(url, source.timeouts, key)


def lake_views(config: Config, source_name: str) -> tuple[LakeView, ...]:
    """The views a source needs: one per ``path:`` dataset of the source."""
    views = []
    for dataset in config.datasets.values():
        if dataset.source == source_name and dataset.path:
            pattern = Path(expand_env(dataset.path))
            if not pattern.is_absolute():
                pattern = (Path(config.directory) / pattern).resolve()
            lowered = dataset.path.lower()
            reader = "read_csv" if ".csv" in lowered or ".tsv" in lowered else "read_parquet"
            views.append(LakeView(name=dataset.table, pattern=str(pattern), reader=reader))
    return tuple(views)


def engine_for_dataset(config: Config, name: str) -> Engine:
    """The guarded engine a catalog dataset is read through (with the views ``path:`` datasets need)."""
    dataset = config.datasets[name]
    source_name = dataset.source
    source = config.sources[source_name]
    return engine_for(source, lake_views(config, source_name))


def matched_files(view: LakeView) -> list[str]:
    """The files a view's path matches now, sorted (a plain path matches itself if it exists)."""
    if glob.has_magic(view.pattern):
        return sorted(p for p in glob.glob(view.pattern, recursive=True) if os.path.isfile(p))
    return [view.pattern] if os.path.isfile(view.pattern) else []


def check_sources(config: Config) -> list[ConfigError]:
    """Sources whose driver is missing, and ``path:`` datasets on a source that is not
    DuckDB, as problems naming file and field (``preflight validate`` lists them).

    A plain ``mysql://`` URL without mysqlclient is refused here with the fix, not later
    in the audit. Only the URL's shape is read: ``${VAR}``s stay unexpanded, so
    validating needs no secret.
    """
    problems: list[ConfigError] = []
    for name, source in config.sources.items():
        if not source.url:
            continue
        file, field = config.origin("sources", name), f"sources.{name}.url"
        try:
            url = make_url(re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", "0", source.url))
        except Exception:
            problems.append(ConfigError("not a SQLAlchemy URL (dialect+driver://...)", file=file, field=field))
            continue
        spec = spec_for(url)
        problem = spec.check_driver(url)
        if problem:
            problems.append(ConfigError(problem, file=file, field=field))
        if not spec.reads_files:
            for dataset, entry in config.datasets.items():
                if entry.source == name and entry.path:
                    problems.append(
                        ConfigError(
                            f"'path:' datasets are read through DuckDB, but source {name!r} is "
                            f"{url.get_backend_name()}: give it a duckdb:/// source (or none)",
                            file=config.origin("datasets", dataset),
                            field=f"datasets.{dataset}.source",
                        )
                    )
    return problems

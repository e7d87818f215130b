"""Naming and matching: a catalog dataset's OpenLineage identity and how event datasets
match it (the rules are in the :mod:`preflight.measure.checks.lineage` docstring)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL, make_url

from preflight.engines import source_url, spec_for
from preflight.engines.duckdb import lake_identity

if TYPE_CHECKING:
    from preflight.measure.checks.lineage.graph import DatasetRef
    from preflight.model.config import Config, DatasetConfig

log = logging.getLogger(__name__)

Identity = tuple[str, str]  # (namespace, name) in OpenLineage naming

MATCH_RULES = ("exact", "name", "suffix", "table")


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


def dataset_identity(
    dataset: DatasetConfig, engine_url: str | URL, directory: str | os.PathLike[str] | None = None
) -> Identity:
    """``(namespace, name)`` of a catalog dataset in OpenLineage naming: files in a lake by
    their absolute path (``directory`` resolves a relative one), tables per their engine."""
    if dataset.path:
        pattern = dataset.path
        if not os.path.isabs(pattern):
            pattern = os.path.abspath(os.path.join(directory or os.getcwd(), pattern))
        return lake_identity(pattern)
    url = make_url(engine_url) if isinstance(engine_url, str) else engine_url
    return spec_for(url).lineage_identity(url, dataset.table, dataset.schema_name)


_SOURCE_URLS: dict[tuple[str, str | None, str | None], str | None] = {}


def catalog_identity(config: Config, name: str) -> Identity:
    """One catalog dataset's identity. A source whose URL cannot be resolved here (an
    unset variable, an Airflow connection outside Airflow) still matches by name."""
    dataset = config.datasets[name]
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
            return dataset_identity(dataset, url, config.directory)
        except Exception as exc:
            log.debug("no identity for dataset %s: %s", name, exc)
    return ("", ".".join(p for p in (dataset.schema_name, dataset.table) if p))


def catalog_identities(config: Config) -> dict[str, Identity]:
    """Every catalog dataset's identity (linear in the catalog: ask
    :func:`catalog_identity` for one)."""
    return {name: catalog_identity(config, name) for name in config.datasets}


def _catalog_name(ref: DatasetRef, identities: Mapping[str, Identity]) -> str | None:
    ranked = sorted(
        (rank, _scheme(identity[0]) != _scheme(ref.namespace), name)
        for name, identity in identities.items()
        if (rank := match_rank(identity, ref)) is not None
    )
    return ranked[0][2] if ranked else None

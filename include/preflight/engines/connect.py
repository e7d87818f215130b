"""Turn a configured source into a SQLAlchemy engine, without leaking credentials.

URLs may reference environment variables (``${PG_PASSWORD}``); they are expanded
here, at connect time, and never written back anywhere. ``conn_id`` sources are
resolved through Airflow's connection machinery (env ``AIRFLOW_CONN_*`` or the
metadata DB), so a password lives where Airflow keeps it.
"""

from __future__ import annotations

import os
from functools import lru_cache

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

from preflight.errors import SourceError
from preflight.model.config import SourceConfig
from preflight.settings import expand_env

__all__ = ["engine_for", "expand_env", "redact"]



def redact(url: str) -> str:
    """A URL safe for logs and reports: the password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show nothing of it
        return "<unparseable url>"


def _url_from_airflow_connection(conn_id: str) -> str:
    try:
        from airflow.sdk import Connection  # Airflow 3 task SDK
    except ImportError as exc:  # pragma: no cover - Airflow is a dependency
        raise SourceError("conn_id sources need Airflow installed") from exc
    try:
        conn = Connection.get(conn_id)
    except Exception as exc:
        raise SourceError(f"Airflow connection {conn_id!r} not found: {type(exc).__name__}") from None
    if conn.conn_type == "sqlite":
        return f"sqlite:///{conn.host}"
    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook  # noqa: F401

        return conn.get_hook().sqlalchemy_url.render_as_string(hide_password=False)
    except Exception as exc:
        raise SourceError(
            f"Airflow connection {conn_id!r} cannot be turned into a SQLAlchemy URL: {type(exc).__name__}"
        ) from None


def source_url(source: SourceConfig) -> str:
    if source.url:
        return expand_env(source.url)
    assert source.conn_id
    return _url_from_airflow_connection(source.conn_id)


@lru_cache(maxsize=64)
def _engine(url: str) -> Engine:
    kwargs: dict[str, object] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    elif url.startswith(("postgresql", "mysql", "mariadb")):
        kwargs["connect_args"] = {"connect_timeout": 10}
    return create_engine(url, **kwargs)


def engine_for(source: SourceConfig) -> Engine:
    """One pooled engine per distinct URL for the life of the process."""
    url = source_url(source)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        # SQLite would silently create an empty file for a missing database.
        path = url.removeprefix("sqlite:///").split("?")[0]
        if not os.path.exists(path):
            raise SourceError(f"SQLite database file does not exist: {os.path.basename(path)}")
    return _engine(url)

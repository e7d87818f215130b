"""Every environment variable and path Preflight reads, in one place.

=================================  ===================================================
variable                           meaning (default)
=================================  ===================================================
``PREFLIGHT_HOME``                 where Preflight writes everything: the Airflow home,
                                   the demo warehouse, the results store, reports, logs
                                   (``.preflight`` in the working directory)
``PREFLIGHT_CONFIG``               the configuration directory (``include/config``
                                   beside the package)
``PREFLIGHT_RESULTS_URL``          the results store's SQLAlchemy URL; wins over
                                   ``settings.results_url`` (SQLite under the home)
``PREFLIGHT_EXPECTATIONS``         the directory of Great Expectations suites; wins
                                   over ``settings.expectations_dir``
                                   (``expectations/`` in the project)
``PREFLIGHT_PROJECT_ROOT``         the directory holding ``dags/``, ``plugins/`` and
                                   ``expectations/`` (the repository checkout)
``PREFLIGHT_LOG_LEVEL``            the CLI's log level (``WARNING``)
``PREFLIGHT_LINEAGE_FILE``         an OpenLineage file Preflight's own audit events go
                                   to (see :mod:`preflight.run.lineage_out`)
``MARQUEZ_API_KEY``                a bearer token for a Marquez lineage API
=================================  ===================================================

``${VAR}`` in configuration values is expanded by :func:`expand_env`. Variables that
belong to other tools (``AIRFLOW__*``, ``OPENLINEAGE_*``) are read by those tools, and by
the modules that talk to them.

Importing this module also makes two libraries safe to use offline, once, for the
whole process (:func:`_offline_defaults`): Presidio's e-mail recognizer would otherwise
try to download the Public Suffix List, and Great Expectations would send analytics.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = [
    "OFFLINE_DEFAULTS",
    "config_dir",
    "configured_results_url",
    "expand_env",
    "expand_env_with",
    "expand_url",
    "expectations_dir",
    "lineage_file",
    "log_level",
    "marquez_api_key",
    "preflight_home",
    "project_root",
    "reports_dir",
    "results_url",
]

_PACKAGE = Path(__file__).resolve().parent
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Library switches every Preflight process (and the Airflow processes it starts) gets.
OFFLINE_DEFAULTS = {
    # Presidio's EmailRecognizer → tldextract: use the bundled suffix list, never fetch it.
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "GX_ANALYTICS_ENABLED": "false",
}


def _offline_defaults() -> None:
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)


_offline_defaults()


def preflight_home() -> Path:
    """``$PREFLIGHT_HOME``, else ``.preflight`` in the working directory (absolute)."""
    return Path(os.environ.get("PREFLIGHT_HOME") or ".preflight").resolve()


def project_root() -> Path:
    """The directory holding ``dags/``, ``plugins/`` and ``expectations/``."""
    if env := os.environ.get("PREFLIGHT_PROJECT_ROOT"):
        return Path(env)
    return _PACKAGE.parents[1]


def config_dir() -> Path:
    """``$PREFLIGHT_CONFIG``, else ``include/config`` beside the installed package."""
    if env := os.environ.get("PREFLIGHT_CONFIG"):
        return Path(env)
    return _PACKAGE.parent / "config"


def expand_env(text: str) -> str:
    """Expand ``${VAR}``; ``${PREFLIGHT_HOME}`` defaults to :func:`preflight_home`.

    Raises :class:`~preflight.errors.SourceError` naming the variable when it is unset.
    """
    return expand_env_with(text, lambda value: value)


def expand_env_with(text: str, transform: Callable[[str], str]) -> str:
    """:func:`expand_env`, passing each value through ``transform`` (e.g. URL-encoding)."""
    from preflight.errors import SourceError

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "PREFLIGHT_HOME":
            return transform(str(preflight_home()))
        if name not in os.environ:
            raise SourceError(f"environment variable {name} is not set")
        return transform(os.environ[name])

    return _VAR.sub(value, text)


def expand_url(template: str) -> URL:
    """A SQLAlchemy URL with ``${VAR}`` expanded inside each component.

    The URL is parsed before expansion, so a value holding ``@``, ``:``, ``/`` or ``%``
    lands in its component intact (SQLAlchemy encodes it when rendering). A template
    that does not parse as it stands (``${PORT}`` as the port) is expanded first, every
    value percent-encoded.
    """
    from urllib.parse import quote

    from sqlalchemy.engine import make_url

    from preflight.errors import SourceError

    try:
        url = make_url(template)
    except Exception:
        try:
            return make_url(expand_env_with(template, lambda value: quote(value, safe="")))
        except SourceError:
            raise
        except Exception:
            raise SourceError("the URL is not a SQLAlchemy URL (dialect+driver://...)") from None
    updates: dict[str, Any] = {}
    for part in ("username", "password", "host", "database"):
        value = getattr(url, part)
        if value is not None and "${" in str(value):
            updates[part] = expand_env(str(value))
    if any("${" in str(v) for v in url.query.values()):
        updates["query"] = {
            k: (tuple(expand_env(x) for x in v) if isinstance(v, tuple) else expand_env(v))
            for k, v in url.query.items()
        }
    return url.set(**updates) if updates else url


def results_url(configured: str | None = None) -> str:
    """``$PREFLIGHT_RESULTS_URL``, else ``configured`` (``settings.results_url``, ``${VAR}``
    expanded per URL component), else SQLite at ``$PREFLIGHT_HOME/results.db``."""
    if env := os.environ.get("PREFLIGHT_RESULTS_URL"):
        return env
    if configured:
        return expand_url(configured).render_as_string(hide_password=False)
    return f"sqlite:///{preflight_home() / 'results.db'}"


def expectations_dir(directory: Path, configured: str | None = None) -> Path:
    """Where ``<dataset>.json`` GX suites live: ``$PREFLIGHT_EXPECTATIONS``, else
    ``configured`` (``settings.expectations_dir``, relative to the configuration
    ``directory``), else ``expectations/`` in the project."""
    if env := os.environ.get("PREFLIGHT_EXPECTATIONS"):
        return Path(env)
    if configured:
        return (directory / expand_env(configured)).resolve()
    return project_root() / "expectations"


def reports_dir() -> Path:
    return preflight_home() / "reports"


def log_level() -> str:
    return os.environ.get("PREFLIGHT_LOG_LEVEL", "WARNING").upper()


def lineage_file() -> str:
    return os.environ.get("PREFLIGHT_LINEAGE_FILE", "")


def marquez_api_key() -> str | None:
    return os.environ.get("MARQUEZ_API_KEY") or None


def configured_results_url() -> str:
    """:func:`results_url` without loading the configuration: ``settings.results_url`` is
    read from the YAML files of :func:`config_dir` alone, so a broken catalog never hides
    the stored results (a file that does not parse is passed over)."""
    import yaml

    if env := os.environ.get("PREFLIGHT_RESULTS_URL"):
        return env
    directory = config_dir()
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]) if directory.is_dir() else []
    for path in files:
        if path.name.startswith("."):
            continue
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        configured = raw.get("settings") if isinstance(raw, dict) else None
        if isinstance(configured, dict) and isinstance(configured.get("results_url"), str):
            try:
                return results_url(configured["results_url"])
            except Exception:  # an unset ${VAR}: the default store, the banner says why
                break
    return results_url()

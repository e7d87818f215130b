"""Where audit lineage goes, decided without importing openlineage-python.

An audit with no lineage output configured (the default) skips building and sending its
events, and its process never imports the OpenLineage client (0.25 s of CPU, paid by the
CLI, every CLI worker and every Airflow audit task). :mod:`preflight.run.lineage_out`
builds its client from the same answers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.settings import expand_env, lineage_file, preflight_home

if TYPE_CHECKING:
    from preflight.model.config import Settings

__all__ = ["airflow_transport_config", "lineage_file_path", "output_configured", "standard_config_present"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_STANDARD_ENV = ("OPENLINEAGE_CONFIG", "OPENLINEAGE_URL", "OPENLINEAGE_DISABLED")
# openlineage-python's OpenLineageClient.DYNAMIC_ENV_VARS_PREFIX (a test keeps them equal).
DYNAMIC_ENV_PREFIX = "OPENLINEAGE__"


def lineage_file_path(file: str | os.PathLike[str] | bool | None = None) -> Path | None:
    """Where ``PREFLIGHT_LINEAGE_FILE`` (or ``file``) asks events to be written, if it does.

    ``1``/``true``/``yes`` mean ``$PREFLIGHT_HOME/lineage/events.jsonl``; another value is a
    file name, relative to ``$PREFLIGHT_HOME/lineage/``; ``0``/``false``/empty mean no file.
    """
    value: Any = file if file is not None else lineage_file()
    if value is True:
        value = "true"
    if value is False:
        return None
    text = expand_env(os.fspath(value)).strip()
    if text.lower() in _FALSE:
        return None
    directory = Path(preflight_home()) / "lineage"
    path = (
        directory / "events.jsonl" if text.lower() in _TRUE else directory / Path(text).expanduser()
    )
    return path.resolve()


def standard_config_present() -> bool:
    """Whether openlineage-python would find a configuration of its own (its lookup order)."""
    if any(os.environ.get(name) for name in _STANDARD_ENV):
        return True
    if any(name.startswith(DYNAMIC_ENV_PREFIX) for name in os.environ):
        return True
    return any(
        os.path.isfile(candidate)
        for candidate in (
            Path.cwd() / "openlineage.yml",
            Path("~/.openlineage/openlineage.yml").expanduser(),
        )
    )


def airflow_transport_config() -> str | None:
    """The Airflow OpenLineage provider's ``AIRFLOW__OPENLINEAGE__TRANSPORT`` (JSON), unless
    it is unset or the provider is disabled."""
    if os.environ.get("AIRFLOW__OPENLINEAGE__DISABLED", "").lower() in _TRUE:
        return None
    return os.environ.get("AIRFLOW__OPENLINEAGE__TRANSPORT", "").strip() or None


def output_configured(settings: Settings | None = None) -> bool:
    """Whether :func:`preflight.run.lineage_out.client_from_settings` would find an output."""
    return (
        lineage_file_path() is not None
        or standard_config_present()
        or airflow_transport_config() is not None
        or bool(settings is not None and settings.lineage.marquez_url)
    )

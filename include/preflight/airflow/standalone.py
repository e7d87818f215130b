"""``preflight airflow`` (``make airflow``): the whole Airflow on this machine, on embedded defaults.

Prepares the same environment as the demo and the tests (:func:`preflight.airflow.env.airflow_env`:
SQLite metadata DB under ``$PREFLIGHT_HOME/airflow``, LocalExecutor, the project's
``dags/`` and ``plugins/``), makes sure every SimpleAuthManager user has a password,
migrates the metadata DB, sets one pool per source, prints where to go and how to log in, then replaces this
process with ``airflow standalone`` (api-server, scheduler, DAG processor, triggerer;
Ctrl-C stops them all).

Logins: ``[core] simple_auth_manager_users`` (default ``admin:admin``, i.e. user
``admin`` with role ``admin``; set ``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS`` to add
e.g. ``viewer:viewer``). Their passwords live in the file SimpleAuthManager reads,
``[core] simple_auth_manager_passwords_file`` (default
``$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated``); a missing password is
generated the way Airflow does, an existing one is kept, and all are printed at start,
because ``airflow standalone`` only prints a password the first time it creates it.
SimpleAuthManager is for a development machine only: see ``docker-compose.yaml`` for
a deployment.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from rich.console import Console

from preflight.airflow.env import airflow_env

__all__ = ["StandaloneSetup", "ensure_passwords", "prepare_standalone", "run_standalone", "standalone_env"]

SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
# Airflow's own alphabet for generated passwords: no look-alike characters.
_PASSWORD_ALPHABET = "abcdefghkmnpqrstuvwxyzABCDEFGHKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class StandaloneSetup:
    env: dict[str, str]
    url: str
    passwords_file: Path
    passwords: dict[str, str]  # user -> password, for the configured users

    @property
    def preflight_url(self) -> str:
        return f"{self.url}preflight/"


def standalone_env(**overrides: str) -> dict[str, str]:
    """``airflow_env()`` plus what ``airflow standalone`` needs: SimpleAuthManager, its users
    and passwords file, and the api-server on 127.0.0.1:8080 (values the user set win)."""
    env = airflow_env(**overrides)
    home = Path(env["AIRFLOW_HOME"])
    port = env.get("AIRFLOW__API__PORT", "8080")
    defaults = {
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "simple_auth_manager_passwords.json.generated"),
        # Only this machine: SimpleAuthManager keeps passwords in plain text.
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": port,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
    }
    for key, value in defaults.items():
        if key not in overrides:
            env.setdefault(key, value)
    return env


def _users(env: Mapping[str, str]) -> list[str]:
    """User names of ``[core] simple_auth_manager_users`` (``user:role[:teams]``, comma-separated)."""
    spec = env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    return [entry.split(":")[0].strip() for entry in spec.split(",") if entry.strip()]


def ensure_passwords(env: Mapping[str, str]) -> tuple[Path, dict[str, str]]:
    """Give every configured user a password in SimpleAuthManager's passwords file (kept if
    present); returns the file and the configured users' passwords."""
    path = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    stored: dict[str, str] = {}
    if path.exists() and path.read_text(encoding="utf-8").strip():
        stored = json.loads(path.read_text(encoding="utf-8"))
    users = _users(env)
    missing = [user for user in users if user not in stored]
    for user in missing:
        stored[user] = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(16))
    if missing or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(json.dumps(stored) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path, {user: stored[user] for user in users}


def prepare_standalone(console: Console | None = None, *, migrate: bool = True) -> StandaloneSetup:
    """Everything before ``airflow standalone``: environment, passwords, DB, the banner."""
    from preflight.airflow.demo.runner import migrate_airflow_db

    console = console or Console()
    env = standalone_env()
    passwords_file, passwords = ensure_passwords(env)
    if migrate:
        console.print("  migrating the Airflow metadata DB …")
        migrate_airflow_db(env)
        _set_pools(env, console)
    setup = StandaloneSetup(
        env=env,
        url=f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}/",
        passwords_file=passwords_file,
        passwords=passwords,
    )
    console.print(f"[bold]Preflight on Airflow[/] · home {env['PREFLIGHT_HOME']}")
    console.print(f"  Airflow UI      {setup.url}")
    console.print(f"  Preflight page  {setup.preflight_url}  (also in the Airflow sidebar: Preflight)")
    for user, password in passwords.items():
        console.print(f"  log in as [bold]{user}[/] with password [bold]{password}[/]")
    console.print(f"  passwords are kept in {passwords_file}")
    console.print(
        "  first time? trigger preflight_demo_warehouse, then preflight_audit "
        "(or run `preflight demo` before this); passing gates start the launch_* DAGs"
    )
    console.print("  starting `airflow standalone` (Ctrl-C stops it) …")
    return setup


def _set_pools(env: Mapping[str, str], console: Console) -> None:
    """One pool per source (see :mod:`preflight.airflow.pools`); a configuration that does
    not load is reported and left to the audit's `plan` task, which names file and field."""
    from preflight.airflow.demo.runner import airflow_bin
    from preflight.airflow.pools import apply_pools, pools_for
    from preflight.config import load_config
    from preflight.errors import PreflightError

    try:
        pools = pools_for(load_config(env.get("PREFLIGHT_CONFIG") or None))
        apply_pools(pools, env, airflow=airflow_bin(), log=Path(env["PREFLIGHT_HOME"]) / "logs" / "airflow-pools.log")
    except PreflightError as exc:
        console.print(f"  [yellow]the sources' pools were not set[/]: {exc}")
        return
    console.print("  pools: " + ", ".join(f"{p.name} ({p.slots} slots)" for p in pools))


def run_standalone(console: Console | None = None) -> NoReturn:
    """Prepare (see :func:`prepare_standalone`), then become ``airflow standalone``."""
    from preflight.airflow.demo.runner import airflow_bin

    setup = prepare_standalone(console)
    airflow = airflow_bin()
    # `airflow standalone` starts its components as `airflow ...` found on PATH: put the
    # one beside this interpreter first, so an unactivated virtualenv works too.
    if os.path.isabs(airflow):
        setup.env["PATH"] = os.pathsep.join([str(Path(airflow).parent), setup.env.get("PATH", "")])
    # exec: Ctrl-C and signals reach Airflow directly, which stops its components cleanly.
    os.execvpe(airflow, [airflow, "standalone"], setup.env)

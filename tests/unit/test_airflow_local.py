"""`preflight airflow`'s preparation: environment, SimpleAuthManager passwords, the banner.

Nothing here starts a server: `os.execvpe` and the DB migration are replaced, and Airflow's
own SimpleAuthManager reads the passwords file back in a child process.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from preflight.airflow import standalone as airflow_local
from preflight.airflow.standalone import ensure_passwords, standalone_env

READ_BACK = """
import json
import os
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager as S
print(json.dumps({
    "file": S.get_generated_password_file(),
    "users": [(u.username, u.role) for u in S.get_users()],
    "passwords": S.get_passwords(),
}))
"""


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in (
        "AIRFLOW_HOME",
        "AIRFLOW__API__PORT",
        "AIRFLOW__API__HOST",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_env_runs_standalone_on_this_machine_only(_home: Path) -> None:
    env = standalone_env()
    assert env["AIRFLOW_HOME"] == str(_home.resolve() / "airflow")
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("simple_auth_manager.SimpleAuthManager")
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(
        _home.resolve() / "airflow" / "simple_auth_manager_passwords.json.generated"
    )
    assert (env["AIRFLOW__API__HOST"], env["AIRFLOW__API__PORT"]) == ("127.0.0.1", "8080")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False"


def test_settings_the_user_made_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__PORT", "9091")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")
    env = standalone_env()
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:9091/execution/"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin,viewer:viewer"


def test_passwords_are_generated_once_kept_and_private() -> None:
    env = standalone_env()
    path, first = ensure_passwords(env)
    assert list(first) == ["admin"]
    assert len(first["admin"]) == 16 and first["admin"].isalnum()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_passwords(env)[1] == first  # a restart keeps the password

    env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin,viewer:viewer"
    _, both = ensure_passwords(env)
    assert both["admin"] == first["admin"] and len(both["viewer"]) == 16
    assert json.loads(path.read_text()) == both


def test_airflow_reads_the_users_and_passwords_we_wrote() -> None:
    env = standalone_env(AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin,viewer:viewer")
    path, passwords = ensure_passwords(env)
    done = subprocess.run([sys.executable, "-c", READ_BACK], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["file"] == str(path)
    assert seen["users"] == [["admin", "admin"], ["viewer", "viewer"]]
    assert seen["passwords"] == passwords


def test_run_standalone_prints_where_and_how_then_execs_airflow_standalone(monkeypatch: pytest.MonkeyPatch) -> None:
    migrated: list[dict[str, str]] = []
    monkeypatch.setattr("preflight.airflow.demo.runner.migrate_airflow_db", migrated.append)
    pooled: list[tuple[list, dict[str, str]]] = []
    monkeypatch.setattr("preflight.airflow.pools.apply_pools", lambda pools, env, **_: pooled.append((pools, env)))

    class Exec(Exception):
        pass

    def fake_exec(file: str, args: list[str], env: dict[str, str]) -> None:
        raise Exec(file, args, env)

    monkeypatch.setattr(airflow_local.os, "execvpe", fake_exec)
    out = io.StringIO()
    with pytest.raises(Exec) as exec_call:
        airflow_local.run_standalone(Console(file=out, width=200, color_system=None))

    file, args, env = exec_call.value.args
    assert Path(file).name == "airflow" and args[1:] == ["standalone"]
    assert env["PATH"].split(os.pathsep)[0] == str(Path(file).parent)  # standalone spawns `airflow`
    assert migrated == [env]
    # Then one pool per source of the configuration, in the same Airflow.
    assert [([p.name for p in pools], pool_env) for pools, pool_env in pooled] == [(["preflight_source_warehouse"], env)]
    assert "preflight_source_warehouse (4 slots)" in out.getvalue()
    password = json.loads(Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).read_text())["admin"]
    text = out.getvalue()
    assert "http://127.0.0.1:8080/" in text and "http://127.0.0.1:8080/preflight/" in text
    assert f"log in as admin with password {password}" in text


def test_embedded_env_never_points_at_the_users_airflow(_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data engineer's shell often points at a real Airflow; the demo must not touch it."""
    from preflight.airflow.env import airflow_env

    monkeypatch.setenv("AIRFLOW_HOME", "/srv/airflow")
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://prod-metadata/airflow")
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "True")  # a preference, kept
    env = airflow_env()
    assert env["AIRFLOW_HOME"] == str(_home.resolve() / "airflow")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{_home.resolve() / 'airflow' / 'airflow.db'}"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "True"

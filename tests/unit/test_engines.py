"""The engine seam without a server: the registry, source timeouts, ``${VAR}`` in URLs,
safe reasons, drivers checked at validate, and no dialect branch outside ``engines/``."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.engines import check_sources, expand_url, safe_reason, spec_for
from preflight.engines.base import SPECS
from preflight.errors import SourceError
from preflight.model.config import SourceConfig

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "include" / "preflight"


def test_every_dialect_has_its_spec_and_others_get_the_generic_one() -> None:
    names = {name: type(spec_for(name)).__name__ for name in ("sqlite", "postgresql", "mysql", "mariadb", "duckdb")}
    assert names == {
        "sqlite": "SQLiteSpec",
        "postgresql": "PostgreSQLSpec",
        "mysql": "MySQLSpec",
        "mariadb": "MySQLSpec",
        "duckdb": "DuckDBSpec",
    }
    assert type(spec_for("oracle")).__name__ == "GenericSpec"
    assert set(SPECS) == {"sqlite", "postgresql", "mysql", "mariadb", "duckdb"}


def test_source_timeouts_default_and_parse_like_other_durations() -> None:
    default = SourceConfig(url="sqlite:///x.db").timeouts
    assert (default.connect, default.statement, default.lock) == (
        timedelta(seconds=10),
        timedelta(minutes=10),
        timedelta(seconds=30),
    )
    custom = SourceConfig(url="sqlite:///x.db", timeouts={"connect": "3s", "statement": "2h", "lock": "45s"})
    assert (custom.timeouts.connect, custom.timeouts.statement, custom.timeouts.lock) == (
        timedelta(seconds=3),
        timedelta(hours=2),
        timedelta(seconds=45),
    )
    with pytest.raises(ValueError, match="longer than zero"):
        SourceConfig(url="sqlite:///x.db", timeouts={"statement": "0s"})
    with pytest.raises(ValueError, match="duration"):
        SourceConfig(url="sqlite:///x.db", timeouts={"lock": "soon"})


def test_postgresql_sessions_start_read_only_and_bounded() -> None:
    url = sa.make_url("postgresql+psycopg2://u@h/db?options=-c%20search_path%3Dmart")
    args = spec_for(url).connect_args(url, SourceConfig(url="sqlite://", timeouts={"statement": "90s"}).timeouts)
    assert args["connect_timeout"] == 10
    options = args["options"]
    assert options.startswith("-c search_path=mart ")  # the URL's own options are kept
    for setting in ("default_transaction_read_only=on", "statement_timeout=90000", "lock_timeout=30000"):
        assert f"-c {setting}" in options


@pytest.mark.parametrize(
    "password", ["p@ss:w/rd", "a%40b", "x#y?z&w", "with space", "ünï"], ids=["at-colon-slash", "percent", "url-chars", "space", "unicode"]
)
def test_env_values_land_in_their_url_component_intact(password: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PF_TEST_PASSWORD", password)
    monkeypatch.setenv("PF_TEST_HOST", "db.internal")
    url = expand_url("postgresql+psycopg2://audit:${PF_TEST_PASSWORD}@${PF_TEST_HOST}:5432/warehouse")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "audit",
        password,
        "db.internal",
        5432,
        "warehouse",
    )


def test_a_port_from_the_environment_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PF_TEST_PASSWORD", "p@ss:w/rd")
    monkeypatch.setenv("PF_TEST_PORT", "6543")
    url = expand_url("postgresql://audit:${PF_TEST_PASSWORD}@db:${PF_TEST_PORT}/w")
    assert (url.password, url.port) == ("p@ss:w/rd", 6543)


def test_an_unset_variable_is_named() -> None:
    with pytest.raises(SourceError, match="PF_TEST_UNSET_VARIABLE"):
        expand_url("postgresql://audit:${PF_TEST_UNSET_VARIABLE}@db/w")


@pytest.mark.parametrize(
    ("message", "leaked"),
    [
        ('invalid input syntax for type integer: "987-65-4321"', "987-65-4321"),
        ("(1062, \"Duplicate entry 'ann@example.com' for key 'email'\")", "ann@example.com"),
        ("Conversion Error: Could not convert string 'secret value' to INT32", "secret value"),
        ("Key (email)=(bob@example.org) already exists.", "bob@example.org"),
        ("value 4111111111111111 is out of range", "4111111111111111"),
        ("FATAL: password authentication failed\nDETAIL: the statement held 'data'", "data"),
    ],
)
def test_safe_reasons_hold_no_data(message: str, leaked: str) -> None:
    reason = safe_reason(RuntimeError(message))
    assert leaked not in reason and reason.startswith("RuntimeError: ")


def test_safe_reasons_hold_no_secrets_and_keep_known_names() -> None:
    secret = "p@ss:w/rd"
    text = f'connection to "orders" failed for postgresql://audit:p%40ss%3Aw%2Frd@db/w using {secret}'
    reason = safe_reason(RuntimeError(text), secrets=[secret], names=["orders"])
    assert secret not in reason and "p%40ss" not in reason and '"orders"' in reason
    wrapped = sa.exc.OperationalError("SELECT email FROM t WHERE email = 'x@y.z'", {}, RuntimeError("boom"))
    assert safe_reason(wrapped) == "RuntimeError: boom"  # the driver's message, not the statement
    timed = safe_reason(RuntimeError("canceling statement"), timeout="statement timeout 10m")
    assert timed == "timed out (statement timeout 10m): RuntimeError: canceling statement"


def _write(tmp_path: Path, body: dict) -> Path:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    (folder / "catalog.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return folder


def test_validate_names_a_missing_driver_and_the_fix(tmp_path: Path) -> None:
    pytest.importorskip("pymysql")
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("mysqlclient is installed here: a plain mysql:// URL works")
    for scheme in ("mysql", "mariadb"):
        folder = _write(tmp_path, {"sources": {"wh": {"url": f"{scheme}://audit@db/w"}}})
        (problem,) = check_sources(load_config(folder))
        assert problem.field == "sources.wh.url" and f"{scheme}+pymysql://" in problem.problem
    done = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "validate", "--offline", "--config", str(folder)],
        capture_output=True, text=True, env={**os.environ, "PREFLIGHT_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 2 and "mariadb+pymysql://" in done.stderr and "sources.wh.url" in done.stderr


def test_plain_postgresql_urls_have_their_driver(tmp_path: Path) -> None:
    # psycopg 3, SQLAlchemy 2.1's default, is installed; validating needs no secret set.
    url = "postgresql://audit:${PF_TEST_UNSET_SECRET}@db:${PF_TEST_UNSET_PORT}/w"
    assert check_sources(load_config(_write(tmp_path, {"sources": {"wh": {"url": url}}}))) == []


def test_path_datasets_on_a_server_source_fail_validate(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {"sources": {"wh": {"url": "postgresql://audit@db/w"}}, "datasets": {"events": {"source": "wh", "path": "e.parquet"}}},
    )
    (problem,) = check_sources(load_config(folder))
    assert problem.field == "datasets.events.source" and "DuckDB" in problem.problem


# ---------------------------------------------------------------------- no dialect branches


def _dialect_branches(path: Path) -> list[str]:
    """Comparisons of a dialect name outside engines/: ``x.dialect.name == ...``, ``... in
    (...)``, ``url.get_backend_name() == ...``, ``.drivername`` tests, ``startswith("sqlite")``."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            text = ast.unparse(node)
            if any(k in text for k in ("dialect.name", "get_backend_name()", "drivername", "dialect ==", "backend ==")):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {text}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "startswith":
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if any(a.split(":")[0].split("+")[0] in {"sqlite", "postgresql", "mysql", "mariadb", "duckdb"} for a in args):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_dialect_branch_outside_engines() -> None:
    files = [p for p in CORE.rglob("*.py") if "engines" not in p.relative_to(CORE).parts]
    files += list((REPO / "dags").glob("*.py")) + list((REPO / "plugins").rglob("*.py"))
    assert [hit for path in files for hit in _dialect_branches(path)] == []


def test_the_branch_finder_finds_branches(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "if engine.dialect.name == 'sqlite': pass\n"
        "if url.startswith('postgresql+psycopg2://'): pass\n"
        "ok = url.startswith('https://')\n",
        encoding="utf-8",
    )
    original = globals()["REPO"]
    globals()["REPO"] = tmp_path
    try:
        assert len(_dialect_branches(sample)) == 2
    finally:
        globals()["REPO"] = original


def test_the_results_store_url_gets_the_same_expansion(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from preflight.settings import results_url

    monkeypatch.delenv("PREFLIGHT_RESULTS_URL", raising=False)
    monkeypatch.setenv("PF_TEST_STORE_PASSWORD", "p@ss:w/rd")
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home dir"))
    url = sa.make_url(results_url("postgresql+psycopg2://store:${PF_TEST_STORE_PASSWORD}@db:5432/results"))
    assert (url.password, url.host, url.database) == ("p@ss:w/rd", "db", "results")
    local = sa.make_url(results_url("sqlite:///${PREFLIGHT_HOME}/results.db"))
    assert local.database == str(tmp_path / "home dir" / "results.db")

"""docker-compose.yaml: Preflight's own wiring, and proof that the compose validator can fail.

The validator is ``scripts/validate_compose.py`` (schema and cross-references; CI runs it
as ``make validate-compose`` before the test suite). Here:

- the real file passes it, and the script exits 1 naming each problem of a broken copy;
- every check of the script names at least one break (one mutation per check), so none
  of them can pass whatever the file says;
- a few targeted asserts on what Preflight relies on in the stack.
"""

from __future__ import annotations

import copy
import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "validate_compose.py"


def _load_validator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate_compose", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


vc = _load_validator()


@pytest.fixture(scope="module")
def compose_doc() -> dict[str, Any]:
    return vc.load_compose(REPO / vc.COMPOSE_FILE)


@pytest.fixture(scope="module")
def common_env(compose_doc: dict[str, Any]) -> dict[str, str]:
    return vc.environment(vc.interpolate_tree(compose_doc, {})[vc.COMMON])


# ------------------------------------------------------------------ the script


def test_compose_file_is_valid(compose_doc: dict[str, Any]) -> None:
    assert vc.validate_compose(compose_doc, REPO) == []


def test_schema_is_the_compose_specification_with_its_licence() -> None:
    import json

    import jsonschema

    schema = json.loads(vc.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["title"] == "Compose Specification"
    assert "Apache License" in (SCRIPT.parent / "compose-spec.NOTICE").read_text(encoding="utf-8")


def test_script_exits_nonzero_naming_each_problem(tmp_path: Path, compose_doc: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose_doc)
    del broken["services"]["airflow-dag-processor"]
    broken["services"]["redis"]["imagee"] = "redis"
    path = tmp_path / "docker-compose.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--file", str(path), "--root", str(REPO)], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "service airflow-dag-processor is missing" in done.stderr
    assert "schema: services/redis" in done.stderr

    valid = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stderr
    assert "valid" in valid.stdout

    path.write_text("services: [unclosed", encoding="utf-8")
    unreadable = subprocess.run([sys.executable, str(SCRIPT), "--file", str(path)], capture_output=True, text=True)
    assert unreadable.returncode == 2 and "cannot be read" in unreadable.stderr


def test_interpolation_follows_compose() -> None:
    env = {"SET": "value", "EMPTY": ""}
    assert vc.interpolate("${SET:-d}|${UNSET:-d}|${EMPTY:-d}|${EMPTY-d}|$$HOME|$SET", env) == (
        "value|d|d||$HOME|value"
    )
    with pytest.raises(ValueError, match="UNSET"):
        vc.interpolate("${UNSET:?needed}", env)


# ------------------------------------------------------------ Preflight's wiring


def test_workers_preload_preflight_and_keep_airflows_celery_settings(common_env: dict[str, str]) -> None:
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

    value = common_env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"]
    module, _, attribute = value.rpartition(".")
    assert module == "preflight.airflow.celery_worker"
    assert getattr(importlib.import_module(module), attribute) is DEFAULT_CELERY_CONFIG


def test_the_stacks_database_drivers_are_installed(common_env: dict[str, str]) -> None:
    """What the compose URLs need is in `make install`'s environment too (the Celery test
    runs them natively): psycopg2 for the metadata DB, psycopg 3 for `db+postgresql://`
    (SQLAlchemy 2.1's default PostgreSQL driver), asyncpg for `airflow db migrate`, redis."""
    from sqlalchemy.engine import make_url

    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND", "PREFLIGHT_RESULTS_URL"):
        dialect = make_url(common_env[key].removeprefix("db+")).get_dialect()
        assert dialect.import_dbapi() is not None, key
    assert make_url(common_env["AIRFLOW__CELERY__RESULT_BACKEND"].removeprefix("db+")).get_dialect().driver == "psycopg"
    for module in ("asyncpg", "redis", "celery", "airflow.providers.celery.executors.celery_executor"):
        importlib.import_module(module)


def test_airflow_init_sets_the_sources_pools(compose_doc: dict[str, Any]) -> None:
    init = "\n".join(compose_doc["services"]["airflow-init"]["command"])
    assert "python -m preflight.cli pools --apply" in init


def test_results_store_is_the_database_the_init_script_creates(common_env: dict[str, str]) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(common_env["PREFLIGHT_RESULTS_URL"])
    assert (url.host, url.database) == ("postgres", "preflight")
    script = (REPO / "docker" / "postgres-init" / "01-create-preflight-db.sql").read_text(encoding="utf-8")
    assert re.search(r"(?m)^CREATE DATABASE preflight;", script)


def test_lineage_file_is_the_one_the_demo_configuration_reads(common_env: dict[str, str]) -> None:
    import json

    transport = json.loads(common_env["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    config = yaml.safe_load((REPO / "include" / "config" / "preflight.yaml").read_text(encoding="utf-8"))
    expected = config["settings"]["lineage"]["events_file"].replace("${PREFLIGHT_HOME}", common_env["PREFLIGHT_HOME"])
    assert (transport["type"], transport["log_file_path"]) == ("file", expected)


def test_the_dockerfile_builds_on_the_pinned_airflow() -> None:
    pin = vc.airflow_pin(REPO)
    assert pin, "constraints.txt pins apache-airflow"
    froms = [i.arguments for i in vc.dockerfile_instructions(REPO / "Dockerfile") if i.keyword == "FROM"]
    assert froms == [f"apache/airflow:{pin}-python3.11"]


def test_header_documents_every_variable() -> None:
    text = (REPO / vc.COMPOSE_FILE).read_text(encoding="utf-8")
    header, body = text.split("\n---", 1)
    variables = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", body))
    assert variables, "the compose file uses variables"
    undocumented = sorted(v for v in variables if not re.search(rf"#\s+{v}\b", header))
    assert undocumented == [], "document these variables in the header comment"


def test_docs_name_the_published_ports(compose_doc: dict[str, Any]) -> None:
    docs = (REPO / "docs" / "docker-compose.md").read_text(encoding="utf-8")
    services = vc.interpolate_tree(compose_doc, {})["services"]
    for name in ("airflow-apiserver", "marquez-web"):
        for host_port in vc.published_ports(services[name]).values():
            assert f"localhost:{host_port}" in docs, f"docs/docker-compose.md should name {name}'s port"


# ------------------------------------------- every check can fail: one break for each


def _set_env(service: str, key: str, value: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc["services"][service]
        target["environment"] = {**vc.environment(target), key: value}

    return mutate


def _set_common_env_everywhere(key: str, value: str) -> Callable[[dict[str, Any]], None]:
    """Change a common setting in the anchor and in every service that extends it."""

    def mutate(doc: dict[str, Any]) -> None:
        image = doc[vc.COMMON]["image"]
        targets = [doc[vc.COMMON]] + [s for s in doc["services"].values() if s.get("image") == image]
        for target in targets:
            target["environment"] = {**vc.environment(target), key: value}

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = doc
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = doc
        for part in parents:
            node = node[part]
        node[last] = value

    return mutate


def _depends(service: str, dep: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        doc["services"][service]["depends_on"] = {
            **(doc["services"][service].get("depends_on") or {}),
            dep: {"condition": "service_started"},
        }

    return mutate


def _mounts(service: str, old: str | None, new: str) -> Callable[[dict[str, Any]], None]:
    """Replace the mount ``old`` of ``service`` by ``new`` (add ``new`` when old is None)."""

    def mutate(doc: dict[str, Any]) -> None:
        volumes = list(doc["services"][service].get("volumes", []))
        doc["services"][service]["volumes"] = [new if v == old else v for v in volumes] + ([new] if old is None else [])

    return mutate


PG = "postgresql+psycopg2://airflow:${POSTGRES_PASSWORD:-airflow}@postgres:5432/"

# name: (break, what the validator must say, the check that says it)
MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    "unknown-key": (_set("services/redis/imagee", "redis"), "schema: services/redis", "schema"),
    "missing-service": (_delete("services/airflow-dag-processor"), "service airflow-dag-processor is missing", "required_services"),
    "dangling-depends-on": (_depends("airflow-scheduler", "airflow-webserver"), "airflow-webserver, which is not a service", "depends_on_existing_services"),
    "no-healthcheck": (_delete("services/redis/healthcheck"), "service redis has no healthcheck", "infrastructure_has_healthchecks"),
    "undeclared-volume": (_delete("volumes/preflight-home"), "preflight-home, not declared", "named_volumes_declared"),
    "missing-bind-source": (_mounts("airflow-worker", None, "./no-such-folder:/opt/airflow/x"), "./no-such-folder, which does not exist", "bind_sources_exist"),
    "missing-dockerfile": (_set("services/airflow-worker/build", {"context": ".", "dockerfile": "Nope.Dockerfile"}), "Nope.Dockerfile, which does not exist", "build_contexts_exist"),
    "executor-drift": (_set_env("airflow-worker", "AIRFLOW__CORE__EXECUTOR", "LocalExecutor"), "service airflow-worker runs AIRFLOW__CORE__EXECUTOR='LocalExecutor'", "same_executor_everywhere"),
    "jwt-drift": (_set_env("airflow-scheduler", "AIRFLOW__API_AUTH__JWT_SECRET", "${OTHER:-x}"), "sets AIRFLOW__API_AUTH__JWT_SECRET differently", "shared_settings_agree"),
    "execution-api-port": (_set_common_env_everywhere("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "http://airflow-apiserver:8793/execution/"), "uses port 8793; the api-server listens on 8080", "execution_api_reaches_api_server"),
    "broker-not-redis": (_set_common_env_everywhere("AIRFLOW__CELERY__BROKER_URL", "redis://:@postgres:6379/0"), "should point at the redis service", "celery_broker_is_redis"),
    "metadata-db-name": (_set_common_env_everywhere("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", PG + "airflw"), "uses database 'airflw'", "metadata_db_is_postgres"),
    "results-db-is-metadata-db": (_set_common_env_everywhere("PREFLIGHT_RESULTS_URL", PG + "airflow"), "shares Airflow's metadata database", "results_store_is_the_init_database"),
    "default-depends-on-marquez": (_depends("airflow-worker", "marquez-api"), "default service airflow-worker depends on marquez-api", "marquez_is_optional"),
    "preflight-home-not-a-volume": (_mounts("airflow-worker", "preflight-home:/opt/airflow/preflight", "./dags:/opt/airflow/preflight"), "service airflow-worker does not keep PREFLIGHT_HOME", "preflight_home_is_a_named_volume"),
    "lineage-outside-home": (
        _set_common_env_everywhere(
            "AIRFLOW__OPENLINEAGE__TRANSPORT",
            '{"type": "${PREFLIGHT_LINEAGE_TRANSPORT:-file}", "log_file_path": "/elsewhere/events.jsonl", "url": "http://marquez-api:5000"}',
        ),
        "writes outside PREFLIGHT_HOME",
        "lineage_transport",
    ),
    "unknown-auth-manager": (_set_common_env_everywhere("AIRFLOW__CORE__AUTH_MANAGER", "my.AuthManager"), "not SimpleAuthManager or FabAuthManager", "auth_is_shared"),
    "literal-password": (_set_env("postgres", "POSTGRES_PASSWORD", "hunter2"), "POSTGRES_PASSWORD is written literally", "secrets_come_from_variables"),
    "celery-options-module": (
        _set_common_env_everywhere("AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS", "preflight.airflow.no_such_module.CELERY_CONFIG"),
        "preflight.airflow.no_such_module, which is not a module in include/",
        "celery_options_exist",
    ),
}


def fake_repo(tmp_path: Path, replace: Mapping[str, str]) -> Path:
    """A stand-in repository: links to the real one, with `replace` written as copies."""
    root = tmp_path / "repo"
    root.mkdir()
    touched = {Path(rel).parts[0] for rel in replace}
    for entry in REPO.iterdir():
        if entry.name in {".git", ".venv"}:
            continue
        if entry.name not in touched:
            (root / entry.name).symlink_to(entry)
        elif entry.is_dir():
            shutil.copytree(entry, root / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, root / entry.name)
    for rel, text in replace.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _edit(rel: str, old: str, new: str) -> dict[str, str]:
    text = (REPO / rel).read_text(encoding="utf-8")
    assert old in text, f"{rel} no longer contains {old!r}: update this test"
    return {rel: text.replace(old, new)}


REPO_MUTATIONS: dict[str, tuple[Callable[[], dict[str, str]], str, str]] = {
    "install-without-constraints": (
        lambda: _edit("Dockerfile", "pip install --no-cache-dir -c constraints.txt -e .", "pip install --no-cache-dir -e ."),
        "without -c constraints.txt",
        "dockerfile_installs_with_constraints",
    ),
    "airflow-tag-drift": (
        lambda: _edit("Dockerfile", "apache/airflow:3.3.2-python3.11", "apache/airflow:3.3.1-python3.11"),
        "builds FROM Airflow 3.3.1, constraints.txt pins apache-airflow==3.3.2",
        "dockerfile_installs_with_constraints",
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_validator_names_the_break(name: str, compose_doc: dict[str, Any]) -> None:
    mutate, expected, check = MUTATIONS[name]
    doc = copy.deepcopy(compose_doc)
    mutate(doc)
    found = vc.problems_by_check(doc, REPO)
    assert any(expected in problem for problem in found[check]), f"{name}: {expected!r} not in {found[check]}"


@pytest.mark.parametrize("name", sorted(REPO_MUTATIONS))
def test_validator_names_the_break_in_the_repository(name: str, tmp_path: Path, compose_doc: dict[str, Any]) -> None:
    make, expected, check = REPO_MUTATIONS[name]
    found = vc.problems_by_check(copy.deepcopy(compose_doc), fake_repo(tmp_path, make()))
    assert any(expected in problem for problem in found[check]), f"{name}: {expected!r} not in {found[check]}"


def test_every_check_has_a_break_it_names() -> None:
    covered = {check for *_, check in MUTATIONS.values()} | {check for *_, check in REPO_MUTATIONS.values()}
    assert covered == {"schema", *(function.__name__ for function in vc.CHECKS)}

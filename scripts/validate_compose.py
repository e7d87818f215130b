#!/usr/bin/env python3
"""Validate docker-compose.yaml without a container engine: schema and cross-references.

    python scripts/validate_compose.py [--file docker-compose.yaml] [--root .]

(`make validate-compose`; CI runs it before the test suite.) Exits 0 when the file is
valid, 1 naming each problem on its own line, 2 when the file cannot be read at all.

The file is validated against the Compose Specification's JSON schema (vendored beside
this script: compose-spec.json, licence in compose-spec.NOTICE; Debian's docker-compose
1.29 predates the specification's top-level `name:` and cannot validate it), then its
cross-references are checked against each other and against the repository: services
and the commands that make them Airflow components, depends_on and healthchecks,
volumes and mounted paths, the URLs between services (execution API, broker, metadata
DB, Celery results, Preflight's results store and the init script that creates it),
the Airflow version and constraints the Dockerfile builds with, the OpenLineage
transport, auth, and that no secret is written literally.

`validate_compose(doc, repo_root)` returns every problem as one sentence; the unit
tests (tests/unit/test_docker_compose.py) break copies of the file one way at a time and
assert that each check names its break, so every check is known to be able to fail.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml
from packaging.specifiers import SpecifierSet
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = "docker-compose.yaml"
SCHEMA_FILE = Path(__file__).resolve().with_name("compose-spec.json")

COMMON = "x-airflow-common"
INITDB_DIR = "/docker-entrypoint-initdb.d"
API_SERVER_DEFAULT_PORT = 8080  # Airflow's [api] port when `api-server` gets no --port
REDIS_PORT = 6379
POSTGRES_PORT = 5432
MARQUEZ_PROFILE = "marquez"

# Every Airflow component the official compose file runs, and the command that makes it
# that component (None: any command).
AIRFLOW_SERVICES: dict[str, str | None] = {
    "airflow-init": None,
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
# Settings that every Airflow service must see with the same value: a component with a
# different one would talk to another database, broker or API, or fail to verify tokens.
SHARED_SETTINGS = (
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CORE__AUTH_MANAGER",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS",
    "AIRFLOW__OPENLINEAGE__TRANSPORT",
    "PREFLIGHT_HOME",
    "PREFLIGHT_RESULTS_URL",
)
AUTH_MANAGERS = {
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
    "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
}
SECRET_KEY = re.compile(r"(PASSWORD|SECRET|FERNET_KEY)$")


# --------------------------------------------------------------------------- helpers


_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation, for the forms this project uses.

    ``$$`` is a literal ``$``; ``${VAR:-default}`` falls back when VAR is unset or empty,
    ``${VAR-default}`` only when unset; ``${VAR:?msg}``/``${VAR?msg}`` fail when missing.
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("named")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op in (":?", "?") and (value is None or (op == ":?" and not value)):
            raise ValueError(f"required variable {name} is missing: {arg}")
        return value or ""

    return _INTERPOLATION.sub(substitute, text)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(value, env) for value in node]
    return node


def load_compose(path: Path) -> dict[str, Any]:
    # SafeLoader resolves anchors and `<<` merge keys, exactly the YAML Compose reads.
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command_text(service: Mapping[str, Any]) -> str:
    command = service.get("command")
    if command is None:
        return ""
    return command if isinstance(command, str) else " ".join(str(part) for part in command)


def dependencies(service: Mapping[str, Any]) -> dict[str, str]:
    """depends_on as {service: condition}, whichever syntax it was written in."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _port_numbers(text: str) -> set[int]:
    text = text.split("/", 1)[0]
    if "-" in text:
        low, high = text.split("-", 1)
        return set(range(int(low), int(high) + 1))
    return {int(text)}


def container_ports(service: Mapping[str, Any]) -> set[int]:
    """Ports a service listens on as far as Compose knows: `ports` targets and `expose`."""
    ports: set[int] = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports |= _port_numbers(str(entry["target"]))
        else:
            ports |= _port_numbers(str(entry).rsplit(":", 1)[-1])
    for entry in service.get("expose") or []:
        ports |= _port_numbers(str(entry))
    return ports


def published_ports(service: Mapping[str, Any]) -> dict[int, int]:
    """{container port: host port} for the ports a service publishes on the host."""
    published: dict[int, int] = {}
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            if entry.get("published"):
                published[int(entry["target"])] = int(str(entry["published"]))
            continue
        parts = str(entry).split("/", 1)[0].rsplit(":", 2)
        if len(parts) >= 2 and "-" not in parts[-1]:
            published[int(parts[-1])] = int(parts[-2])
    return published


@dataclass(frozen=True)
class Mount:
    kind: str  # "bind" | "volume" | "tmpfs" | ...
    source: str
    target: str


def mounts(service: Mapping[str, Any]) -> list[Mount]:
    found = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            found.append(Mount(entry["type"], str(entry.get("source", "")), str(entry["target"])))
            continue
        parts = str(entry).split(":")
        if len(parts) == 1:  # an anonymous volume: only a container path
            found.append(Mount("volume", "", parts[0]))
            continue
        source, target = parts[0], parts[1]
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        found.append(Mount(kind, source, target))
    return found


def is_under(path: str, directory: str) -> bool:
    return PurePosixPath(path).is_relative_to(PurePosixPath(directory))


def airflow_pin(repo_root: Path) -> str | None:
    for line in (repo_root / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"apache-airflow==([^\s;#]+)", line.strip()):
            return match.group(1)
    return None


def created_databases(repo_root: Path, postgres: Mapping[str, Any]) -> set[str]:
    """Databases that the init scripts mounted into a postgres service create."""
    names: set[str] = set()
    for mount in mounts(postgres):
        if mount.kind != "bind" or not is_under(mount.target, INITDB_DIR):
            continue
        source = (repo_root / mount.source).resolve()
        files = sorted(source.iterdir()) if source.is_dir() else [source]
        for script in files:
            if script.suffix not in {".sql", ".sh"} or not script.is_file():
                continue
            text = script.read_text(encoding="utf-8")
            # Comments do not create databases (the SQL file shows a manual command in one).
            text = re.sub(r"--[^\n]*", "", text)
            text = re.sub(r"(?m)^\s*#[^\n]*", "", text)
            names |= set(re.findall(r'(?i)\bCREATE\s+DATABASE\s+"?([A-Za-z_][A-Za-z0-9_]*)', text))
    return names


@dataclass(frozen=True)
class DockerInstruction:
    keyword: str
    arguments: str


def dockerfile_instructions(path: Path) -> list[DockerInstruction]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        found.append(DockerInstruction(keyword.upper(), arguments.strip()))
    return found


# --------------------------------------------------------------------------- the checks


@dataclass(frozen=True)
class Compose:
    raw: dict[str, Any]  # as written (variables not interpolated)
    doc: dict[str, Any]  # interpolated with every variable at its default
    root: Path

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        return self.doc.get("services") or {}

    @property
    def common(self) -> dict[str, Any]:
        return self.doc.get(COMMON) or {}

    @property
    def common_env(self) -> dict[str, str]:
        return environment(self.common)

    def airflow_services(self) -> dict[str, dict[str, Any]]:
        """Services that extend the common anchor: they run the common image."""
        image = self.common.get("image")
        return {
            name: svc for name, svc in self.services.items() if image and svc.get("image") == image
        }

    def service_at(self, url_host: str | None) -> dict[str, Any] | None:
        return self.services.get(url_host or "")

    def default_services(self) -> dict[str, dict[str, Any]]:
        return {name: svc for name, svc in self.services.items() if not svc.get("profiles")}


Check = Callable[[Compose], Iterator[str]]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    CHECKS.append(function)
    return function


def problems_by_check(doc: dict[str, Any], repo_root: Path) -> dict[str, list[str]]:
    """The problems each check finds: "schema", then one entry per function in CHECKS."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    found = {
        "schema": [
            f"schema: {'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
            for error in jsonschema.Draft7Validator(schema).iter_errors(doc)
        ]
    }
    compose = Compose(raw=doc, doc=interpolate_tree(doc, {}), root=repo_root)
    for function in CHECKS:
        try:
            found[function.__name__] = list(function(compose))
        except Exception as exc:  # a malformed file must be reported, never crash the test
            found[function.__name__] = [
                f"{function.__name__}: could not check ({type(exc).__name__}: {exc})"
            ]
    return found


def validate_compose(doc: dict[str, Any], repo_root: Path) -> list[str]:
    """Every problem found in a loaded docker-compose.yaml, one sentence each."""
    return [
        problem for problems in problems_by_check(doc, repo_root).values() for problem in problems
    ]


@check
def required_services(c: Compose) -> Iterator[str]:
    for name, expected in AIRFLOW_SERVICES.items():
        if name not in c.services:
            yield f"service {name} is missing"
        elif expected and command_text(c.services[name]).strip() != expected:
            yield f"service {name} should run `{expected}`, runs `{command_text(c.services[name])}`"
        elif name not in c.airflow_services():
            yield f"service {name} does not extend {COMMON} (runs another image)"
    for name, image in (("postgres", "postgres"), ("redis", "redis")):
        if not str(c.services.get(name, {}).get("image", "")).startswith(image):
            yield f"service {name} should run the {image} image"


@check
def depends_on_existing_services(c: Compose) -> Iterator[str]:
    for name, service in c.services.items():
        for dep, condition in dependencies(service).items():
            if dep not in c.services:
                yield f"service {name} depends_on {dep}, which is not a service"
                continue
            target = c.services[dep]
            healthcheck = target.get("healthcheck") or {}
            if condition == "service_healthy" and (not healthcheck or healthcheck.get("disable")):
                yield f"service {name} waits for {dep} to be healthy, but {dep} has no healthcheck"


@check
def infrastructure_has_healthchecks(c: Compose) -> Iterator[str]:
    for name in ("postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-worker"):
        if name in c.services and not c.services[name].get("healthcheck"):
            yield f"service {name} has no healthcheck"


@check
def named_volumes_declared(c: Compose) -> Iterator[str]:
    declared = set((c.doc.get("volumes") or {}).keys())
    for name, service in c.services.items():
        for mount in mounts(service):
            if mount.kind == "volume" and mount.source and mount.source not in declared:
                yield f"service {name} mounts volume {mount.source}, not declared under volumes:"


@check
def bind_sources_exist(c: Compose) -> Iterator[str]:
    for name, service in c.services.items():
        for mount in mounts(service):
            if mount.kind != "bind":
                continue
            if not mount.source.startswith("."):
                yield f"service {name} bind-mounts {mount.source}: use a path relative to the repository"
            elif not (c.root / mount.source).exists():
                yield f"service {name} bind-mounts {mount.source}, which does not exist in the repository"


@check
def build_contexts_exist(c: Compose) -> Iterator[str]:
    for name, service in c.services.items():
        build = service.get("build")
        if build is None:
            continue
        context = build if isinstance(build, str) else build.get("context", ".")
        context_dir = c.root / context
        if not context_dir.is_dir():
            yield f"service {name} builds from {context}, which is not a directory in the repository"
            continue
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        if not (context_dir / dockerfile).is_file():
            yield f"service {name} builds with {dockerfile}, which does not exist in {context}"


@check
def same_executor_everywhere(c: Compose) -> Iterator[str]:
    executor = c.common_env.get("AIRFLOW__CORE__EXECUTOR")
    if executor != "CeleryExecutor":
        yield f"{COMMON} should set AIRFLOW__CORE__EXECUTOR to CeleryExecutor, sets {executor!r}"
    for name, service in c.airflow_services().items():
        mine = environment(service).get("AIRFLOW__CORE__EXECUTOR")
        if mine != executor:
            yield f"service {name} runs AIRFLOW__CORE__EXECUTOR={mine!r}, not {executor!r} like {COMMON}"
    if executor == "CeleryExecutor" and not any(
        command_text(svc).startswith("celery worker") for svc in c.default_services().values()
    ):
        yield "CeleryExecutor without any service running `celery worker`"


@check
def shared_settings_agree(c: Compose) -> Iterator[str]:
    for key in SHARED_SETTINGS:
        if key == "AIRFLOW__CORE__EXECUTOR":
            continue  # reported by same_executor_everywhere
        expected = c.common_env.get(key)
        if expected is None:
            yield f"{COMMON} does not set {key}"
            continue
        for name, service in c.airflow_services().items():
            if environment(service).get(key) != expected:
                yield f"service {name} sets {key} differently from {COMMON}"


@check
def execution_api_reaches_api_server(c: Compose) -> Iterator[str]:
    url = urlsplit(c.common_env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", ""))
    target = c.service_at(url.hostname)
    if target is None:
        yield f"AIRFLOW__CORE__EXECUTION_API_SERVER_URL names host {url.hostname!r}, not a service"
        return
    command = command_text(target)
    if not command.startswith("api-server"):
        yield f"AIRFLOW__CORE__EXECUTION_API_SERVER_URL points at {url.hostname}, which is not the api-server"
        return
    option = re.search(r"(?:--port|-p)[ =](\d+)", command)
    listening = int(option.group(1)) if option else API_SERVER_DEFAULT_PORT
    port = url.port or (443 if url.scheme == "https" else 80)
    if port != listening:
        yield f"AIRFLOW__CORE__EXECUTION_API_SERVER_URL uses port {port}; the api-server listens on {listening}"
    if listening not in container_ports(target):
        yield f"service {url.hostname} does not publish or expose its port {listening}"
    if url.path != "/execution/":
        yield f"AIRFLOW__CORE__EXECUTION_API_SERVER_URL should end in /execution/, has {url.path!r}"


@check
def celery_broker_is_redis(c: Compose) -> Iterator[str]:
    url = urlsplit(c.common_env.get("AIRFLOW__CELERY__BROKER_URL", ""))
    target = c.service_at(url.hostname)
    if (
        url.scheme != "redis"
        or target is None
        or not str(target.get("image", "")).startswith("redis")
    ):
        yield f"AIRFLOW__CELERY__BROKER_URL should point at the redis service, points at {url.hostname!r}"
        return
    port = url.port or REDIS_PORT
    if port != REDIS_PORT or (container_ports(target) and port not in container_ports(target)):
        yield f"AIRFLOW__CELERY__BROKER_URL uses port {port}; redis listens on {REDIS_PORT}"


def _postgres_target(c: Compose, url_text: str) -> tuple[Any, dict[str, Any]]:
    """The URL and the postgres service it reaches ({} when it reaches none)."""
    url = make_url(url_text.removeprefix("db+"))
    target = c.service_at(url.host)
    if target is None or not str(target.get("image", "")).startswith("postgres"):
        return url, {}
    return url, target


def _where(url: Any) -> str:
    return repr(url.host) if url.host else f"a {url.get_backend_name()} database without a host"


def _credentials_problems(key: str, url: Any, target: Mapping[str, Any]) -> Iterator[str]:
    env = environment(target)
    if (url.port or POSTGRES_PORT) != POSTGRES_PORT:
        yield f"{key} uses port {url.port}; postgres listens on {POSTGRES_PORT}"
    if url.username != env.get("POSTGRES_USER"):
        yield f"{key} logs in as {url.username!r}, postgres creates {env.get('POSTGRES_USER')!r}"
    if url.password != env.get("POSTGRES_PASSWORD"):
        yield f"{key} has another password than POSTGRES_PASSWORD of the postgres service"


@check
def metadata_db_is_postgres(c: Compose) -> Iterator[str]:
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
        url, target = _postgres_target(c, c.common_env.get(key, ""))
        if not target:
            yield f"{key} should point at the postgres service, points at {_where(url)}"
            continue
        yield from _credentials_problems(key, url, target)
        database = environment(target).get("POSTGRES_DB")
        if url.database != database:
            yield f"{key} uses database {url.database!r}, postgres creates {database!r}"


@check
def results_store_is_the_init_database(c: Compose) -> Iterator[str]:
    key = "PREFLIGHT_RESULTS_URL"
    url, target = _postgres_target(c, c.common_env.get(key, ""))
    if not target:
        yield f"{key} should point at the postgres service, points at {_where(url)}"
        return
    yield from _credentials_problems(key, url, target)
    created = created_databases(c.root, target)
    if url.database not in created:
        yield (
            f"{key} uses database {url.database!r}, which no init script in "
            f"{INITDB_DIR} creates (they create {sorted(created)})"
        )
    if url.database == environment(target).get("POSTGRES_DB"):
        yield f"{key} shares Airflow's metadata database; give Preflight its own"


@check
def dockerfile_installs_with_constraints(c: Compose) -> Iterator[str]:
    pin = airflow_pin(c.root)
    if pin is None:
        yield "constraints.txt pins no apache-airflow version"
    pyproject = tomllib.loads((c.root / "pyproject.toml").read_text(encoding="utf-8"))
    requires_python = SpecifierSet(pyproject["project"].get("requires-python", ""))
    readme = pyproject["project"].get("readme")
    seen: set[Path] = set()
    for service in c.services.values():
        build = service.get("build")
        if build is None:
            continue
        context = c.root / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = context / (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        if dockerfile in seen or not dockerfile.is_file():
            continue  # a missing Dockerfile is reported by build_contexts_exist
        seen.add(dockerfile)
        where = (
            dockerfile.relative_to(c.root).as_posix()
            if dockerfile.is_relative_to(c.root)
            else dockerfile.name
        )
        yield from _dockerfile_problems(dockerfile, where, context, pin, requires_python, readme)


def _dockerfile_problems(
    dockerfile: Path,
    where: str,
    context: Path,
    pin: str | None,
    requires_python: SpecifierSet,
    readme: Any,
) -> Iterator[str]:
    instructions = dockerfile_instructions(dockerfile)
    args = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            arg_name, _, default = instruction.arguments.partition("=")
            args[arg_name.strip()] = default.strip().strip('"')
    bases = [interpolate(i.arguments.split()[0], args) for i in instructions if i.keyword == "FROM"]
    airflow_bases = [b for b in bases if b.startswith("apache/airflow:")]
    if not airflow_bases:
        yield f"{where} does not build FROM an apache/airflow image"
    for base in airflow_bases:
        tag = base.split(":", 1)[1]
        match = re.fullmatch(r"(?P<airflow>[0-9][^-]*)(?:-python(?P<python>[0-9.]+))?", tag)
        if match is None:
            yield f"{where} builds FROM {base}, whose tag names no Airflow version"
            continue
        if match.group("airflow") != pin:
            yield f"{where} builds FROM Airflow {match.group('airflow')}, constraints.txt pins apache-airflow=={pin}"
        python = match.group("python")
        if python is None:
            yield f"{where} builds FROM {base}, which does not name its Python version"
        elif not requires_python.contains(python + ".0"):
            yield f"{where} builds on Python {python}; pyproject.toml requires-python is {requires_python}"
    copied: set[str] = set()
    for instruction in instructions:
        if instruction.keyword != "COPY":
            continue
        parts = [p for p in instruction.arguments.split() if not p.startswith("--")]
        if any(p.startswith("--from") for p in instruction.arguments.split()):
            continue
        for source in parts[:-1]:
            copied.add(source.rstrip("/"))
            if not (context / source).exists():
                yield f"{where} copies {source}, which does not exist in the build context"
    installs = [
        i
        for i in instructions
        if i.keyword == "RUN" and re.search(r"\bpip\s+install\b", i.arguments)
    ]
    if not installs:
        yield f"{where} never runs pip install"
    for install in installs:
        if not re.search(r"(?:-c|--constraint)[ =]constraints\.txt\b", install.arguments):
            yield f"{where} runs `pip install` without -c constraints.txt: {install.arguments}"
    if "constraints.txt" not in copied:
        yield f"{where} does not COPY constraints.txt into the image"
    if "pyproject.toml" not in copied:
        yield f"{where} does not COPY pyproject.toml into the image"
    if isinstance(readme, str) and readme not in copied:
        yield f"{where} does not COPY {readme}, which pyproject.toml names as readme"


@check
def marquez_is_optional(c: Compose) -> Iterator[str]:
    marquez = {
        name: svc
        for name, svc in c.services.items()
        if "marquez" in name or "marquez" in str(svc.get("image", ""))
    }
    for name, service in marquez.items():
        if MARQUEZ_PROFILE not in (service.get("profiles") or []):
            yield f"service {name} is part of Marquez but not under the `{MARQUEZ_PROFILE}` profile"
    images = [str(svc.get("image", "")).split(":")[0] for svc in marquez.values()]
    for image in ("marquezproject/marquez", "marquezproject/marquez-web", "postgres"):
        if image not in images:
            yield f"the `{MARQUEZ_PROFILE}` profile has no service running {image}"
    for name, service in c.default_services().items():
        for dep in dependencies(service):
            if c.services.get(dep, {}).get("profiles"):
                yield f"default service {name} depends on {dep}, which only starts with a profile"
    for name, service in marquez.items():
        for dep in dependencies(service):
            if dep in c.services and dep not in marquez:
                yield f"Marquez service {name} depends on {dep}, outside the Marquez services"


def _volume_mount_at(service: Mapping[str, Any], directory: str) -> Mount | None:
    for mount in mounts(service):
        if mount.kind == "volume" and mount.source and is_under(directory, mount.target):
            return mount
    return None


@check
def preflight_home_is_a_named_volume(c: Compose) -> Iterator[str]:
    home = c.common_env.get("PREFLIGHT_HOME", "")
    if not home.startswith("/"):
        yield f"PREFLIGHT_HOME should be an absolute path in the container, is {home!r}"
        return
    sources = set()
    for name, service in c.airflow_services().items():
        mount = _volume_mount_at(service, home)
        if mount is None:
            yield f"service {name} does not keep PREFLIGHT_HOME ({home}) on a named volume"
        else:
            sources.add(mount.source)
    if len(sources) > 1:
        yield f"Airflow services keep PREFLIGHT_HOME on different volumes: {sorted(sources)}"


def _transport(c: Compose, env: Mapping[str, str]) -> dict[str, Any]:
    raw = environment(c.raw.get(COMMON) or {}).get("AIRFLOW__OPENLINEAGE__TRANSPORT", "")
    return json.loads(interpolate(raw, env))


@check
def lineage_transport(c: Compose) -> Iterator[str]:
    home = c.common_env.get("PREFLIGHT_HOME", "")
    default = _transport(c, {})
    if default.get("type") != "file":
        yield f"the default OpenLineage transport should be `file`, is {default.get('type')!r}"
    elif not is_under(str(default.get("log_file_path", "")), home):
        yield f"the OpenLineage file transport writes outside PREFLIGHT_HOME: {default.get('log_file_path')}"
    config = c.root / "include" / "config" / "preflight.yaml"
    if config.is_file():
        settings = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("settings") or {}
        events_file = (settings.get("lineage") or {}).get("events_file")
        if events_file:
            expected = events_file.replace("${PREFLIGHT_HOME}", home)
            if default.get("log_file_path") != expected:
                yield (
                    f"the OpenLineage file transport writes {default.get('log_file_path')}, but "
                    f"include/config/preflight.yaml reads lineage from {expected}"
                )
    http = _transport(c, {"PREFLIGHT_LINEAGE_TRANSPORT": "http"})
    if http.get("type") != "http":
        yield "PREFLIGHT_LINEAGE_TRANSPORT=http does not switch the OpenLineage transport to http"
        return
    url = urlsplit(str(http.get("url", "")))
    target = c.service_at(url.hostname)
    if target is None or not str(target.get("image", "")).startswith("marquezproject/marquez:"):
        yield f"the OpenLineage http transport should reach the Marquez api, reaches {url.hostname!r}"
        return
    if MARQUEZ_PROFILE not in (target.get("profiles") or []):
        yield f"the OpenLineage http transport reaches {url.hostname}, not in the `{MARQUEZ_PROFILE}` profile"
    port = url.port or 80
    listening = int(environment(target).get("MARQUEZ_PORT", "5000"))
    if port != listening or port not in container_ports(target):
        yield f"the OpenLineage http transport uses port {port}; {url.hostname} listens on {listening}"


@check
def auth_is_shared(c: Compose) -> Iterator[str]:
    manager = c.common_env.get("AIRFLOW__CORE__AUTH_MANAGER")
    if manager not in AUTH_MANAGERS:
        yield f"AIRFLOW__CORE__AUTH_MANAGER is {manager!r}, not SimpleAuthManager or FabAuthManager"
    if not c.common_env.get("AIRFLOW__API_AUTH__JWT_SECRET"):
        yield "no AIRFLOW__API_AUTH__JWT_SECRET: each component would sign tokens with its own secret"
    if manager and manager.endswith("SimpleAuthManager"):
        passwords = c.common_env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", "")
        if not passwords:
            yield "SimpleAuthManager without AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
            return
        for name in ("airflow-init", "airflow-apiserver"):
            service = c.services.get(name, {})
            mount = _volume_mount_at(service, passwords)
            if mount is None:
                yield f"service {name} does not keep the SimpleAuthManager passwords file on a named volume"


@check
def secrets_come_from_variables(c: Compose) -> Iterator[str]:
    """No literal password: each is a ${VARIABLE:-local-dev-default} (or empty)."""
    variable = re.compile(r"\$\{[^}]+\}")
    written = {COMMON: c.raw.get(COMMON) or {}, **(c.raw.get("services") or {})}
    for name, service in written.items():
        for key, value in environment(service).items():
            if SECRET_KEY.search(key) and value and not variable.fullmatch(value):
                yield f"{name}: {key} is written literally; use ${{VARIABLE:-dev-default}}"
            if "://" in value and "@" in value:
                password = value.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
                if password and not variable.fullmatch(password):
                    yield f"{name}: {key} has a literal password in its URL; use ${{VARIABLE:-dev-default}}"


@check
def celery_options_exist(c: Compose) -> Iterator[str]:
    """`[celery] celery_config_options` is `module.ATTRIBUTE`; a Preflight module must be in include/."""
    value = c.common_env.get("AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS")
    if not value:
        return
    module, _, attribute = value.rpartition(".")
    if not module.startswith("preflight."):
        return  # another package's module: nothing in this repository to check it against
    source = c.root / "include" / Path(*module.split("."))
    file = source.with_suffix(".py") if source.with_suffix(".py").is_file() else source / "__init__.py"
    if not file.is_file():
        yield f"AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS names {module}, which is not a module in include/"
    elif not re.search(rf"^{re.escape(attribute)}\b[^=\n]*=", file.read_text(encoding="utf-8"), re.MULTILINE):
        yield f"AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS names {value}, but {module} defines no {attribute}"


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=None, help="the compose file (default: <root>/docker-compose.yaml)")
    parser.add_argument("--root", type=Path, default=REPO, help="the repository it belongs to (default: this checkout)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    path = args.file or root / COMPOSE_FILE
    shown = path.resolve().relative_to(root) if path.resolve().is_relative_to(root) else path
    try:
        doc = load_compose(path)
    except (OSError, yaml.YAMLError) as exc:
        print(f"{shown}: cannot be read: {exc}", file=sys.stderr)
        return 2
    if not isinstance(doc, dict):
        print(f"{shown}: not a mapping at the top level", file=sys.stderr)
        return 2
    problems = validate_compose(doc, root)
    if problems:
        print(f"{shown}: {len(problems)} problem{'s' if len(problems) > 1 else ''}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{shown}: valid (Compose Specification schema and {len(CHECKS)} cross-reference checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Great Expectations suites: run a dataset's GX 1.x suite and turn each result into a Check.

This module is Preflight's one seam to Great Expectations for validation. A suite is a
JSON file in the format ``ExpectationSuite.to_json_dict()`` writes, one per dataset
(``<expectations_dir>/<dataset>.json``). Running it never raises for a problem with the
suite or the data: a file that does not parse, an unknown expectation type, invalid
kwargs or a column the table lacks each become a failing Check that says what to fix,
and every expectation that *can* run still runs.

GX is imported lazily (importing it takes seconds; a DAG file must parse in well under
one) and one ephemeral Data Context serves the whole process, with one GX data source
per engine URL. GX builds its own SQLAlchemy engine from the URL, so credentials pass
through GX; every message that leaves this module is scrubbed of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, quote_plus

import sqlalchemy as sa

from preflight import settings  # also turns GX analytics off (OFFLINE_DEFAULTS)
from preflight.errors import ConfigError, did_you_mean
from preflight.measure.registry import ProbeContext, probe
from preflight.model.config import Config
from preflight.model.evidence import RuleResult
from preflight.model.results import Check, Dimension, Severity

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import SQLDatasource
    from great_expectations.expectations import Expectation

__all__ = [
    "SUITE_CHECK_ID",
    "ParsedExpectation",
    "check_suites",
    "ParsedSuite",
    "SuiteRun",
    "load_suite",
    "parse_suite",
    "run_parsed_suite",
    "run_suite",
    "run_suite_detailed",
    "validate_expectations",
]

logger = logging.getLogger(__name__)

SUITE_CHECK_ID = "quality.gx.suite"
# kwargs that name the domain or steer GX's output; everything else is "what was expected".
_DOMAIN_KWARGS = ("column", "column_A", "column_B", "column_list")
_NOT_EXPECTED = {*_DOMAIN_KWARGS, "batch_id", "result_format", "catch_exceptions"}
_SEVERITY_ALIASES = {"critical": Severity.BLOCKER, "error": Severity.BLOCKER}
# Counts only: GX's partial lists of unexpected values would copy raw data (possibly
# personal data) into reports, and fetching them costs an extra query per expectation.
_RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
_POSITION = "preflight_position"


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedExpectation:
    index: int  # position in the suite file, 0-based
    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    severity: Severity
    check_id: str
    expectation: Expectation

    @property
    def columns(self) -> tuple[str, ...]:
        return _columns_of(self.kwargs)

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") if isinstance(self.kwargs.get("column"), str) else None


@dataclass(frozen=True)
class ParsedSuite:
    path: Path
    name: str
    expectations: tuple[ParsedExpectation, ...] = ()
    problems: tuple[str, ...] = ()  # one line per problem; empty when all is well
    skipped: int = 0  # entries left out because they cannot be used
    # (where, the severity it declares, problem) of each entry left out; an entry whose
    # severity cannot be read counts as a blocker: what it guarded is unknown.
    unusable: tuple[tuple[str, Severity, str], ...] = ()


def _columns_of(kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    columns: list[str] = []
    for key in _DOMAIN_KWARGS:
        value = kwargs.get(key)
        if isinstance(value, str):
            columns.append(value)
        elif isinstance(value, list | tuple):
            columns.extend(str(v) for v in value)
    return tuple(columns)


def _domain_label(kwargs: Mapping[str, Any]) -> str:
    return "+".join(_columns_of(kwargs)) or "table"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _describe_error(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: one line per field, not the whole model dump
        try:
            by_field: dict[str, str] = {}
            for err in errors():
                loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__") or "kwargs"
                # A union-typed field reports one error per accepted type; the first says enough.
                by_field.setdefault(loc, str(err.get("msg")))
            return _one_line("; ".join(f"{loc}: {msg}" for loc, msg in by_field.items()))
        except Exception:  # an unexpected shape: fall back to the plain text below
            pass
    return _one_line(str(exc) or type(exc).__name__)


def load_suite(path: Path) -> ParsedSuite:
    """Parse a GX 1.x suite file entry by entry; unusable entries become ``problems``.

    Raises :class:`ValueError` only when the file as a whole is unusable (not JSON, not
    an object with an ``expectations`` list).
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError("does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot be read ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    return parse_suite(raw, path)


def parse_suite(raw: Any, path: Path) -> ParsedSuite:
    """:func:`load_suite` for a suite already in memory (``path`` names it in messages)."""
    from great_expectations.exceptions import GreatExpectationsError
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    if not isinstance(raw, dict):
        raise ValueError("must hold a JSON object (a GX suite), not a list or a value")
    entries = raw.get("expectations")
    if not isinstance(entries, list):
        raise ValueError("has no 'expectations' list; is it a GX 1.x suite?")

    raw_name = raw.get("name")
    name = raw_name if isinstance(raw_name, str) and raw_name else path.stem
    parsed: list[ParsedExpectation] = []
    problems: list[str] = []
    unusable: list[tuple[str, Severity, str]] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        where = f"expectation #{index + 1}"
        # The severity an unusable entry declares, when it can be read (else: a blocker).
        raw_meta = entry.get("meta") if isinstance(entry, dict) else None
        declared = _severity(raw_meta.get("severity"))[0] if isinstance(raw_meta, dict) else Severity.BLOCKER
        if not isinstance(entry, dict):
            problems.append(f"{where} is not a JSON object")
            unusable.append((where, Severity.BLOCKER, problems[-1]))
            continue
        # GX 0.x wrote `expectation_type`; it means the same thing, so accept it.
        exp_type = entry.get("type", entry.get("expectation_type"))
        kwargs = entry.get("kwargs", {})
        meta = entry.get("meta") or {}
        if not isinstance(exp_type, str) or not exp_type:
            problems.append(f"{where} has no 'type'")
            unusable.append((where, declared, problems[-1]))
            continue
        where = f"{where} ({exp_type})"
        if not isinstance(kwargs, dict):
            problems.append(f"{where}: 'kwargs' must be an object")
            unusable.append((where, declared, problems[-1]))
            continue
        if not isinstance(meta, dict):
            problems.append(f"{where}: 'meta' must be an object")
            unusable.append((where, Severity.BLOCKER, problems[-1]))
            continue
        severity, severity_problem = _severity(meta.get("severity"))
        if severity_problem:
            problems.append(f"{where}: {severity_problem}")
        try:
            config = ExpectationConfiguration(
                type=exp_type,
                kwargs=dict(kwargs),
                meta=dict(meta),
                notes=entry.get("notes"),
                description=entry.get("description"),
            )
            expectation = config.to_domain_obj()
        except GreatExpectationsError as exc:
            message = getattr(exc, "message", None) or str(exc)
            if "not found" in message:
                message = "unknown expectation type"
            problems.append(f"{where}: {_one_line(message)}")
            unusable.append((where, severity, problems[-1]))
            continue
        except (ValueError, TypeError) as exc:  # pydantic validation of kwargs
            problems.append(f"{where}: invalid kwargs: {_describe_error(exc)}")
            unusable.append((where, severity, problems[-1]))
            continue

        base_id = f"quality.gx.{exp_type}.{_domain_label(kwargs)}"
        seen[base_id] = seen.get(base_id, 0) + 1
        check_id = base_id if seen[base_id] == 1 else f"{base_id}.{seen[base_id]}"
        parsed.append(
            ParsedExpectation(
                index, exp_type, dict(kwargs), dict(meta), severity, check_id, expectation
            )
        )
    return ParsedSuite(
        path=path,
        name=name,
        expectations=tuple(parsed),
        problems=tuple(problems),
        skipped=len(entries) - len(parsed),
        unusable=tuple(unusable),
    )


def _severity(value: Any) -> tuple[Severity, str | None]:
    if value is None:
        return Severity.WARNING, None
    text = str(value).strip().lower()
    if text in _SEVERITY_ALIASES:
        return _SEVERITY_ALIASES[text], None
    try:
        return Severity(text), None
    except ValueError:
        allowed = ", ".join(s.value for s in Severity)
        return Severity.WARNING, f"meta.severity {value!r} is not one of {allowed}; using warning"


def check_suites(config: Config) -> tuple[list[ConfigError], list[str]]:
    """(problems, notes) of the suites of the configuration's datasets: one error for each
    file that does not parse and each entry GX cannot use (unknown types, invalid kwargs,
    unreadable severities), naming the suite file and the entry (``expectations.<n>``);
    a note for a suite that belongs to no catalog dataset (a misspelt file name, or
    another configuration's suite in a shared folder)."""
    folder = settings.expectations_dir(config.directory, config.settings.expectations_dir)
    problems: list[ConfigError] = []
    notes: list[str] = []
    if not folder.is_dir():
        return problems, notes
    for path in sorted(folder.glob("*.json")):
        if path.stem not in config.datasets:
            notes.append(f"{path}: not used, no catalog dataset is named {path.stem!r}"
                         f"{did_you_mean(path.stem, config.datasets)}")
            continue
        try:
            suite = load_suite(path)
        except ValueError as exc:
            problems.append(ConfigError(f"the suite {exc}", file=str(path)))
            continue
        for problem in suite.problems:
            number = problem.split("#", 1)[1].split(" ", 1)[0].rstrip(":") if "#" in problem else ""
            field = f"expectations.{int(number) - 1}" if number.isdigit() else None
            problems.append(ConfigError(problem, file=str(path), field=field))
    return problems, notes


# ---------------------------------------------------------------------------
# The GX context: one per process, created on first use
# ---------------------------------------------------------------------------

_LOCK = threading.RLock()  # GX's context and data sources are not thread-safe
_context: AbstractDataContext | None = None
_batch_definitions: dict[tuple[str, str | None, str], BatchDefinition] = {}


def _gx_context() -> AbstractDataContext:
    global _context
    if _context is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        )
        _context = gx.get_context(mode="ephemeral", project_config=config)
    return _context


def _datasource_name(url: str) -> str:
    # Derived from the full URL so two URLs never share a source, but never showing it.
    return "preflight_" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _batch_definition(engine: sa.Engine, table: str, schema: str | None) -> BatchDefinition:
    url = engine.url.render_as_string(hide_password=False)
    key = (url, schema, table)
    cached = _batch_definitions.get(key)
    if cached is not None:
        return cached
    context = _gx_context()
    name = _datasource_name(url)
    try:
        # GX types the lookup as any Datasource; every one under this name was added below,
        # and all three kinds are SQLDatasources.
        datasource = cast("SQLDatasource", context.data_sources.get(name))
    except KeyError:
        # Read-only credentials are common for audits: never ask GX for temp tables.
        backend = engine.dialect.name
        if backend == "sqlite":
            datasource = context.data_sources.add_sqlite(
                name, connection_string=url, create_temp_table=False
            )
        elif backend == "postgresql":
            datasource = context.data_sources.add_postgres(
                name, connection_string=url, create_temp_table=False
            )
        else:
            datasource = context.data_sources.add_sql(
                name, connection_string=url, create_temp_table=False
            )
    asset_name = f"{schema}.{table}" if schema else table
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_table_asset(asset_name, table_name=table, schema_name=schema)
    try:
        definition = asset.get_batch_definition("whole_table")
    except KeyError:
        definition = asset.add_batch_definition_whole_table("whole_table")
    _batch_definitions[key] = definition
    return definition


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


@dataclass
class SuiteRun:
    """What one run of a suite produced: the Checks and GX's own counts."""

    suite: str  # file name
    checks: list[Check] = field(default_factory=list)
    evaluated: int = 0  # expectations GX evaluated
    successful: int = 0
    not_evaluated: int = 0  # skipped for a missing column, or unusable
    # (rule id, declared severity, column, why) of every declared rule that was not
    # evaluated: each becomes evidence "not measured" at its own severity.
    unevaluated: list[tuple[str, Severity, str | None, str]] = field(default_factory=list)

    def not_run(self, exps: Sequence[ParsedExpectation], reason: str) -> None:
        self.not_evaluated += len(exps)
        self.unevaluated.extend((e.check_id, e.severity, e.column, reason) for e in exps)


def run_suite(
    engine: sa.Engine,
    table: str,
    suite_path: Path,
    *,
    schema: str | None = None,
    dataset: str,
) -> list[Check]:
    """Run the GX suite at ``suite_path`` against ``table``; one Check per expectation."""
    return run_suite_detailed(engine, table, suite_path, schema=schema, dataset=dataset).checks


def run_suite_detailed(
    engine: sa.Engine,
    table: str,
    suite_path: Path,
    *,
    schema: str | None = None,
    dataset: str,
) -> SuiteRun:
    """:func:`run_suite`, also returning how many expectations GX evaluated and passed."""
    suite_path = Path(suite_path)
    try:
        suite = load_suite(suite_path)
    except ValueError as exc:
        run = SuiteRun(suite=suite_path.name)
        run.checks.append(_suite_check(dataset, suite_path, [str(exc)], skipped=None))
        # What the file declared is unknown, so is how much it matters: a blocker.
        run.unevaluated.append((SUITE_CHECK_ID, Severity.BLOCKER, None, f"suite {suite_path.name} {exc}"))
        return run
    return run_parsed_suite(engine, table, suite, schema=schema, dataset=dataset)


def run_parsed_suite(
    engine: sa.Engine,
    table: str,
    suite: ParsedSuite,
    *,
    schema: str | None = None,
    dataset: str,
) -> SuiteRun:
    """:func:`run_suite_detailed` for a suite already parsed (from a file or in memory)."""
    suite_path = suite.path
    run = SuiteRun(suite=suite_path.name)
    scrub = _scrubber(engine.url)
    if suite.problems:
        run.not_evaluated += suite.skipped
        run.checks.append(
            _suite_check(dataset, suite_path, list(suite.problems), skipped=suite.skipped)
        )
        run.unevaluated.extend(
            (f"{SUITE_CHECK_ID}.{where.split(' ')[1].lstrip('#')}", severity, None, f"{suite_path.name}: {problem}")
            for where, severity, problem in suite.unusable
        )

    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns(table, schema=schema)}
    except sa.exc.NoSuchTableError:
        where = f"{schema}.{table}" if schema else table
        run.checks.append(
            _run_failed_check(
                dataset, suite_path, f"table {where} does not exist", len(suite.expectations)
            )
        )
        run.not_run(suite.expectations, f"table {where} does not exist")
        return run
    except sa.exc.SQLAlchemyError as exc:
        reason = scrub(_describe_error(exc))
        run.checks.append(_run_failed_check(dataset, suite_path, reason, len(suite.expectations)))
        run.not_run(suite.expectations, reason)
        return run

    runnable: list[ParsedExpectation] = []
    by_index: dict[int, Check] = {}
    for exp in suite.expectations:
        missing = [c for c in exp.columns if c not in columns]
        if missing:
            by_index[exp.index] = _missing_column_check(
                dataset, table, suite_path, exp, missing, columns
            )
            run.not_evaluated += 1
        else:
            runnable.append(exp)

    if runnable:
        try:
            ordered = validate_expectations(
                engine,
                table,
                [e.expectation for e in runnable],
                schema=schema,
                suite_name=suite.name,
            )
        except Exception as exc:  # GX's own failure, not the program's: report it, scrubbed
            reason = scrub(_describe_error(exc))  # no traceback: it may hold the URL
            logger.debug("GX validation of %s failed: %s", suite_path.name, reason)
            run.checks.append(_run_failed_check(dataset, suite_path, reason, len(runnable)))
            run.not_run(runnable, reason)
        else:
            for exp, result in zip(runnable, ordered, strict=True):
                if result is None:  # GX returned nothing for it: say so rather than guess
                    result = {
                        "success": False,
                        "exception_info": {
                            "raised_exception": True,
                            "exception_message": "GX returned no result for this expectation",
                        },
                    }
                check = _result_check(dataset, table, suite_path, exp, result, scrub)
                by_index[exp.index] = check
                if check.measured:
                    run.evaluated += 1
                    run.successful += int(check.passed)
                else:
                    run.not_evaluated += 1
                    run.unevaluated.append((exp.check_id, exp.severity, exp.column, str(check.details["error"])))

    run.checks.extend(by_index[i] for i in sorted(by_index))
    return run


def validate_expectations(
    engine: sa.Engine,
    table: str,
    expectations: Sequence[Expectation],
    *,
    schema: str | None = None,
    suite_name: str = "preflight",
) -> list[dict[str, Any] | None]:
    """Validate GX expectations against the whole table; JSON results in input order.

    A position holds None when GX returned no result for that expectation. Raises what
    GX raises (unreachable source, missing table): callers turn that into a Check.
    """
    import great_expectations as gx

    with _LOCK:
        definition = _batch_definition(engine, table, schema)
        suite = gx.ExpectationSuite(name=suite_name)
        # A suite is set-like: GX drops an expectation equal to one already added (meta
        # aside), so a repeated expectation is validated once and shares its twin's result.
        first: dict[str, int] = {}
        twin_of: list[int] = []
        for position, expectation in enumerate(expectations):
            key = expectation.expectation_type + json.dumps(
                expectation.dict(exclude={"id", "rendered_content", "notes", "meta"}),
                sort_keys=True,
                default=str,
            )
            twin_of.append(first.setdefault(key, position))
            if twin_of[-1] != position:
                continue
            copy = expectation.copy(deep=True)
            # GX may reorder results; this tag maps each result back to its expectation.
            copy.meta = {**(copy.meta or {}), _POSITION: position}
            suite.add_expectation(copy)
        batch = definition.get_batch()
        outcome = batch.validate(suite, result_format=_RESULT_FORMAT)
    by_position: dict[int, dict[str, Any]] = {}
    for result in outcome.results:
        as_json = result.to_json_dict()
        exp_config = as_json.get("expectation_config")
        meta = exp_config.get("meta") if isinstance(exp_config, dict) else None
        tag = meta.get(_POSITION) if isinstance(meta, dict) else None
        if isinstance(tag, int):
            by_position[tag] = as_json
    return [by_position.get(twin) for twin in twin_of]


# ---------------------------------------------------------------------------
# Results → Checks
# ---------------------------------------------------------------------------


def _words(exp_type: str) -> str:
    return exp_type.removeprefix("expect_").replace("_", " ")


def _as_count(value: Any) -> Any:
    # Some drivers hand counts back as Decimal/float (MySQL's SUM): a count is an int.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _expected(kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    expected = {k: v for k, v in kwargs.items() if k not in _NOT_EXPECTED and v is not None}
    return expected or None


def _render(value: Any) -> str:
    text = (
        json.dumps(value, default=str, ensure_ascii=False)
        if not isinstance(value, str)
        else repr(value)
    )
    return _one_line(text, 160)


def _kwargs_text(expected: Mapping[str, Any] | None) -> str:
    if not expected:
        return ""
    return " (" + ", ".join(f"{k}={_render(v)}" for k, v in expected.items()) + ")"


def _where(dataset: str, exp: ParsedExpectation) -> str:
    return f"{dataset}.{'+'.join(exp.columns)}" if exp.columns else dataset


def _result_check(
    dataset: str,
    table: str,
    suite_path: Path,
    exp: ParsedExpectation,
    result: Mapping[str, Any],
    scrub: Callable[[str], str],
) -> Check:
    body = result.get("result") or {}
    info = result.get("exception_info") or {}
    passed = bool(result.get("success"))
    unexpected_count = _as_count(body.get("unexpected_count"))
    unexpected_percent = body.get("unexpected_percent")
    element_count = _as_count(body.get("element_count"))
    observed = body["observed_value"] if "observed_value" in body else unexpected_percent
    expected = _expected(exp.kwargs)
    details: dict[str, Any] = {
        "expectation_type": exp.type,
        "column": exp.column if exp.column else (list(exp.columns) or None),
        "unexpected_count": unexpected_count,
        "unexpected_percent": unexpected_percent,
        "suite": suite_path.name,
    }
    if element_count is not None:
        details["element_count"] = element_count
    head = f"{_where(dataset, exp)}: expected {_words(exp.type)}{_kwargs_text(expected)}"

    if info.get("raised_exception"):
        error = scrub(_one_line(str(info.get("exception_message") or "unknown error")))
        details["error"] = error
        return Check(
            id=exp.check_id,
            dataset=dataset,
            dimension=Dimension.QUALITY,
            severity=exp.severity,
            passed=False,
            measured=False,
            message=f"{head}; GX could not evaluate it: {error}",
            observed=None,
            expected=expected,
            remediation=(
                f"check that this expectation suits the column's type and the database, "
                f"then fix or remove it in {suite_path.name}"
            ),
            column=exp.column,
            details=details,
        )

    if unexpected_count is not None and "observed_value" not in body:
        of = f" of {element_count:,}" if isinstance(element_count, int) else ""
        pct = f" ({unexpected_percent:.2f}%)" if isinstance(unexpected_percent, int | float) else ""
        seen = f"{unexpected_count:,}{of} values{pct} did not meet it"
    else:
        seen = f"observed {_render(observed)}"
    outcome = "holds" if passed else "failed"
    return Check(
        id=exp.check_id,
        dataset=dataset,
        dimension=Dimension.QUALITY,
        severity=exp.severity,
        passed=passed,
        message=f"{head}; {outcome}: {seen}",
        observed=observed,
        expected=expected,
        remediation=None
        if passed
        else (
            f"fix the offending rows of {table} at their source; if the data is right and the "
            f"expectation is out of date, change it in {suite_path.name} after review"
        ),
        column=exp.column,
        details=details,
    )


def _missing_column_check(
    dataset: str,
    table: str,
    suite_path: Path,
    exp: ParsedExpectation,
    missing: list[str],
    columns: set[str],
) -> Check:
    names = ", ".join(repr(c) for c in missing)
    plural = "columns" if len(missing) > 1 else "column"
    return Check(
        id=exp.check_id,
        dataset=dataset,
        dimension=Dimension.QUALITY,
        severity=exp.severity,
        passed=False,
        message=(
            f"{suite_path.name} expects {plural} {names} on {table} ({_words(exp.type)}), "
            f"but the table has no such {plural}; the expectation was not evaluated"
        ),
        observed="column missing",
        expected=missing[0] if len(missing) == 1 else missing,
        remediation=(
            f"rename or remove the expectation in {suite_path.name}, or restore {names} in {table} "
            f"(its columns: {', '.join(sorted(columns))})"
        ),
        column=missing[0],
        details={
            "expectation_type": exp.type,
            "column": exp.column if exp.column else list(exp.columns),
            "unexpected_count": None,
            "unexpected_percent": None,
            "suite": suite_path.name,
            "missing_columns": missing,
        },
    )


def _suite_check(dataset: str, path: Path, problems: list[str], *, skipped: int | None) -> Check:
    """``skipped`` None: the whole file is unusable; else how many entries were left out."""
    if skipped is None:
        what = "could not be used at all"
    elif skipped:
        what = f"has {skipped} unusable expectation(s), left out"
    else:
        what = "has problems (its expectations were kept)"
    return Check(
        id=SUITE_CHECK_ID,
        dataset=dataset,
        dimension=Dimension.QUALITY,
        severity=Severity.WARNING,
        passed=False,
        measured=False,
        message=f"GX suite {path.name} for {dataset} {what}: {'; '.join(problems)}",
        observed=problems,
        expected="a GX 1.x suite (JSON written by ExpectationSuite.to_json_dict())",
        remediation=(
            f"fix {path.name} (expectation types are snake_case names of GX 1.x expectations, "
            f"kwargs as in the GX gallery), or regenerate it with `preflight suggest {dataset} --force`"
        ),
        details={"suite": path.name, "problems": problems},
    )


def _run_failed_check(dataset: str, path: Path, reason: str, count: int) -> Check:
    return Check(
        id=SUITE_CHECK_ID,
        dataset=dataset,
        dimension=Dimension.QUALITY,
        severity=Severity.WARNING,
        passed=False,
        measured=False,
        message=f"GX suite {path.name} for {dataset} could not run ({count} expectation(s) not evaluated): {reason}",
        observed=reason,
        expected="the suite runs against the table",
        remediation="check that the table exists and the source is reachable, then re-run the audit",
        details={"suite": path.name, "not_evaluated": count},
    )


def _scrubber(url: sa.URL) -> Callable[[str], str]:
    """A function removing the URL's password (raw or URL-quoted) from any text."""
    secrets: list[str] = []
    if url.password:
        password = str(url.password)
        secrets = sorted(
            {password, quote_plus(password), quote(password, safe="")}, key=len, reverse=True
        )
    full = url.render_as_string(hide_password=False)
    safe = url.render_as_string(hide_password=True)
    userinfo = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://[^:/@\s]*):[^@\s]*@")

    def scrub(text: str) -> str:
        text = text.replace(full, safe)
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return userinfo.sub(r"\g<scheme>:***@", text)

    return scrub


# ---------------------------------------------------------------------------
# The probe
# ---------------------------------------------------------------------------


@probe("gx_suite", Dimension.QUALITY, order=30, produces=[RuleResult])
def gx_suite(ctx: ProbeContext) -> list[Check]:
    """Run ``<expectations_dir>/<dataset>.json`` when it exists; no suite, no checks.

    Each expectation is a declared rule: evaluated ones are recorded with their outcome,
    the rest *not measured* at the severity they declare (``meta.severity``)."""
    folder = settings.expectations_dir(ctx.config.directory, ctx.config.settings.expectations_dir)
    path = folder / f"{ctx.name}.json"
    if not path.is_file():
        return []
    run = run_suite_detailed(
        ctx.engine, ctx.dataset.table, path, schema=ctx.dataset.schema_name, dataset=ctx.name
    )
    ctx.facts["gx"] = {
        "suite": path.name,
        "evaluated": run.evaluated,
        "successful": run.successful,
        "not_evaluated": run.not_evaluated,
    }
    for check in run.checks:
        if check.measured and check.id != SUITE_CHECK_ID:
            ctx.record_rule(check, origin="suite")
    for rule, severity, column, reason in run.unevaluated:
        ctx.record(RuleResult(dataset=ctx.name, rule=rule, origin="suite", severity=severity.value,
                              column=column, reason=f"{rule} was not evaluated: {reason}"))
    return run.checks


PROBES = (gx_suite,)

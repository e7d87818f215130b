"""The ``preflight`` command line.

Exit codes (one mapping, :func:`exit_code_for`): 0 ready / ok, 1 blocked, 2 error
(a usage error, bad configuration, an unreachable configuration, a bug); 130 when
interrupted (Ctrl-C).

Usage errors (no arguments, an unknown option or command, a missing argument) are
Typer's own: a usage line, a hint and the problem, exit 2, never a traceback. Typer
bundles its own copy of click, so its exceptions are handled by Typer's standalone mode
rather than caught here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from preflight import settings
from preflight.errors import ConfigError, PreflightError
from preflight.run.readable import BAND_MEANING, SCORE_MEANING, band_label, first_blocker

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Piped output (CI logs, `make demo | tee`) gets a wide table instead of rich's 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

EXIT_OK, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config directory (default: $PREFLIGHT_CONFIG or include/config)."),
]


def exit_code_for(verdicts: list[str]) -> int:
    return EXIT_BLOCKED if "blocked" in verdicts else EXIT_OK


def preflight_version() -> str:
    try:
        return package_version("preflight")
    except PackageNotFoundError:  # running from a checkout that was never installed
        from preflight import __version__

        return __version__


def _show_version(value: bool) -> None:
    if value:
        out.print(f"preflight {preflight_version()}", highlight=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """Preflight: is the data behind a GenAI use case ready to launch?"""


def _config(path: Path | None):  # noqa: ANN202 - keeps import cost off `--help`
    from preflight.config import load_config

    return load_config(path)


def _cli_name() -> str:
    """How the user called us, for "run this next" hints (``preflight`` or ``.venv/bin/preflight``)."""
    called = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("preflight")
    if called.name != "preflight" or str(called.parent) in ("", "."):
        return "preflight"
    try:
        return os.path.relpath(called)
    except ValueError:
        return str(called)


def _did_you_mean(name: str, known: Sequence[str] | dict[str, Any]) -> str:
    """`` (did you mean 'readers'?)`` for a close name, else the list of known names."""
    import difflib

    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(names) or 'none'})"


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


_STYLE = {"ready": "green", "at_risk": "yellow", "blocked": "bold red"}


def print_verdicts(run) -> None:  # noqa: ANN001
    table = Table(title=f"Preflight verdicts · run {run.run_id}", title_justify="left")
    table.add_column("Use case")
    table.add_column("Verdict")
    table.add_column("Score", justify="right")
    table.add_column("Band")
    table.add_column("First blocker (or risk)", overflow="fold")
    from preflight.model.results import worst_first

    for verdict in sorted(run.use_cases, key=worst_first):
        blocker = first_blocker(verdict)
        first = blocker.message if blocker else (verdict.fixes[0]["message"] if verdict.fixes else "—")
        value = verdict.verdict.value
        table.add_row(
            verdict.use_case,
            f"[{_STYLE[value]}]{value.replace('_', ' ')}[/]",
            str(verdict.score),
            band_label(verdict.readiness_level),
            first,
        )
    out.print(table)
    out.print(f"[dim]Score: {SCORE_MEANING}\nBand: {BAND_MEANING}[/]", highlight=False)


@app.command()
def validate(
    config: ConfigOption = None,
    offline: Annotated[bool, typer.Option("--offline", help="Do not connect to the sources to check column names.")] = False,
) -> None:
    """Validate the configuration: YAML syntax, fields, types, ranges and references, the
    Great Expectations suites, each source's driver, and (unless --offline) every column
    name against its table. Lists every problem and exits 2 when there is one."""
    from preflight.engines import check_sources
    from preflight.measure.checks.gx_suite import check_suites

    cfg = _config(config)
    problems, notes = check_suites(cfg)
    # A URL whose driver is missing (a plain mysql://) fails here, with the URL to write.
    problems = [*check_sources(cfg), *problems]
    if not offline:
        from preflight.measure.catalog import check_columns

        missing, unchecked = check_columns(cfg)
        problems, notes = [*problems, *missing], [*notes, *unchecked]
    for note in notes:
        err.print(f"[yellow]note[/] {note}", highlight=False, soft_wrap=True)
    if problems:
        err.print(f"[red]error[/] {len(problems)} problem(s) in the configuration:", soft_wrap=True)
        for problem in problems:
            err.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_ERROR)
    out.print(
        f"[green]ok[/] {cfg.directory}: {len(cfg.sources)} sources, {len(cfg.datasets)} datasets, "
        f"{len(cfg.use_cases)} use cases"
    )


@app.command()
def audit(
    config: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", "-d", help="Re-audit only this dataset (repeatable) and re-judge the use cases that read it."),
    ] = None,
    use_case: Annotated[
        str | None, typer.Option("--use-case", "-u", help="Re-audit only this use case's datasets and re-judge it.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", min=1,
            help="Datasets audited at once, each in a worker process (default: settings.audit_workers, "
            "else one per usable core); 1 audits them one after another in this process.",
        ),
    ] = None,
) -> None:
    """Audit every dataset and evaluate every use case, without Airflow (or, targeted, some
    datasets and the use cases that read them; the rest carry over their newest audit).
    Exit 1 if any judged use case is blocked."""
    from preflight.run.pipeline import reports_dir, resolve_scope, run_audit

    cfg = _config(config)
    scope = resolve_scope(cfg, datasets=dataset or (), use_case=use_case)
    with Progress(
        TextColumn("[bold]auditing[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    ) as progress:
        bar = progress.add_task("", total=None)

        queue: list[str] = []

        def started(datasets: list[str]) -> None:
            queue.extend(datasets)
            progress.update(bar, total=len(datasets), description=datasets[0] if datasets else "")

        def done(name: str, status) -> None:  # noqa: ANN001
            progress.advance(bar)
            queue.remove(name)
            # The dataset being audited now, and how the last one went.
            upcoming = f"{queue[0]} · " if queue else ""
            progress.update(bar, description=f"{upcoming}[dim]{name}: {status.value}[/]")

        def evaluating() -> None:
            progress.update(bar, description="judging use cases, writing reports")

        run = run_audit(
            cfg, on_start=started, on_dataset=done, on_evaluate=evaluating, scope=scope, workers=workers
        )
    print_verdicts(run)
    out.print(f"Report: {reports_dir() / 'latest' / 'report.html'}")
    raise typer.Exit(exit_code_for([v.verdict.value for v in run.use_cases]))


def _duration(value: str | None) -> timedelta | None:
    from preflight.model.config import parse_duration

    if value is None:
        return None
    try:
        age = parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc} (got {value!r})", param_hint="--max-age") from None
    if age <= timedelta(0):
        raise typer.BadParameter("must be longer than zero", param_hint="--max-age")
    return age


@app.command()
def gate(
    use_case: Annotated[str, typer.Argument(help="Use case name from the configuration.", metavar="USE_CASE")],
    config: ConfigOption = None,
    max_age: Annotated[
        str | None,
        typer.Option("--max-age", help="Oldest audit the gate accepts, e.g. 90s, 12h, 7d (default: settings.gate_max_age)."),
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="Run to read (default: the newest finished audit).")] = None,
    block_at_risk: Annotated[bool, typer.Option("--block-at-risk", help="Keep the gate closed for at-risk use cases too.")] = False,
    ignore_approvals: Annotated[
        bool, typer.Option("--ignore-approvals", help="With --block-at-risk: an approval of the at-risk verdict does not open the gate either.")
    ] = False,
) -> None:
    """Exit 0 when USE_CASE may launch, 1 when its gate is closed (blocked, stale audit,
    configuration changed since the audit, incomplete or no audit), 2 on an error.
    A valid launch approval of an at-risk verdict opens a --block-at-risk gate, and says so."""
    from datetime import UTC, datetime

    from preflight.run.gate import decide_gate
    from preflight.run.pipeline import store_for

    cfg = _config(config)
    age = _duration(max_age)
    decision = decide_gate(
        store_for(cfg), cfg, use_case, now=datetime.now(UTC), max_age=age, run_id=run_id,
        allow_at_risk=not block_at_risk, honour_approvals=not ignore_approvals,
    )
    if not decision.open:
        out.print(f"[bold red]gate closed[/] {use_case}" + (f" (run {decision.run_id})" if decision.run_id else ""))
        for reason in decision.reasons:
            out.print(f"  - {reason}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BLOCKED)
    verdict = decision.verdict
    assert verdict is not None
    out.print(
        f"[green]gate open[/] {use_case}: {verdict.verdict.value} (score {verdict.score} of 100: "
        f"blocked 0–49, at risk 50–79, ready 80–100; band {verdict.readiness_level}; run {decision.run_id})",
        highlight=False,
    )
    if decision.approval is not None:
        out.print(f"  {decision.approval.describe()}", markup=False, highlight=False)
    for fix in verdict.fixes[:5]:
        out.print(f"  - {fix['message']}", markup=False, highlight=False)


_ARROW = "→"


def _print_changes(label: str, changes) -> None:  # noqa: ANN001 - CheckChange, imported lazily
    for change in changes:
        tag = "newly failing" if change.newly_failing else ("newly fixed" if change.newly_fixed else "changed")
        how = f"{change.before or 'absent'} {_ARROW} {change.after or 'absent'}"
        out.print(f"    {tag}: [{change.severity}] {change.id} ({how}): {change.message}", markup=False, highlight=False)


@app.command()
def diff(
    run_a: Annotated[str | None, typer.Argument(help="The older run (default: the run before RUN_B).")] = None,
    run_b: Annotated[str | None, typer.Argument(help="The newer run (default: the newest finished run).")] = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
) -> None:
    """What changed between two audits: verdict flips, newly failing and newly fixed checks,
    score changes and their causes (default: the two newest finished runs)."""
    from preflight.run.diff import diff_runs
    from preflight.run.pipeline import store_for

    changes = diff_runs(store_for(_config(config)), run_a, run_b)
    if as_json:
        sys.stdout.write(json.dumps(changes.as_dict(), indent=2) + "\n")
        return
    out.print(f"Changes from run {changes.before} to run {changes.after}", markup=False, highlight=False)
    if not changes.changed:
        out.print("no changes")
        return
    moved = [u for u in changes.use_cases if u.changed]
    if moved:
        out.print("[bold]Use cases[/]")
    for use_case in moved:
        verdict = (
            f"{use_case.verdict_before or 'absent'} {_ARROW} {use_case.verdict_after or 'absent'}"
            if use_case.flipped else (use_case.verdict_after or "")
        )
        score = ""
        if use_case.score_change:
            score = f"   score {use_case.score_before} {_ARROW} {use_case.score_after} ({use_case.score_change:+d})"
        band = f"   band {use_case.band_before} {_ARROW} {use_case.band_after}" if use_case.band_before != use_case.band_after else ""
        out.print(f"  {use_case.name}: {verdict}{score}{band}", markup=False, highlight=False)
        _print_changes("use case", use_case.checks)
    touched = [d for d in changes.datasets if d.changed]
    if touched:
        out.print("[bold]Datasets[/]")
    for dataset in touched:
        status = f"{dataset.status_before} {_ARROW} {dataset.status_after}" if dataset.status_before != dataset.status_after else ""
        scores = ", ".join(f"{k} {v:+d}" for k, v in dataset.score_changes.items())
        out.print(f"  {dataset.name}: {' · '.join(p for p in (status, scores) if p)}", markup=False, highlight=False)
        _print_changes("dataset", dataset.checks)


@app.command()
def profile(
    url: Annotated[str, typer.Option(help="SQLAlchemy URL; use ${VAR} for a password.")],
    table: Annotated[str, typer.Option(help="Table name.")],
    schema: Annotated[str | None, typer.Option(help="Schema name.")] = None,
    approximate: Annotated[bool, typer.Option(help="Use the engine's approximate distinct count.")] = False,
) -> None:
    """Profile one table in one SQL pass and print the profile as JSON (read-only, with the
    default connect, statement and lock timeouts)."""
    import sqlalchemy as sa

    from preflight.engines import db_reason, engine_for, redact
    from preflight.measure.profile import TableNotFoundError, profile_table
    from preflight.model.config import SourceConfig

    engine = engine_for(SourceConfig.model_construct(url=url))  # a SourceError exits 2
    try:
        result = profile_table(engine, table, schema, approximate_distinct=approximate)
    except TableNotFoundError as exc:
        err.print(f"[red]error[/] {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    except sa.exc.SQLAlchemyError as exc:
        reason = db_reason(exc, engine, names=(table, schema or ""))
        err.print(f"[red]error[/] cannot profile {table} at {redact(engine.url)}: {reason}")
        raise typer.Exit(EXIT_ERROR) from None
    from preflight.measure.redaction import redact_profile

    sys.stdout.write(json.dumps(redact_profile(result).model_dump(mode="json"), indent=2) + "\n")


@app.command()
def suggest(
    dataset: Annotated[str, typer.Argument(help="Dataset name from the catalog.", metavar="DATASET")],
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing suite.")] = False,
) -> None:
    """Write a baseline GX suite for DATASET from its profile, for a person to review."""
    from preflight.authoring.suggest import write_suggested_suite
    from preflight.engines import engine_for_dataset
    from preflight.measure.profile import profile_table

    cfg = _config(config)
    if dataset not in cfg.datasets:
        err.print(f"[red]error[/] unknown dataset {dataset!r}{_did_you_mean(dataset, cfg.datasets)}", highlight=False)
        raise typer.Exit(EXIT_ERROR)
    entry = cfg.datasets[dataset]
    engine = engine_for_dataset(cfg, dataset)
    target = settings.expectations_dir(cfg.directory, cfg.settings.expectations_dir) / f"{dataset}.json"
    try:
        written = write_suggested_suite(
            profile_table(engine, entry.table, entry.schema_name),
            dataset=dataset,
            path=target,
            primary_key=entry.primary_key,
            engine=engine,
            force=force,
        )
    except FileExistsError as exc:
        err.print(f"[red]error[/] {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    out.print(f"[green]wrote[/] {written} — review it, then commit it")


@app.command()
def discover(
    source: Annotated[str, typer.Option("--source", help="Source name from the configuration.")],
    config: ConfigOption = None,
    schema: Annotated[str | None, typer.Option(help="Schema to introspect (default: the source's default).")] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="YAML file to write (default: <config>/discovered_<source>.yaml); with --format odcs, a directory (default: <config>/contracts)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    format_: Annotated[
        str, typer.Option("--format", help="yaml: one catalog file; odcs: one ODCS contract per table.")
    ] = "yaml",
) -> None:
    """Write catalog entries for the source's tables that are not in the catalog yet."""
    from preflight.authoring.discover import discover_source, write_catalog_entries

    if format_ not in ("yaml", "odcs"):
        err.print(f"[red]error[/] --format must be yaml or odcs, not {format_!r}")
        raise typer.Exit(EXIT_ERROR)
    cfg = _config(config)
    entries = discover_source(cfg, source, schema=schema)
    if not entries:
        out.print(f"every table of {source} is already in the catalog")
        return
    if format_ == "odcs":
        _discover_contracts(cfg, entries, output, force)
        return
    target = output or cfg.directory / f"discovered_{source}.yaml"
    try:
        write_catalog_entries(entries, target, force=force)
    except FileExistsError as exc:
        err.print(f"[red]error[/] {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    out.print(f"[green]wrote[/] {len(entries)} catalog entries to {target}: fill in owner and classification")


export_app = typer.Typer(
    help="Write what Preflight knows about a dataset in the ecosystem's formats (ODCS, Croissant).",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

RunOption = Annotated[str | None, typer.Option("--run", help="Audit run to read (default: the latest).")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")]
ForceOption = Annotated[bool, typer.Option(help="Overwrite an existing file.")]


def _latest_audit(cfg, dataset: str, run_id: str | None):  # noqa: ANN001, ANN202
    """(run id, the dataset's audit in that run, the run's verdicts); audit None when absent."""
    from preflight.errors import StoreError
    from preflight.run.pipeline import store_for

    store = store_for(cfg)
    try:
        run = store.load_run(run_id)
    except StoreError:
        if run_id:
            raise
        return None, None, ()
    audit = next((a for a in run.datasets if a.name == dataset), None)
    return run.run_id, audit, run.use_cases


def _unknown_dataset(cfg, dataset: str) -> None:  # noqa: ANN001
    if dataset not in cfg.datasets:
        err.print(f"[red]error[/] unknown dataset {dataset!r} (known: {', '.join(sorted(cfg.datasets))})")
        raise typer.Exit(EXIT_ERROR)


def _emit(text: str, output: Path | None, force: bool) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from preflight.authoring.odcs import write_contract

    try:
        write_contract(text, output, force=force)
    except FileExistsError as exc:
        err.print(f"[red]error[/] {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    err.print(f"[green]wrote[/] {output}")


@export_app.command("odcs")
def export_odcs(
    dataset: Annotated[str, typer.Argument(help="Dataset name from the catalog.")],
    config: ConfigOption = None,
    output: OutputOption = None,
    run_id: RunOption = None,
    force: ForceOption = False,
) -> None:
    """An ODCS v3 data contract of DATASET: what the catalog declares and the audit measured."""
    from preflight.authoring.odcs import contract_for_dataset, contract_yaml

    cfg = _config(config)
    _unknown_dataset(cfg, dataset)
    run, audit, _ = _latest_audit(cfg, dataset, run_id)
    if audit is None:
        where = f"run {run}" if run else "the results store"
        err.print(f"[yellow]note[/] no audit of {dataset} in {where}: the contract carries the catalog only")
    contract = contract_for_dataset(cfg, dataset, audit, run_id=run)
    _emit(contract_yaml(contract, measured=audit is not None), output, force)


@export_app.command("croissant")
def export_croissant(
    dataset: Annotated[str, typer.Argument(help="Dataset name from the catalog.")],
    config: ConfigOption = None,
    output: OutputOption = None,
    run_id: RunOption = None,
    force: ForceOption = False,
) -> None:
    """A Croissant 1.1 JSON-LD card of audited DATASET, validated with mlcroissant."""
    from preflight.authoring.croissant import croissant_card, validate_card

    cfg = _config(config)
    _unknown_dataset(cfg, dataset)
    run, audit, verdicts = _latest_audit(cfg, dataset, run_id)
    if audit is None or audit.profile is None:
        why = "no audit" if audit is None else f"the audit could not read it ({audit.status.value})"
        err.print(f"[red]error[/] {dataset}: {why} in {f'run {run}' if run else 'the results store'}; run `preflight audit` first")
        raise typer.Exit(EXIT_ERROR)
    entry = cfg.datasets[dataset]
    card = croissant_card(audit, entry=entry, source=cfg.sources[entry.source], verdicts=verdicts, run_id=run)
    issues = validate_card(card)
    if issues.errors:
        err.print(f"[red]error[/] mlcroissant rejects the card of {dataset}:")
        for line in issues.errors:
            err.print(f"  - {line}")
        raise typer.Exit(EXIT_ERROR)
    for line in issues.warnings:
        err.print(f"[yellow]mlcroissant[/] {line}")
    _emit(json.dumps(card, indent=2, ensure_ascii=False, default=str), output, force)


def _discover_contracts(cfg, entries: dict, output: Path | None, force: bool) -> None:  # noqa: ANN001
    from preflight.authoring.odcs import write_discovered_contracts

    folder = output or cfg.directory / "contracts"
    try:
        written = write_discovered_contracts(cfg, entries, folder, force=force)
    except FileExistsError as exc:
        err.print(f"[red]error[/] {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    out.print(f"[green]wrote[/] {len(written)} contracts to {folder}: fill in the team (owner) and dataClassification")


@app.command()
def pools(
    config: ConfigOption = None,
    apply: Annotated[bool, typer.Option("--apply", help="Create or update them in Airflow (`airflow pools import`).")] = False,
) -> None:
    """The Airflow pools of the sources (one each, max_concurrent_audits slots), as JSON
    for `airflow pools import`; --apply hands them to Airflow."""
    from preflight.airflow.pools import apply_pools, pools_for, pools_import_json

    found = pools_for(_config(config))
    if not apply:
        out.print_json(pools_import_json(found))
        return
    from preflight.airflow.demo.runner import airflow_bin

    apply_pools(found, dict(os.environ), airflow=airflow_bin())
    for pool in found:
        out.print(f"[green]pool[/] {pool.name}: {pool.slots} slots (source {pool.source})")


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="Keep the existing demo warehouse.")] = False,
) -> None:
    """Build the demo warehouse and audit it through Airflow; print the verdicts and what to try next."""
    from preflight.airflow.demo.runner import run_demo
    from preflight.run.pipeline import reports_dir

    result = run_demo(rebuild=not keep, console=out)
    run = result.run
    out.print()
    print_verdicts(run)
    out.print()
    blocked = sorted(v.use_case for v in run.use_cases if v.verdict.value == "blocked")
    passing = sorted(v.use_case for v in run.use_cases if v.verdict.value != "blocked")
    if result.unexpected_failures:
        names = ", ".join(t.name for t in result.unexpected_failures)
        out.print(f"[bold red]Something went wrong:[/] task(s) {names} failed; see {result.audit.log}")
    elif blocked:
        some = f"{len(blocked)} use case{'s are' if len(blocked) > 1 else ' is'}"
        out.print(
            f"[bold]The gates did their job.[/] {some} blocked ({', '.join(blocked)}), so "
            f"{'their gate tasks' if len(blocked) > 1 else 'its gate task'} failed: Airflow marks this "
            f"audit run “{result.audit.state}” and the blocked launch DAGs cannot start. That is what "
            f"a gate is for. The other {len(passing)} passed.",
            highlight=False,
        )
    latest = reports_dir() / "latest"
    cli = _cli_name()
    steps = Table.grid(padding=(0, 2))
    steps.add_column(style="bold")
    steps.add_column()
    steps.add_row("Read the report", _shown(latest / "report.html"))
    if blocked:
        steps.add_row("Ask a gate", f"{cli} gate {blocked[0]}   [dim](exit 1: blocked, with the reasons)[/]")
    if passing:
        steps.add_row("", f"{cli} gate {passing[-1]}   [dim](exit 0: may launch)[/]")
    steps.add_row("See it in Airflow", "make airflow   [dim](then “Preflight” in the Airflow sidebar)[/]")
    steps.add_row("Fix and audit again", f"edit {_shown(settings.config_dir() / 'catalog.yaml')}, then {cli} audit")
    steps.add_row("Audit your own data", "docs/configuration.md: sources, catalog and use cases")
    out.print("\n[bold]Next steps[/]")
    out.print(steps, highlight=False)


@app.command("airflow")
def airflow_standalone() -> None:
    """Start Airflow locally on the embedded defaults with the Preflight UI (Ctrl-C stops it)."""
    from preflight.airflow.standalone import run_standalone

    run_standalone()


def _print_error(exc: PreflightError) -> None:
    """One line per problem, unwrapped, so file and field stay greppable.

    A configuration error may carry every problem found (``errors``); each is printed.
    """
    problems: Sequence[Any] = getattr(exc, "errors", None) or ()
    if isinstance(exc, ConfigError) and len(problems) > 1:
        sys.stderr.write(f"error: {len(problems)} problems in the configuration:\n")
        for problem in problems:
            sys.stderr.write(f"  - {problem}\n")
        return
    sys.stderr.write(f"error: {exc}\n")


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=settings.log_level(), format="%(levelname)s %(name)s: %(message)s")
    try:
        # Standalone mode: Typer prints usage errors in a few lines and exits 2, and maps
        # typer.Exit to its code. Only our own errors and bugs reach the handlers below.
        app(args=list(argv) if argv is not None else None, prog_name="preflight")
    except PreflightError as exc:
        _print_error(exc)
        sys.exit(EXIT_ERROR)
    except Exception:  # a bug: say so with the traceback, and never exit 0
        err.print("[bold red]internal error[/] (a bug in Preflight; please report it with this traceback)")
        err.print_exception()
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()

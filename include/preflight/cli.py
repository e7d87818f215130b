"""The ``preflight`` command line.

Exit codes (one mapping, :func:`exit_code_for`): 0 ready / ok, 1 blocked, 2 error
(bad configuration, an unreachable configuration, a bug).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from preflight import settings
from preflight.errors import PreflightError

app = typer.Typer(
    help="Preflight: is the data behind a GenAI use case ready to launch?",
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


def _config(path: Path | None):  # noqa: ANN202 - keeps import cost off `--help`
    from preflight.config import load_config

    return load_config(path)


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
        failing = [c for c in verdict.checks if c.failing and c.severity.value == "blocker"]
        first = failing[0].message if failing else (verdict.fixes[0]["message"] if verdict.fixes else "—")
        value = verdict.verdict.value
        table.add_row(verdict.use_case, f"[{_STYLE[value]}]{value}[/]", str(verdict.score), verdict.readiness_level, first)
    out.print(table)


@app.command()
def validate(config: ConfigOption = None) -> None:
    """Validate the configuration: YAML syntax, fields, types and references."""
    cfg = _config(config)
    out.print(
        f"[green]ok[/] {cfg.directory}: {len(cfg.sources)} sources, {len(cfg.datasets)} datasets, "
        f"{len(cfg.use_cases)} use cases"
    )


@app.command()
def audit(
    config: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Audit every dataset and evaluate every use case, without Airflow. Exit 1 if any is blocked."""
    from preflight.run.pipeline import reports_dir, run_audit

    cfg = _config(config)
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

        def started(datasets: list[str]) -> None:
            progress.update(bar, total=len(datasets), description=datasets[0] if datasets else "")

        def done(name: str, result) -> None:  # noqa: ANN001
            progress.advance(bar)
            progress.update(bar, description=f"{name}: {result.status.value}")

        run = run_audit(cfg, on_start=started, on_dataset=done)
    print_verdicts(run)
    out.print(f"Report: {reports_dir() / 'latest' / 'report.html'}")
    raise typer.Exit(exit_code_for([v.verdict.value for v in run.use_cases]))


@app.command()
def gate(
    use_case: Annotated[str, typer.Argument(help="Use case name from the configuration.")],
    config: ConfigOption = None,
    run_id: Annotated[str | None, typer.Option(help="Run to read (default: the latest).")] = None,
) -> None:
    """Exit 0 when USE_CASE may launch (ready or at risk), 1 when it is blocked."""
    from preflight.run.pipeline import GateClosed, store_for
    from preflight.run.pipeline import gate as check_gate

    cfg = _config(config)
    if use_case not in cfg.use_cases:
        err.print(f"[red]error[/] unknown use case {use_case!r} (known: {', '.join(sorted(cfg.use_cases))})")
        raise typer.Exit(EXIT_ERROR)
    try:
        verdict = check_gate(store_for(cfg), use_case, run_id)
    except GateClosed as exc:
        out.print(f"[bold red]gate closed[/] {exc}")
        raise typer.Exit(EXIT_BLOCKED) from None
    out.print(f"[green]gate open[/] {use_case}: {verdict.verdict.value} (score {verdict.score})")
    for fix in verdict.fixes[:5]:
        out.print(f"  - {fix['message']}")


@app.command()
def profile(
    url: Annotated[str, typer.Option(help="SQLAlchemy URL; use ${VAR} for a password.")],
    table: Annotated[str, typer.Option(help="Table name.")],
    schema: Annotated[str | None, typer.Option(help="Schema name.")] = None,
    approximate: Annotated[bool, typer.Option(help="Use the engine's approximate distinct count.")] = False,
) -> None:
    """Profile one table in one SQL pass and print the profile as JSON."""
    import sqlalchemy as sa

    from preflight.engines.connect import expand_env, redact
    from preflight.measure.profile import TableNotFoundError, profile_table

    engine = sa.create_engine(expand_env(url))
    try:
        result = profile_table(engine, table, schema, approximate_distinct=approximate)
    except TableNotFoundError as exc:
        err.print(f"[red]error[/] {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    except sa.exc.SQLAlchemyError as exc:
        err.print(f"[red]error[/] cannot profile {table} at {redact(url)}: {type(exc).__name__}")
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        engine.dispose()
    from preflight.measure.redaction import redact_profile

    sys.stdout.write(json.dumps(redact_profile(result).model_dump(mode="json"), indent=2) + "\n")


@app.command()
def suggest(
    dataset: Annotated[str, typer.Argument(help="Dataset name from the catalog.")],
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing suite.")] = False,
) -> None:
    """Write a baseline GX suite for DATASET from its profile, for a person to review."""
    from preflight.authoring.suggest import write_suggested_suite
    from preflight.engines.connect import engine_for
    from preflight.measure.profile import profile_table

    cfg = _config(config)
    if dataset not in cfg.datasets:
        err.print(f"[red]error[/] unknown dataset {dataset!r} (known: {', '.join(sorted(cfg.datasets))})")
        raise typer.Exit(EXIT_ERROR)
    entry = cfg.datasets[dataset]
    engine = engine_for(cfg.sources[entry.source])
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
    output: Annotated[Path | None, typer.Option(help="YAML file to write (default: <config>/discovered_<source>.yaml).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write catalog entries for the source's tables that are not in the catalog yet."""
    from preflight.authoring.discover import discover_source, write_catalog_entries

    cfg = _config(config)
    entries = discover_source(cfg, source, schema=schema)
    if not entries:
        out.print(f"every table of {source} is already in the catalog")
        return
    target = output or cfg.directory / f"discovered_{source}.yaml"
    try:
        write_catalog_entries(entries, target, force=force)
    except FileExistsError as exc:
        err.print(f"[red]error[/] {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    out.print(f"[green]wrote[/] {len(entries)} catalog entries to {target}: fill in owner and classification")


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
    """Build the demo warehouse and run the audit through Airflow; print the verdicts."""
    from preflight.airflow.demo.runner import run_demo

    run = run_demo(rebuild=not keep, console=out)
    print_verdicts(run)
    from preflight.run.pipeline import reports_dir

    latest = reports_dir() / "latest"
    out.print(f"Reports: {latest / 'report.json'}\n         {latest / 'report.html'}")


@app.command("airflow")
def airflow_standalone() -> None:
    """Start Airflow locally on the embedded defaults with the Preflight UI (Ctrl-C stops it)."""
    from preflight.airflow.standalone import run_standalone

    run_standalone()


def main() -> None:
    logging.basicConfig(level=settings.log_level(), format="%(levelname)s %(name)s: %(message)s")
    try:
        result = app(standalone_mode=False)
        sys.exit(result if isinstance(result, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except PreflightError as exc:
        sys.stderr.write(f"error: {exc}\n")  # unwrapped: file and field stay greppable
        sys.exit(EXIT_ERROR)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # click usage errors and bugs: exit 2, never a traceback-less 0
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(EXIT_ERROR)
        err.print_exception()
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()

"""Discoverability: can someone who has never seen a dataset find it, understand it and
know whom to ask?

One Check per sub-check, each carrying its weight in ``details["weight"]``; the
dimension score (computed in scoring) is the weighted share of passing checks, so the
weights below say how much each piece of metadata matters. Descriptions come from the
catalog first and from the database's own comments second: a table documented with
``COMMENT ON`` is documented, even if nobody copied the text into YAML.

Sub-checks, weights and the FAIR principle each serves are explained in
``docs/discoverability.md``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from preflight.errors import ConfigError
from preflight.measure.registry import ProbeContext, probe
from preflight.model.config import DatasetConfig, Settings
from preflight.model.evidence import Documentation, DocumentationFigures
from preflight.model.results import Check, Dimension, Severity, TableProfile

__all__ = [
    "DATA_CARD_DIR",
    "MIN_COLUMN_COVERAGE",
    "WEIGHTS",
    "assess_discoverability",
    "find_data_card",
    "read_db_comments",
]

D = Dimension.DISCOVERABILITY

# Owner and description decide whether anyone can use the data at all (who to ask,
# what it is); column descriptions and classification decide whether it can be used
# safely and correctly; the rest make it easier to find and to trust.
WEIGHTS: dict[str, int] = {
    "in_catalog": 1,
    "description": 3,
    "column_descriptions": 2,
    "owner": 3,
    "business_sponsor": 1,
    "classification": 2,
    "tags": 1,
    "freshness_declared": 1,
    "update_cadence": 1,
    "documentation": 1,
    "naming": 1,
}

# Only the two a reader cannot work around warn; use cases raise the others as needed.
_WARNING = frozenset({"description", "owner"})

MIN_COLUMN_COVERAGE = 0.8

# A data card is a Markdown file `<config dir>/data_cards/<dataset>.md`.
DATA_CARD_DIR = "data_cards"


def _text(value: str | None) -> str | None:
    """A metadata value that says something: blanks count as missing."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} h"


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def find_data_card(config_dir: Path, name: str) -> Path | None:
    """The dataset's data card, ``<config_dir>/data_cards/<name>.md``, if it exists."""
    card = Path(config_dir) / DATA_CARD_DIR / f"{name}.md"
    return card if card.is_file() else None


def read_db_comments(
    engine: Engine, table: str, schema: str | None = None
) -> tuple[str | None, dict[str, str]]:
    """The table comment and ``{column: comment}`` the database itself holds.

    Dialects without comments (SQLite) give ``(None, {})``. Blank comments are dropped.
    """
    if not engine.dialect.supports_comments:
        return None, {}
    inspector = sa.inspect(engine)
    table_comment = _text(inspector.get_table_comment(table, schema=schema).get("text"))
    columns = {
        col["name"]: text
        for col in inspector.get_columns(table, schema=schema)
        if (text := _text(col.get("comment")))
    }
    return table_comment, columns


def _qualified(dataset: DatasetConfig | None, profile: TableProfile | None, name: str) -> str:
    if dataset is not None:
        table, schema = dataset.table, dataset.schema_name
    elif profile is not None:
        table, schema = profile.table, profile.schema_name
    else:
        table, schema = name, None
    return f"{schema}.{table}" if schema else table


def _table_comment_hint(dialect: str | None, table: str) -> str:
    if dialect == "sqlite":
        return ""  # SQLite has no comments: the catalog is the only place
    if dialect in ("mysql", "mariadb"):
        return f", or ALTER TABLE {table} COMMENT = '…'"
    return f", or COMMENT ON TABLE {table} IS '…'"


def _column_comment_hint(dialect: str | None, table: str, column: str) -> str:
    if dialect == "sqlite":
        return ""
    if dialect in ("mysql", "mariadb"):
        return f", or ALTER TABLE {table} MODIFY {column} <type> COMMENT '…' for each"
    return f", or COMMENT ON COLUMN {table}.{column} IS '…' for each"


def assess_discoverability(
    name: str,
    dataset_cfg: DatasetConfig | None,
    profile: TableProfile | None,
    settings: Settings,
    *,
    in_catalog: bool = True,
    catalog_file: str | None = None,
    dialect: str | None = None,
    data_card: Path | None = None,
    min_column_coverage: float = MIN_COLUMN_COVERAGE,
) -> list[Check]:
    """Every discoverability sub-check of one dataset, in a stable order.

    ``catalog_file`` and ``dialect`` only sharpen the remediation hints (which file to
    edit, which SQL adds a comment). ``data_card`` is a data card found for the
    dataset (see :func:`find_data_card`). Raises :class:`ConfigError` when
    ``settings.naming_convention`` is not a regular expression.
    """
    try:
        convention = re.compile(settings.naming_convention)
    except re.error as exc:
        raise ConfigError(
            f"not a regular expression: {exc}", field="settings.naming_convention"
        ) from exc

    in_catalog = in_catalog and dataset_cfg is not None
    cfg = dataset_cfg if in_catalog else None
    where = f"datasets.{name} in {catalog_file or 'the catalog'}"
    table = _qualified(dataset_cfg, profile, name)
    checks: list[Check] = []

    def add(
        sub: str,
        passed: bool,
        message: str,
        *,
        observed: object,
        expected: object,
        remediation: str,
        **details: object,
    ) -> None:
        checks.append(
            Check(
                id=f"discoverability.{sub}",
                dimension=D,
                severity=Severity.WARNING if sub in _WARNING else Severity.INFO,
                passed=passed,
                dataset=name,
                message=message,
                observed=observed,
                expected=expected,
                remediation=None if passed else remediation,
                details={"weight": WEIGHTS[sub], **details},
            )
        )

    # in_catalog ---------------------------------------------------------------
    add(
        "in_catalog",
        in_catalog,
        f"{name} has a catalog entry" if in_catalog else f"{name} is not in the catalog",
        observed=in_catalog,
        expected=True,
        remediation=(
            f"add datasets.{name} (source, table, description, owner, classification) to a "
            "catalog YAML file in the config directory; discover_source() drafts one from the database"
        ),
    )

    # description: the catalog first, the database's table comment second ---------
    catalog_description = _text(cfg.description) if cfg else None
    db_description = _text(profile.table_comment) if profile else None
    if catalog_description:
        source, observed = "catalog", f"from the catalog: {_quote(catalog_description)}"
    elif db_description:
        source, observed = "database", f"from the database table comment: {_quote(db_description)}"
    else:
        source, observed = None, "missing (no catalog description, no table comment)"
    add(
        "description",
        source is not None,
        f"{name} is described ({'catalog' if source == 'catalog' else 'table comment'})"
        if source
        else f"{name} has no description, neither in the catalog nor as a table comment",
        observed=observed,
        expected="a description in the catalog or a table comment in the database",
        remediation=f"add `description:` to {where}{_table_comment_hint(dialect, table)}",
        source=source,
    )

    # column_descriptions: coverage over the profiled (else declared) columns -------
    columns = (
        [c.name for c in profile.columns]
        if profile and profile.columns
        else list(cfg.columns if cfg else ())
    )
    described = {
        k.lower(): v for k, v in (cfg.column_descriptions if cfg else {}).items() if _text(v)
    }
    db_comments = (
        {c.name: c.comment for c in profile.columns if _text(c.comment)} if profile else {}
    )
    from_catalog = {c for c in columns if c.lower() in described}
    from_db = {c for c in columns if c not in from_catalog and c in db_comments}
    undocumented = [c for c in columns if c not in from_catalog and c not in from_db]
    coverage = (len(columns) - len(undocumented)) / len(columns) if columns else None
    first = undocumented[0] if undocumented else "<column>"
    add(
        "column_descriptions",
        coverage is not None and coverage >= min_column_coverage,
        f"{name}: {len(columns) - len(undocumented)} of {len(columns)} columns described ({coverage:.0%})"
        if coverage is not None
        else f"{name}: no columns known to describe (not profiled, none declared)",
        observed=round(coverage, 3) if coverage is not None else None,
        expected={"min_coverage": min_column_coverage},
        remediation=(
            f"add `column_descriptions:` for {', '.join(undocumented[:10])}"
            f"{' and more' if len(undocumented) > 10 else ''} to {where}"
            f"{_column_comment_hint(dialect, table, first)}"
            if undocumented
            else f"profile {table} or declare its `columns:` in {where}"
        ),
        undocumented=undocumented,
        sources={"catalog": len(from_catalog), "database": len(from_db)},
    )

    # owner, business sponsor, classification, tags, cadence: catalog-only facts --
    owner = _text(cfg.owner) if cfg else None
    add(
        "owner",
        owner is not None,
        f"{name} is owned by {owner}" if owner else f"{name} has no owner",
        observed=owner,
        expected="an owning team or contact",
        remediation=f"add `owner:` (a team address) to {where}",
    )
    sponsor = _text(cfg.business_sponsor) if cfg else None
    add(
        "business_sponsor",
        sponsor is not None,
        f"{name} is sponsored by {sponsor}" if sponsor else f"{name} has no business sponsor",
        observed=sponsor,
        expected="a business sponsor",
        remediation=f"add `business_sponsor:` (the accountable business role) to {where}",
    )
    classification = cfg.classification if cfg else None
    add(
        "classification",
        classification is not None,
        f"{name} is classified {classification}" if classification else f"{name} is not classified",
        observed=classification,
        expected="one of public, internal, confidential, restricted",
        remediation=f"add `classification:` (public, internal, confidential or restricted) to {where}",
    )
    tags = [t for t in (cfg.tags if cfg else ()) if _text(t)]
    add(
        "tags",
        bool(tags),
        f"{name} is tagged {', '.join(tags)}" if tags else f"{name} has no tags",
        observed=tags,
        expected="at least one tag",
        remediation=f"add `tags: [...]` (subject area, content type) to {where}",
    )
    freshness = cfg.freshness if cfg else None
    add(
        "freshness_declared",
        freshness is not None,
        f"{name} promises {freshness.column} within {_hours(freshness.slo.total_seconds())}"
        if freshness
        else f"{name} declares no freshness SLO",
        observed={"column": freshness.column, "slo_hours": freshness.slo.total_seconds() / 3600}
        if freshness
        else None,
        expected="a freshness column and SLO",
        remediation=f"add `freshness: {{column: <timestamp column>, slo: 24h}}` to {where}",
    )
    cadence = _text(cfg.update_cadence) if cfg else None
    add(
        "update_cadence",
        cadence is not None,
        f"{name} is updated {cadence}" if cadence else f"{name} declares no update cadence",
        observed=cadence,
        expected="an update cadence (e.g. hourly, daily, continuous)",
        remediation=f"add `update_cadence:` (e.g. hourly, daily) to {where}",
    )

    # documentation: a URL in the catalog or a data card beside it ---------------
    url = _text(cfg.documentation_url) if cfg else None
    card = data_card if data_card is not None and Path(data_card).is_file() else None
    add(
        "documentation",
        bool(url or card),
        f"{name} is documented at {url}"
        if url
        else (f"{name} has a data card ({card.name})" if card else f"{name} has no documentation"),
        observed={"documentation_url": url, "data_card": card.name if card else None},
        expected="a documentation_url or a data card",
        remediation=(
            f"add `documentation_url:` to {where}, or write a data card at "
            f"{DATA_CARD_DIR}/{name}.md in the config directory"
        ),
    )

    # naming: the table and its columns follow the convention ---------------------
    table_name = dataset_cfg.table if dataset_cfg else (profile.table if profile else name)
    offending = [n for n in (table_name, *columns) if not convention.fullmatch(n)]
    add(
        "naming",
        not offending,
        f"{name}: table and column names follow {settings.naming_convention}"
        if not offending
        else f"{name}: {len(offending)} name(s) break the naming convention {settings.naming_convention}",
        observed=offending,
        expected={"naming_convention": settings.naming_convention},
        remediation=(
            f"rename {', '.join(offending[:10])} to match {settings.naming_convention}, or expose "
            f"{table} through a view with conforming names and point `table:` of {where} at it"
        ),
    )
    return checks


def _display_path(path: str) -> str:
    """A catalog path as short as is still unambiguous for the reader."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


def _facts(checks: list[Check]) -> dict[str, bool]:
    return {check.id.removeprefix("discoverability."): check.passed for check in checks}


def _documentation(name: str, checks: list[Check]) -> Documentation:
    """The evidence judging reads, from this module's own sub-checks."""
    by_sub = {check.id.removeprefix("discoverability."): check for check in checks}
    columns = by_sub["column_descriptions"]
    coverage = columns.observed if isinstance(columns.observed, int | float) else None
    return Documentation(
        dataset=name,
        figures=DocumentationFigures(
            described=by_sub["description"].passed,
            owned=by_sub["owner"].passed,
            columns_described=columns.passed,
            column_coverage=coverage,
            columns_message=columns.message,
            columns_remediation=columns.remediation,
        ),
    )


@probe("discoverability", D, order=50, produces=[Documentation])
def discoverability(ctx: ProbeContext) -> list[Check]:
    """Catalog metadata and database comments, scored by weight; see the module docstring."""
    in_catalog = ctx.name in ctx.config.datasets
    checks = assess_discoverability(
        ctx.name,
        ctx.dataset,
        ctx.profile,
        ctx.config.settings,
        in_catalog=in_catalog,
        catalog_file=_display_path(ctx.config.origin("datasets", ctx.name)) if in_catalog else None,
        dialect=ctx.engine.dialect.name,
        data_card=find_data_card(ctx.config.directory, ctx.name),
    )
    ctx.facts["discoverability"] = _facts(checks)
    ctx.record(_documentation(ctx.name, checks))
    return checks


PROBES = (discoverability,)

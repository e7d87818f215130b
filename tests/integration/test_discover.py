"""Discovery drafts catalog entries from a real database, and the result loads.

PostgreSQL: a dedicated schema (unique name, dropped afterwards) with three commented
tables, primary keys and foreign keys; one of them is already in the catalog.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.authoring.discover import discover_source, write_catalog_entries
from preflight.config import load_config
from preflight.errors import ConfigError

pytestmark = pytest.mark.integration

PG_ENV = "PREFLIGHT_TEST_POSTGRES_URL"


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get(PG_ENV, "")
    if not url:
        if os.environ.get("PREFLIGHT_REQUIRE_ENGINES"):
            pytest.fail(f"{PG_ENV} is not set but PREFLIGHT_REQUIRE_ENGINES is (CI)")
        pytest.skip(f"{PG_ENV} is not set: no postgresql to test against")
    return url


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """Three related, commented tables in a schema of their own."""
    schema = f"pf_discover_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(pg_url)
    metadata = sa.MetaData(schema=schema)
    sa.Table(
        "authors",
        metadata,
        sa.Column("author_id", sa.Integer, primary_key=True, comment="Stable author identifier."),
        sa.Column("name", sa.String(200), comment="Byline."),
        comment="Everyone who has written for us.",
    )
    sa.Table(
        "articles",
        metadata,
        sa.Column("article_id", sa.Integer, primary_key=True, comment="Stable article identifier."),
        sa.Column("author_id", sa.ForeignKey("authors.author_id"), comment="Who wrote it."),
        sa.Column("title", sa.Text),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        comment="Every article published, one row per article.",
    )
    sa.Table(
        "ArticleTags",  # a mixed-case name: the dataset name must still be [a-z0-9_]
        metadata,
        sa.Column("article_id", sa.ForeignKey("articles.article_id"), primary_key=True),
        sa.Column("tag", sa.String(50), primary_key=True, comment="Free-form tag."),
    )
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    try:
        metadata.create_all(engine)
        yield schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


def write_config_dir(root: Path, url: str, schema: str) -> Path:
    """A minimal, settings-less config dir: the source and one existing dataset."""
    root.mkdir()
    (root / "sources.yaml").write_text(yaml.safe_dump({"sources": {"pg": {"url": url}}}), "utf-8")
    catalog = {
        "datasets": {
            "authors": {
                "source": "pg",
                "schema": schema,
                "table": "authors",
                "owner": "editorial@example.org",
            }
        }
    }
    (root / "catalog.yaml").write_text(yaml.safe_dump(catalog), "utf-8")
    return root


def test_discovered_entries_load_beside_the_existing_catalog(
    pg_url: str, pg_schema: str, tmp_path: Path
) -> None:
    config_dir = write_config_dir(tmp_path / "config", pg_url, pg_schema)
    config = load_config(config_dir)

    entries = discover_source(config, "pg", schema=pg_schema)

    articles, tags = f"{pg_schema}_articles", f"{pg_schema}_articletags"
    assert set(entries) == {articles, tags}  # authors is already catalogued
    assert entries[articles] == {
        "source": "pg",
        "table": "articles",
        "schema": pg_schema,
        "description": "Every article published, one row per article.",
        "primary_key": ["article_id"],
        "columns": {
            "article_id": "INTEGER",
            "author_id": "INTEGER",
            "title": "TEXT",
            "published_at": "TIMESTAMP WITH TIME ZONE",
        },
        "column_descriptions": {
            "article_id": "Stable article identifier.",
            "author_id": "Who wrote it.",
        },
        # The referenced table is catalogued: its existing dataset name is used.
        "related_keys": [{"column": "author_id", "references": "authors.author_id"}],
    }
    assert entries[tags]["table"] == "ArticleTags"
    assert "description" not in entries[tags]  # no table comment, nothing invented
    assert entries[tags]["primary_key"] == ["article_id", "tag"]
    assert entries[tags]["column_descriptions"] == {"tag": "Free-form tag."}
    # The referenced table is discovered in the same pass.
    assert entries[tags]["related_keys"] == [
        {"column": "article_id", "references": f"{articles}.article_id"}
    ]

    target = write_catalog_entries(entries, config_dir / "discovered.yaml")
    text = target.read_text("utf-8")
    assert text.startswith("# Generated")
    assert "owner" in text.split("datasets:")[0] and "classification" in text.split("datasets:")[0]

    reloaded = load_config(config_dir)
    assert set(reloaded.datasets) == {"authors", articles, tags}
    assert reloaded.origin("datasets", articles) == str(target)
    assert reloaded.origin("datasets", "authors") == str(config_dir / "catalog.yaml")
    assert reloaded.datasets[articles].schema_name == pg_schema
    assert reloaded.datasets[tags].related_keys[0].ref_dataset == articles

    # Everything is catalogued now: a second pass has nothing to add.
    assert discover_source(reloaded, "pg", schema=pg_schema) == {}


def test_write_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "discovered.yaml"
    entry = {"source": "pg", "table": "t"}
    write_catalog_entries({"t": entry}, target)
    with pytest.raises(FileExistsError, match="already exists.*force=True"):
        write_catalog_entries({"u": {"source": "pg", "table": "u"}}, target)
    assert "u:" not in target.read_text("utf-8")
    write_catalog_entries({"u": {"source": "pg", "table": "u"}}, target, force=True)
    assert yaml.safe_load(target.read_text("utf-8")) == {
        "datasets": {"u": {"source": "pg", "table": "u"}}
    }


def test_unknown_source_and_schema_are_config_errors(
    pg_url: str, pg_schema: str, tmp_path: Path
) -> None:
    config = load_config(write_config_dir(tmp_path / "config", pg_url, pg_schema))
    with pytest.raises(ConfigError, match="unknown source 'nope'.*known: pg"):
        discover_source(config, "nope")
    with pytest.raises(ConfigError, match="schema 'no_such_schema' not found in source 'pg'"):
        discover_source(config, "pg", schema="no_such_schema")


def test_default_schema_names_are_unprefixed_and_unique(tmp_path: Path) -> None:
    """SQLite (no schemas, no comments): names come from the table alone, and a name the
    catalog already uses for another table gets a suffix instead of a clash."""
    db = tmp_path / "warehouse.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    metadata = sa.MetaData()
    sa.Table("Readers", metadata, sa.Column("reader_id", sa.Integer, primary_key=True))
    sa.Table("page-views", metadata, sa.Column("view_id", sa.Integer, primary_key=True))
    metadata.create_all(engine)
    engine.dispose()
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "catalog.yaml").write_text(
        yaml.safe_dump(
            {
                "sources": {"lite": {"url": f"sqlite:///{db}"}},
                # "readers" is taken by a table elsewhere, so Readers becomes readers_2.
                "datasets": {"readers": {"source": "lite", "table": "legacy_readers"}},
            }
        ),
        "utf-8",
    )

    entries = discover_source(load_config(config_dir), "lite")

    assert set(entries) == {"readers_2", "page_views"}
    assert entries["readers_2"]["table"] == "Readers"
    assert "schema" not in entries["readers_2"] and "description" not in entries["readers_2"]
    write_catalog_entries(entries, config_dir / "discovered.yaml")
    assert set(load_config(config_dir).datasets) == {"readers", "readers_2", "page_views"}


def test_discover_command_then_validate(pg_url: str, pg_schema: str, tmp_path: Path) -> None:
    """The CLI path a team takes: `preflight discover`, then `preflight validate` accepts it."""
    import subprocess
    import sys

    config_dir = write_config_dir(tmp_path / "config", pg_url, pg_schema)
    cli = [sys.executable, "-m", "preflight.cli"]
    done = subprocess.run([*cli, "discover", "--source", "pg", "--schema", pg_schema, "--config", str(config_dir)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (config_dir / "discovered_pg.yaml").exists()
    valid = subprocess.run([*cli, "validate", "--config", str(config_dir)], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stderr
    assert "3 datasets" in valid.stdout
    again = subprocess.run([*cli, "discover", "--source", "pg", "--schema", pg_schema, "--config", str(config_dir)],
                           capture_output=True, text=True)
    assert again.returncode == 0 and "already in the catalog" in again.stdout
    unknown = subprocess.run([*cli, "discover", "--source", "nope", "--config", str(config_dir)], capture_output=True, text=True)
    assert unknown.returncode == 2 and "nope" in unknown.stderr

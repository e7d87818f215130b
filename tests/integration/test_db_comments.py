"""Table and column comments written by the database count as documentation.

The same table is created twice on PostgreSQL and MariaDB, once with comments and once
without, read back through the inspector, and assessed with a catalog entry that says
nothing but where the table is: only the comments differ, so only they can move the score.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from preflight.measure.checks.discoverability import (
    assess_discoverability,
    discoverability,
    read_db_comments,
)
from preflight.measure.registry import ProbeContext, builtin_probes
from preflight.model.config import Config, DatasetConfig, Settings, SourceConfig
from preflight.model.results import Check, ColumnProfile, TableProfile

if TYPE_CHECKING:
    from conftest import Scratch  # tests/conftest.py

pytestmark = pytest.mark.integration

TABLE_COMMENT = "Every signed-up reader, one row per account."
COLUMN_COMMENTS = {
    "reader_id": "Stable reader identifier.",
    "country": "ISO 3166-1 alpha-2 country of residence.",
    "plan": "Subscription plan: free, plus or premium.",
    "signed_up_at": "When the account was created (UTC).",
}


PROBES = {registered.name: registered for registered in builtin_probes()}


@pytest.fixture
def db(scratch: Scratch) -> Scratch:
    if scratch.dialect == "sqlite":
        pytest.skip("SQLite has no table or column comments; nothing to read back")
    return scratch


def make_table(db, name: str, *, comments: bool) -> sa.Table:
    def note(column: str) -> str | None:
        return COLUMN_COMMENTS[column] if comments else None

    return db.create(
        sa.Table(
            name,
            sa.MetaData(),
            sa.Column("reader_id", sa.Integer, primary_key=True, comment=note("reader_id")),
            sa.Column("country", sa.String(2), comment=note("country")),
            sa.Column("plan", sa.String(20), comment=note("plan")),
            sa.Column("signed_up_at", sa.DateTime, comment=note("signed_up_at")),
            comment=TABLE_COMMENT if comments else None,
        ),
        rows=[
            {"reader_id": 1, "country": "fr", "plan": "free", "signed_up_at": datetime(2025, 1, 1)}
        ],
    )


def profile_from_inspector(engine: sa.Engine, table: str) -> TableProfile:
    """What the profiler reports about comments, built by hand from the inspector."""
    table_comment, column_comments = read_db_comments(engine, table)
    columns = sa.inspect(engine).get_columns(table)
    return TableProfile(
        table=table,
        row_count=1,
        profiled_at=datetime.now(UTC),
        table_comment=table_comment,
        columns=tuple(
            ColumnProfile(
                name=c["name"],
                type=str(c["type"]),
                kind="other",
                null_count=0,
                comment=column_comments.get(c["name"]),
            )
            for c in columns
        ),
    )


def weighted_share(checks: list[Check]) -> float:
    total = sum(c.details["weight"] for c in checks)
    return sum(c.details["weight"] for c in checks if c.passed) / total


def assess(engine: sa.Engine, table: str) -> dict[str, Check]:
    bare = DatasetConfig(source="db", table=table)  # nothing documented in the catalog
    checks = assess_discoverability(
        "readers",
        bare,
        profile_from_inspector(engine, table),
        Settings(),
        dialect=engine.dialect.name,
    )
    return {c.id.removeprefix("discoverability."): c for c in checks}


def test_read_db_comments_returns_what_was_written(db: Scratch) -> None:
    commented = make_table(db, db.name("commented"), comments=True)
    plain = make_table(db, db.name("plain"), comments=False)
    assert read_db_comments(db.engine, commented.name) == (TABLE_COMMENT, COLUMN_COMMENTS)
    assert read_db_comments(db.engine, plain.name) == (None, {})


def test_comments_raise_the_discoverability_share(db: Scratch) -> None:
    with_comments = assess(db.engine, make_table(db, db.name("commented"), comments=True).name)
    without = assess(db.engine, make_table(db, db.name("plain"), comments=False).name)

    assert with_comments["description"].passed
    assert with_comments["description"].details["source"] == "database"
    assert with_comments["column_descriptions"].passed
    assert with_comments["column_descriptions"].details["sources"] == {"catalog": 0, "database": 4}
    assert not without["description"].passed
    assert not without["column_descriptions"].passed
    assert without["column_descriptions"].observed == 0.0

    share_with = weighted_share(list(with_comments.values()))
    share_without = weighted_share(list(without.values()))
    assert share_with > share_without
    assert share_with - share_without == pytest.approx(5 / 17)  # description 3 + columns 2


def test_the_registered_probe_reports_facts(db: Scratch, tmp_path: Path) -> None:
    table = make_table(db, db.name("commented"), comments=True).name
    dataset = DatasetConfig(source="db", table=table, owner="data@example.org")
    config = Config(
        directory=tmp_path,
        sources={"db": SourceConfig(url=db.url)},
        datasets={"readers": dataset},
    )
    ctx = ProbeContext(
        name="readers",
        dataset=dataset,
        config=config,
        engine=db.engine,
        profile=profile_from_inspector(db.engine, table),
        now=datetime.now(UTC),
    )
    assert PROBES["discoverability"] is discoverability
    checks = list(PROBES["discoverability"].func(ctx))
    assert ctx.facts["discoverability"] == {
        c.id.removeprefix("discoverability."): c.passed for c in checks
    }
    assert ctx.facts["discoverability"]["description"] is True
    assert ctx.facts["discoverability"]["owner"] is True
    assert ctx.facts["discoverability"]["classification"] is False


def test_the_profiler_reports_the_same_comments(db: Scratch) -> None:
    profiling = pytest.importorskip("preflight.measure.profile", reason="the profiler is not built yet")
    table = make_table(db, db.name("commented"), comments=True).name
    profile = profiling.profile_table(db.engine, table)
    table_comment, column_comments = read_db_comments(db.engine, table)
    assert profile.table_comment == table_comment
    assert {c.name: c.comment for c in profile.columns if c.comment} == column_comments


def test_read_db_comments_on_sqlite_is_empty(tmp_path: Path) -> None:
    """SQLite keeps no comments: the helper says so with empties instead of raising."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'lite.db'}")
    sa.Table("readers", sa.MetaData(), sa.Column("reader_id", sa.Integer, comment="x")).create(
        engine
    )
    assert read_db_comments(engine, "readers") == (None, {})
    engine.dispose()

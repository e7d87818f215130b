"""Every query shape of join coverage gives the same figures on every engine, whichever
one the engine's spec runs: composite keys with mixed-case and spaced names, NULL key
parts on both sides, duplicated parent keys, and a dataset that references itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.engines import spec_for
from preflight.engines.coverage import JOIN_COVERAGE_SHAPES, join_coverage_query
from preflight.measure.use_case import measure_cross
from preflight.model.config import KeyRef
from preflight.model.evidence import CrossPlan, JoinCoverage, JoinRequest


@pytest.fixture
def world(any_scratch):  # noqa: ANN001, ANN201
    db = any_scratch
    meta = sa.MetaData()
    orders = db.create(
        sa.Table(db.name("par_Orders"), meta, sa.Column("id", sa.Integer),
                 sa.Column("Region", sa.String(8)), sa.Column("order no", sa.Integer)),
        [{"id": i, "Region": r, "order no": n} for i, (r, n) in enumerate(
            [("eu", 1), ("eu", 1), ("eu", 1), ("eu", 2), ("us", 1), ("EU", 1), (None, 3), ("us", None)])],
    )
    # Complete keys: lines 1-5 (1, 2, 3 found; ("us", 3) and ("ap", 2) not); 6-7 have a NULL part.
    lines = db.create(
        sa.Table(db.name("par_lines"), meta, sa.Column("line", sa.Integer),
                 sa.Column("region", sa.String(8)), sa.Column("order_no", sa.Integer)),
        [{"line": 1, "region": "eu", "order_no": 1}, {"line": 2, "region": "eu", "order_no": 2},
         {"line": 3, "region": "us", "order_no": 1}, {"line": 4, "region": "us", "order_no": 3},
         {"line": 5, "region": "ap", "order_no": 2}, {"line": 6, "region": None, "order_no": 3},
         {"line": 7, "region": "us", "order_no": None}],
    )
    # People and their managers: 2 of the 3 managers named exist; one person has none.
    people = db.create(
        sa.Table(db.name("par_people"), meta, sa.Column("id", sa.Integer), sa.Column("manager", sa.Integer)),
        [{"id": 1, "manager": None}, {"id": 2, "manager": 1}, {"id": 3, "manager": 1},
         {"id": 4, "manager": 2}, {"id": 5, "manager": 9}],
    )
    db.release()
    return db, orders, lines, people


def test_every_shape_counts_the_same(world) -> None:  # noqa: ANN001
    db, orders, lines, people = world
    parent = orders.alias("parent")
    with db.engine.connect() as conn:
        for shape in JOIN_COVERAGE_SHAPES:
            query = join_coverage_query(
                shape, lines, [lines.c.region, lines.c.order_no], [parent.c.Region, parent.c["order no"]]
            )
            assert tuple(int(n) for n in conn.execute(query).one()) == (5, 3), shape
            one_column = join_coverage_query(shape, lines, [lines.c.order_no], [parent.c["order no"]])
            assert tuple(int(n) for n in conn.execute(one_column).one()) == (6, 6), shape
            managers = people.alias("parent")
            itself = join_coverage_query(shape, people, [people.c.manager], [managers.c.id])
            assert tuple(int(n) for n in conn.execute(itself).one()) == (4, 3), shape


def test_the_engines_shape_measures_through_the_pipeline(world, tmp_path: Path) -> None:  # noqa: ANN001
    db, orders, lines, people = world
    assert spec_for(db.engine).join_coverage_shape in JOIN_COVERAGE_SHAPES
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": db.url}},
        "datasets": {
            "orders": {"source": "db", "table": str(orders.name)},
            "lines": {"source": "db", "table": str(lines.name)},
            "people": {"source": "db", "table": str(people.name)},
        },
        "use_cases": {"rec": {"kind": "analytics", "datasets": ["orders", "lines", "people"]}},
    }))
    config = load_config(tmp_path)
    plan = CrossPlan(joins=(
        JoinRequest(source=KeyRef(dataset="lines", columns=("region", "order_no")),
                    target=KeyRef(dataset="orders", columns=("Region", "order no")), min_coverage=0.9),
        JoinRequest(source=KeyRef(dataset="people", columns=("manager",)),
                    target=KeyRef(dataset="people", columns=("id",)), min_coverage=0.9),
    ))
    found = [e for e in measure_cross(config, plan) if isinstance(e, JoinCoverage)]
    assert [(e.figures.rows, e.figures.matched) if e.figures else e.reason for e in found] == [(5, 3), (4, 3)]

"""The query shapes of join coverage: of a child's rows whose key is complete (no NULL
part), how many find their key among the parent's complete keys.

Every shape returns one row, ``(rows, matched)``, with the same figures; they differ
only in how fast an engine runs them without an index (measured in docs/decisions.md,
"Join coverage: one query shape per engine"). Each :class:`~preflight.engines.base.EngineSpec`
names the shape its engine runs fastest (``join_coverage_shape``).

- ``left_join``: the child LEFT JOIN the parent's DISTINCT keys; ``matched`` counts the
  joined rows (the distinct keys make sure a duplicated parent key never counts twice).
- ``in_subquery``: ``matched`` counts the rows whose key is ``IN (SELECT DISTINCT ...)``
  the parent's keys, a semi-join the engine may hash or materialise with an index.
- ``exists``: two scans of the child, the second filtered by ``EXISTS`` (a semi-join
  in the WHERE clause, which planners decorrelate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

__all__ = ["JOIN_COVERAGE_SHAPES", "join_coverage_query"]

Columns = Sequence[sa.ColumnElement[Any]]


def _complete(cols: Columns) -> list[sa.ColumnElement[bool]]:
    return [col.is_not(None) for col in cols]


def _parent_keys(parent_cols: Columns) -> sa.Subquery:
    return (
        sa.select(*(col.label(f"k{i}") for i, col in enumerate(parent_cols)))
        .where(*_complete(parent_cols))
        .distinct()
        .subquery()
    )


def _left_join(child: sa.FromClause, child_keys: Columns, parent_cols: Columns) -> sa.Select[Any, Any]:
    keys = _parent_keys(parent_cols)
    on = sa.and_(*(col == keys.c[f"k{i}"] for i, col in enumerate(child_keys)))
    return (
        sa.select(sa.func.count(), sa.func.count(keys.c.k0))
        .select_from(child.outerjoin(keys, on))
        .where(*_complete(child_keys))
    )


def _key(cols: Columns) -> sa.ColumnElement[Any]:
    return cols[0] if len(cols) == 1 else sa.tuple_(*cols)


def _in_subquery(child: sa.FromClause, child_keys: Columns, parent_cols: Columns) -> sa.Select[Any, Any]:
    keys = sa.select(*parent_cols).where(*_complete(parent_cols)).distinct()
    found = sa.case((_key(child_keys).in_(keys), 1), else_=0)
    return (
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(found), 0))
        .select_from(child)
        .where(*_complete(child_keys))
    )


def _exists(child: sa.FromClause, child_keys: Columns, parent_cols: Columns) -> sa.Select[Any, Any]:
    matching = sa.exists().where(*(p == c for p, c in zip(parent_cols, child_keys, strict=True)))
    rows = sa.select(sa.func.count()).select_from(child).where(*_complete(child_keys)).scalar_subquery()
    matched = (
        sa.select(sa.func.count()).select_from(child).where(*_complete(child_keys), matching).scalar_subquery()
    )
    return sa.select(rows, matched)


JOIN_COVERAGE_SHAPES: dict[str, Callable[[sa.FromClause, Columns, Columns], sa.Select[Any, Any]]] = {
    "left_join": _left_join,
    "in_subquery": _in_subquery,
    "exists": _exists,
}


def join_coverage_query(shape: str, child: sa.FromClause, child_keys: Columns, parent_cols: Columns) -> sa.Select[Any, Any]:
    """``SELECT rows, matched`` in ``shape`` (one of :data:`JOIN_COVERAGE_SHAPES`).

    ``parent_cols`` must be columns of an alias of the parent, even when it is a
    different table: a dataset that references itself (a manager's id) is then still
    joined to itself rather than correlated away."""
    return JOIN_COVERAGE_SHAPES[shape](child, child_keys, parent_cols)

"""The results store: every run, dataset audit, check and verdict, through SQLAlchemy.

SQLite under ``$PREFLIGHT_HOME`` by default, any SQLAlchemy URL when configured
(``settings.results_url`` or ``PREFLIGHT_RESULTS_URL``). The schema is created by
Alembic migrations shipped in the package. Writes are idempotent per run: saving a
dataset audit or a verdict again for the same run replaces the earlier one, so a
retried Airflow task never duplicates results. Reports, history checks and the UI
plugin all read from here. Launch approvals (a named person's time-boxed waiver of an
at-risk verdict, or a rejection) are only ever added, never replaced.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from preflight import settings
from preflight.engines import spec_for
from preflight.errors import StoreError
from preflight.model.approvals import ApprovalDecision, LaunchApproval
from preflight.model.results import AuditScope, DatasetAudit, RunResult, Verdict

__all__ = ["ResultsStore", "close_stores", "dispose_stores", "open_store"]

_meta = sa.MetaData()
runs = sa.Table(
    "preflight_runs",
    _meta,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("trigger", sa.String(50)),
    sa.Column("config_dir", sa.String(1000)),
    sa.Column("platform_fixes", sa.JSON),
    sa.Column("scope", sa.JSON),
)
audits = sa.Table(
    "preflight_dataset_audits",
    _meta,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("dataset", sa.String(250), primary_key=True),
    sa.Column("source", sa.String(250)),
    sa.Column("status", sa.String(20)),
    sa.Column("reason", sa.Text),
    sa.Column("row_count", sa.BigInteger),
    sa.Column("scores", sa.JSON),
    sa.Column("payload", sa.JSON),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)
checks = sa.Table(
    "preflight_checks",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(250)),
    sa.Column("subject_type", sa.String(20)),
    sa.Column("subject", sa.String(250)),
    sa.Column("check_id", sa.String(500)),
    sa.Column("dimension", sa.String(40)),
    sa.Column("severity", sa.String(20)),
    sa.Column("passed", sa.Boolean),
    sa.Column("waived", sa.Boolean),
    sa.Column("dataset", sa.String(250)),
    sa.Column("message", sa.Text),
)
verdicts = sa.Table(
    "preflight_verdicts",
    _meta,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("use_case", sa.String(250), primary_key=True),
    sa.Column("kind", sa.String(40)),
    sa.Column("verdict", sa.String(20)),
    sa.Column("score", sa.Integer),
    sa.Column("readiness_level", sa.String(10)),
    sa.Column("payload", sa.JSON),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
)
approvals = sa.Table(
    "preflight_launch_approvals",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("use_case", sa.String(250)),
    sa.Column("run_id", sa.String(250)),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("verdict", sa.String(20)),
    sa.Column("score", sa.Integer),
    sa.Column("decision", sa.String(20)),
    sa.Column("approver_id", sa.String(250)),
    sa.Column("approver_name", sa.String(250)),
    sa.Column("reason", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("origin", sa.String(1000)),
)


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything Preflight stores is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class ResultsStore:
    def __init__(self, url: str) -> None:
        self.url = url
        # The store is Preflight's own, written to: not a guarded (read-only) source engine.
        self.spec = spec_for(sa.make_url(url))
        self.engine = self.spec.store_engine(sa.make_url(url))

    def migrate(self) -> ResultsStore:
        """Bring the schema to the newest migration (safe to call on every start, and from
        several processes at once: the engine's migration lock makes them take turns)."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self.engine.begin() as conn, self.spec.migration_lock(conn):
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except sa.exc.SQLAlchemyError as exc:
            # Only statement errors wrap a DBAPI exception in ``orig``; others are the cause.
            cause = exc.orig if isinstance(exc, sa.exc.StatementError) else exc
            raise StoreError(f"cannot migrate the results store: {type(exc).__name__}: {cause}") from None
        return self

    # -- writing -------------------------------------------------------------------

    def start_run(
        self, run_id: str, *, started_at: datetime, trigger: str, config_dir: str | None,
        scope: AuditScope | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(runs.c.run_id).where(runs.c.run_id == run_id)).first()
            if exists is None:
                conn.execute(
                    runs.insert().values(
                        run_id=run_id, started_at=started_at, trigger=trigger, config_dir=config_dir,
                        scope=scope.model_dump(mode="json") if scope is not None else None,
                    )
                )

    def save_audit(self, run_id: str, audit: DatasetAudit) -> None:
        payload = audit.model_dump(mode="json")
        with self.engine.begin() as conn:
            conn.execute(audits.delete().where(audits.c.run_id == run_id, audits.c.dataset == audit.name))
            conn.execute(
                checks.delete().where(
                    checks.c.run_id == run_id, checks.c.subject_type == "dataset", checks.c.subject == audit.name
                )
            )
            conn.execute(
                audits.insert().values(
                    run_id=run_id,
                    dataset=audit.name,
                    source=audit.source,
                    status=audit.status.value,
                    reason=audit.reason,
                    row_count=audit.row_count,
                    scores=audit.scores,
                    payload=payload,
                    finished_at=audit.finished_at,
                )
            )
            self._insert_checks(conn, run_id, "dataset", audit.name, payload["checks"])

    def save_verdicts(
        self,
        run_id: str,
        results: Iterable[Verdict],
        *,
        platform_fixes: Iterable[dict[str, Any]] = (),
        finished_at: datetime,
    ) -> None:
        results = list(results)
        with self.engine.begin() as conn:
            conn.execute(verdicts.delete().where(verdicts.c.run_id == run_id))
            conn.execute(checks.delete().where(checks.c.run_id == run_id, checks.c.subject_type == "use_case"))
            for verdict in results:
                payload = verdict.model_dump(mode="json")
                conn.execute(
                    verdicts.insert().values(
                        run_id=run_id,
                        use_case=verdict.use_case,
                        kind=verdict.kind,
                        verdict=verdict.verdict.value,
                        score=verdict.score,
                        readiness_level=verdict.readiness_level,
                        payload=payload,
                        decided_at=finished_at,
                    )
                )
                self._insert_checks(conn, run_id, "use_case", verdict.use_case, payload["checks"])
            conn.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(finished_at=finished_at, platform_fixes=list(platform_fixes))
            )

    @staticmethod
    def _insert_checks(conn: sa.Connection, run_id: str, subject_type: str, subject: str, rows: list[dict]) -> None:
        if rows:
            conn.execute(
                checks.insert(),
                [
                    {
                        "run_id": run_id,
                        "subject_type": subject_type,
                        "subject": subject,
                        "check_id": c["id"],
                        "dimension": c["dimension"],
                        "severity": c["severity"],
                        "passed": c["passed"],
                        "waived": c.get("waived", False),
                        "dataset": c.get("dataset"),
                        "message": c["message"],
                    }
                    for c in rows
                ],
            )

    def save_approval(self, approval: LaunchApproval) -> LaunchApproval:
        """Record a launch approval (or rejection); returns it with its row id. Records
        are only ever added: the store keeps every decision, who made it and when."""
        values = approval.model_dump(mode="python", exclude={"id"})
        values["decision"] = approval.decision.value
        with self.engine.begin() as conn:
            row_id = conn.execute(approvals.insert().values(**values)).inserted_primary_key
        assert row_id is not None
        return approval.model_copy(update={"id": row_id[0]})

    # -- reading -------------------------------------------------------------------

    def launch_approvals(self, use_case: str, *, run_id: str | None = None, limit: int = 100) -> list[LaunchApproval]:
        """Approvals and rejections of ``use_case`` (of one audit run's verdict when
        ``run_id`` is given), the newest decision first."""
        query = (
            sa.select(approvals)
            .where(approvals.c.use_case == use_case)
            .order_by(approvals.c.decided_at.desc(), approvals.c.id.desc())
            .limit(limit)
        )
        if run_id is not None:
            query = query.where(approvals.c.run_id == run_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            LaunchApproval.model_validate({
                **row,
                "decision": ApprovalDecision(row["decision"]),
                "decided_at": _aware(row["decided_at"]),
                "expires_at": _aware(row["expires_at"]),
            })
            for row in rows
        ]

    def audited_datasets(self, run_id: str) -> set[str]:
        """Names of the datasets with a stored audit in ``run_id`` (no payloads loaded)."""
        with self.engine.connect() as conn:
            return set(conn.scalars(sa.select(audits.c.dataset).where(audits.c.run_id == run_id)))

    def load_audits(self, run_id: str) -> list[DatasetAudit]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(audits.c.payload).where(audits.c.run_id == run_id).order_by(audits.c.dataset)
            ).scalars()
            return [DatasetAudit.model_validate(payload) for payload in rows]

    def run_scope(self, run_id: str) -> AuditScope | None:
        """What ``run_id`` was asked to audit (None: everything), without its payloads."""
        with self.engine.connect() as conn:
            scope = conn.execute(sa.select(runs.c.scope).where(runs.c.run_id == run_id)).scalar()
        return AuditScope.model_validate(scope) if scope else None

    def load_run(self, run_id: str | None = None, *, datasets: Sequence[DatasetAudit] | None = None) -> RunResult:
        """A stored run; ``datasets``, when the caller has just loaded them, saves
        reading and validating every audit payload again."""
        run_id = run_id or self.latest_run_id()
        if run_id is None:
            raise StoreError("no finished audit in the results store yet: run `preflight audit` first")
        with self.engine.connect() as conn:
            run = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().first()
            if run is None:
                raise StoreError(f"no run {run_id!r} in the results store")
            payloads = conn.execute(
                sa.select(verdicts.c.payload).where(verdicts.c.run_id == run_id).order_by(verdicts.c.use_case)
            ).scalars()
            use_cases = tuple(Verdict.model_validate(p) for p in payloads)
        return RunResult(
            run_id=run_id,
            started_at=_aware(run["started_at"]),
            finished_at=_aware(run["finished_at"]),
            scope=AuditScope.model_validate(run["scope"]) if run["scope"] else None,
            datasets=tuple(self.load_audits(run_id) if datasets is None else datasets),
            use_cases=use_cases,
            platform_fixes=tuple(run["platform_fixes"] or ()),
        )

    def latest_run_id(self) -> str | None:
        """The finished run that *started* last (re-finishing an old run never makes it
        the latest: clearing an old DAG run's evaluate task must not move the gate)."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(runs.c.run_id)
                .where(runs.c.finished_at.is_not(None))
                .order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
                .limit(1)
            ).scalar()

    def latest_audit(self, dataset: str, *, besides: str) -> tuple[str, DatasetAudit] | None:
        """(run id, audit) of ``dataset``'s newest audit in a finished run other than
        ``besides`` (by run start), whatever its status: a targeted run carries it over."""
        query = (
            sa.select(audits.c.run_id, audits.c.payload)
            .join(runs, runs.c.run_id == audits.c.run_id)
            .where(audits.c.dataset == dataset, audits.c.run_id != besides, runs.c.finished_at.is_not(None))
            .order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return (row.run_id, DatasetAudit.model_validate(row.payload)) if row else None

    def finished_run_ids(self, limit: int = 1000) -> list[str]:
        """Finished runs, the one that started last first."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(runs.c.run_id)
                    .where(runs.c.finished_at.is_not(None))
                    .order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
                    .limit(limit)
                ).scalars()
            )

    def latest_verdict(self, use_case: str) -> tuple[RunResult, Verdict] | None:
        """The newest finished run (by start) that judged ``use_case``, with its verdict;
        the run is returned without its dataset audits."""
        query = (
            sa.select(runs.c.run_id, runs.c.started_at, runs.c.finished_at, verdicts.c.payload)
            .join(verdicts, verdicts.c.run_id == runs.c.run_id)
            .where(verdicts.c.use_case == use_case, runs.c.finished_at.is_not(None))
            .order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        verdict = Verdict.model_validate(row.payload)
        run = RunResult(
            run_id=row.run_id,
            started_at=_aware(row.started_at),
            finished_at=_aware(row.finished_at),
            use_cases=(verdict,),
        )
        return run, verdict

    def dataset_history(self, dataset: str, *, before: str | None = None, limit: int = 20) -> list[DatasetAudit]:
        """Earlier successful audits of a dataset, newest first (excluding run ``before``)."""
        query = (
            sa.select(audits.c.payload)
            .join(runs, runs.c.run_id == audits.c.run_id)
            .where(audits.c.dataset == dataset, audits.c.status == "ok")
            .order_by(runs.c.started_at.desc(), audits.c.finished_at.desc())
            .limit(limit)
        )
        if before:
            query = query.where(audits.c.run_id != before)
        with self.engine.connect() as conn:
            return [DatasetAudit.model_validate(p) for p in conn.execute(query).scalars()]

    def use_case_history(self, use_case: str, *, limit: int = 30) -> list[dict[str, Any]]:
        """Past verdicts of a use case, oldest first: run_id, decided_at, verdict, score, level."""
        query = (
            sa.select(verdicts.c.run_id, verdicts.c.decided_at, verdicts.c.verdict, verdicts.c.score, verdicts.c.readiness_level)
            .join(runs, runs.c.run_id == verdicts.c.run_id)
            .where(verdicts.c.use_case == use_case, runs.c.finished_at.is_not(None))
            .order_by(runs.c.started_at.desc(), verdicts.c.run_id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            row["decided_at"] = _aware(row["decided_at"])
        return list(reversed(rows))


_STORES: dict[str, ResultsStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(configured_url: str | None = None) -> ResultsStore:
    """The process's one migrated store for ``configured_url`` (``settings.results_url``;
    :func:`preflight.settings.results_url` says which URL wins).

    Each URL gets one engine (one connection pool) for the life of the process, migrated
    on first use and disposed at exit: the pipeline steps and the UI's requests share it.
    """
    url = settings.results_url(configured_url)
    with _STORES_LOCK:
        store = _STORES.get(url)
        if store is None:
            store = ResultsStore(url).migrate()
            _STORES[url] = store
        return store


@atexit.register
def close_stores() -> None:
    """Dispose every store's engine (at exit; tests that switch ``PREFLIGHT_HOME``)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.engine.dispose()
        _STORES.clear()


def dispose_stores() -> None:
    """Close every store's pooled connections and keep the stores (they reconnect on
    demand): before a fork, so that parent and child never share a connection."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.engine.dispose()

"""The dataset audits of one CLI run, on several cores: a few worker processes.

Processes, not threads: an audit is mostly CPU-bound Python (text checks), which
threads would run on one core. The workers are forked, so they inherit the imports
(seconds of CPU each otherwise) and the loaded configuration; the parent empties its
connection pools before every fork, so no database connection is ever shared.

Workers audit and record: each measures its dataset, stores the audit, logs it and
emits its lineage, as the sequential loop does, then tells the parent only the
dataset's status and the log records it made, which the parent logs as its own. Storing
in the parent cost it ~3 ms per audit on the cores the workers measure on (unpickling
the audit, the store's transaction, lineage), enough to keep 1,000 small datasets from
using two cores. Concurrent writers are safe: a SQLite store runs in WAL mode with a
busy timeout, and every write replaces the dataset's earlier audit of the run. A worker
that raises, or dies (a segfault in a driver, the out-of-memory killer), costs its
dataset only: the parent records an ``error`` audit saying why (fail closed; it replaces
whatever the worker stored) and a fresh worker takes the next one.

At most ``workers`` datasets are audited at once, and never more of one source's
datasets than its ``max_concurrent_audits``. Ctrl-C reaches the parent only (workers
ignore SIGINT); the parent then stops every worker and re-raises.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from preflight.engines import dispose_engines, safe_reason
from preflight.measure.audit import failed_audit
from preflight.model.config import DEFAULT_MAX_CONCURRENT_AUDITS, Config
from preflight.model.results import DatasetAudit, DatasetStatus
from preflight.run.store import dispose_stores

__all__ = ["audit_in_workers", "usable_cores"]

log = logging.getLogger(__name__)

# Audits and records one dataset in a worker, returning its status.
AuditAndRecord = Callable[[Config, str, str], DatasetStatus]

# How long a worker told to stop (or terminated) may take before it is killed.
_STOP_SECONDS = 5.0


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counted is not None:
        return max(counted() or 1, 1)
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    dataset: str | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def audit_in_workers(
    config: Config,
    run_id: str,
    datasets: Sequence[str],
    *,
    workers: int,
    audit: AuditAndRecord,
    record: Callable[[DatasetAudit], None],
    done: Callable[[str, DatasetStatus], None],
) -> None:
    """Audit and record ``datasets`` with ``audit`` in up to ``workers`` processes; call
    ``done`` in this process as each finishes (in completion order). A dataset whose
    worker failed gets an ``error`` audit, recorded here with ``record``."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pending = list(datasets)
    busy: Counter[str] = Counter()  # datasets in flight per source
    idle: list[_Worker] = []
    running: list[_Worker] = []
    finished = False

    def source_of(dataset: str) -> str:
        return config.datasets[dataset].source

    def startable() -> str | None:
        for dataset in pending:
            source = config.sources.get(source_of(dataset))
            limit = source.max_concurrent_audits if source is not None else DEFAULT_MAX_CONCURRENT_AUDITS
            if busy[source_of(dataset)] < limit:
                return dataset
        return None

    def dispatch() -> None:
        while len(running) < workers and (dataset := startable()) is not None:
            worker = idle.pop() if idle else _start(context, config, run_id, audit)
            if not worker.process.is_alive():  # died while idle: replace it
                _stop([worker], gently=False)
                worker = _start(context, config, run_id, audit)
            pending.remove(dataset)
            busy[source_of(dataset)] += 1
            worker.dataset, worker.started = dataset, datetime.now(UTC)
            worker.conn.send(dataset)
            running.append(worker)

    try:
        dispatch()
        while running:
            ready = set(wait([*(w.conn for w in running), *(w.process.sentinel for w in running)]))
            arrived: list[tuple[str, DatasetStatus | DatasetAudit]] = []
            for worker in [w for w in running if w.conn in ready or w.process.sentinel in ready]:
                running.remove(worker)
                assert worker.dataset is not None
                busy[source_of(worker.dataset)] -= 1
                outcome, alive = _outcome(config, worker)
                if alive:
                    idle.append(worker)
                else:
                    _stop([worker], gently=False)
                arrived.append((worker.dataset, outcome))
            # The workers get their next dataset before this process records a failure.
            dispatch()
            for dataset, outcome in arrived:
                if isinstance(outcome, DatasetAudit):  # its worker failed: fail closed
                    record(outcome)
                    outcome = outcome.status
                done(dataset, outcome)
        finished = True
    finally:
        # Done: each worker is told to stop. Interrupted or failed: they are terminated.
        _stop([*idle, *running], gently=finished)


def _start(context: Any, config: Config, run_id: str, audit: AuditAndRecord) -> _Worker:
    ours, theirs = context.Pipe()
    # A forked child must find no pooled connection it would share with this process.
    dispose_stores()
    dispose_engines()
    process = context.Process(
        target=_serve, args=(theirs, config, run_id, audit), name="preflight-audit-worker", daemon=True
    )
    process.start()
    theirs.close()
    return _Worker(process=process, conn=ours)


def _outcome(config: Config, worker: _Worker) -> tuple[DatasetStatus | DatasetAudit, bool]:
    """The status of the dataset the worker audited and recorded, and whether the worker
    lives on; a worker that failed, died or sent something unreadable gives its dataset a
    fail-closed ``error`` audit, still to be recorded."""
    dataset = worker.dataset
    assert dataset is not None
    try:
        if worker.conn.poll():
            status, name, payload, records = worker.conn.recv()
            _replay(records)
            if name != dataset:  # the protocol is one request, one answer: never expected
                raise RuntimeError(f"a worker answered for {name!r} while auditing {dataset!r}")
            if status == "ok":
                return DatasetStatus(payload), True
            reason = f"its audit failed in a worker process: {payload}"
            return failed_audit(config, dataset, reason, started=worker.started), True
    except (EOFError, OSError):
        pass  # the worker died: its exit code says how, below
    except Exception as exc:  # an answer that cannot be read
        reason = f"its worker process sent an unreadable answer: {safe_reason(exc)}"
        return failed_audit(config, dataset, reason, started=worker.started), False
    worker.process.join(_STOP_SECONDS)
    code = worker.process.exitcode
    how = f"was killed by signal {_signal_name(-code)}" if code is not None and code < 0 else f"exited with code {code}"
    log.error("the worker process auditing %s %s", dataset, how)
    reason = f"the worker process auditing it {how} before it finished"
    return failed_audit(config, dataset, reason, started=worker.started), False


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _stop(workers: Sequence[_Worker], *, gently: bool) -> None:
    for worker in workers:
        if gently:
            try:
                worker.conn.send(None)
            except OSError:
                pass  # already gone
        elif worker.process.is_alive():
            worker.process.terminate()
    for worker in workers:
        worker.process.join(_STOP_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()


def _serve(conn: Connection, config: Config, run_id: str, audit: AuditAndRecord) -> None:
    """A worker: audit and record each dataset the parent sends, answer with its status
    and the log records it made; stop on None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops us
    _own_stderr()
    records = _collect_logs()
    while True:
        try:
            dataset = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if dataset is None:
            return
        records.clear()
        try:
            answer: tuple[str, str, Any] = ("ok", dataset, audit(config, run_id, dataset).value)
        except Exception as exc:  # an audit fails closed itself; this is the last net (the store)
            answer = ("failed", dataset, safe_reason(exc))
        try:
            conn.send((*answer, list(records)))
        except (EOFError, OSError):
            return
        except Exception as exc:  # a log record that cannot be pickled: a bug, this dataset only
            conn.send(("failed", dataset, safe_reason(exc), []))


class _Collector(logging.Handler):
    """Keeps a worker's log records, made picklable, for the parent to log as its own."""

    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)


def _collect_logs() -> list[logging.LogRecord]:
    """Route this worker's logging to a list the parent replays (the CLI's handlers, a
    test's log capture, the leak checks all see the workers' records)."""
    records: list[logging.LogRecord] = []
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_Collector(records))
    return records


def _replay(records: Sequence[logging.LogRecord]) -> None:
    for record in records:
        logging.getLogger(record.name).handle(record)


def _own_stderr() -> None:
    """Write through a stderr file object of this process's own: a thread of the parent
    (the CLI's progress bar) may have held the inherited one's lock at the fork."""
    if sys.platform == "win32":
        return
    try:
        sys.stderr = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    except OSError:
        pass

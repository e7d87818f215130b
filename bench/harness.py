"""The measuring core of `make bench`: whole processes, interleaved, medians.

A case is a baseline and its contenders, each a command run as a whole subprocess (so
imports and interpreter start count). The variants run interleaved, A B C, A B C, ...,
so a burst of load elsewhere hits all of them alike, and each figure is the median of
the runs. Per run we record:

- ``cpu_s``: user + system CPU of the process and every descendant it waited for
  (``os.wait4``'s rusage, taken by :mod:`bench.spawn`), i.e. the client side;
- ``server_cpu_s``: CPU the database server processes spent during the run (PostgreSQL:
  every ``postgres`` process plus what the postmaster reaped from exited backends;
  MariaDB: the ``mariadbd`` process, all threads). Server-wide, so another session's work
  in the same seconds counts too: the load average beside each case says how busy it was;
- ``wall_s``, ``peak_rss_mb`` (the largest resident set of the process or a descendant,
  its own: see :mod:`bench.spawn`);
- ``inner``: figures the process printed about itself as one JSON line starting with
  ``BENCH `` (e.g. the CPU of one query after imports), when a case needs them.

SQLite runs inside the client, so its server CPU is zero by construction.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")
INNER_PREFIX = "BENCH "


@dataclass(frozen=True)
class Variant:
    """One command of a case; ``server`` names the database server whose CPU counts."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    server: str | None = None  # "postgresql" | "mariadb" | None
    timeout: float = 3600.0
    ok_codes: tuple[int, ...] = (0,)  # `preflight audit` exits 1 when a use case is blocked


@dataclass
class Run:
    variant: str
    round: int
    cpu_s: float
    wall_s: float
    peak_rss_mb: float
    server_cpu_s: float | None = None
    returncode: int = 0
    inner: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def interleave(variants: Sequence[str], runs: int) -> Iterator[tuple[int, str]]:
    """(round, variant) in the order they run: every variant once per round."""
    for round_ in range(runs):
        for name in variants:
            yield round_, name


def median(values: Sequence[float | None]) -> float | None:
    """The median of the measured values; None when none was measured."""
    measured = [v for v in values if v is not None]
    return statistics.median(measured) if measured else None


# --- server CPU ------------------------------------------------------------------------


def _proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces: split after its closing parenthesis.
    return raw[raw.rindex(")") + 2 :].split()


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def server_cpu_seconds(server: str) -> float | None:
    """Total CPU seconds so far of a local database server's processes; None when the
    server's processes cannot be seen from here (a remote or containerised server)."""
    names = {"postgresql": ("postgres",), "mariadb": ("mariadbd", "mysqld")}[server]
    ticks = 0
    found = False
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or _comm(int(entry.name)) not in names:
            continue
        fields = _proc_stat(int(entry.name))
        if fields is None:
            continue
        found = True
        # fields[11..14] are utime, stime, cutime, cstime (stat fields 14-17). Reaped
        # children's time lands in the parent's cutime/cstime: ended backends still count.
        ticks += sum(int(v) for v in fields[11:15])
    return ticks / CLK_TCK if found else None


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of one server process (e.g. a PostgreSQL backend from pg_backend_pid())."""
    fields = _proc_stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / CLK_TCK


# --- one run ---------------------------------------------------------------------------


def parse_inner(stdout: str) -> dict[str, Any]:
    """The last ``BENCH {json}`` line a process printed ({} when none)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(INNER_PREFIX):
            return dict(json.loads(line[len(INNER_PREFIX) :]))
    return {}


SPAWN = Path(__file__).resolve().with_name("spawn.py")


def measure(variant: Variant, round_: int, log: Path | None = None) -> Run:
    """Run one variant once as a whole subprocess and measure it (through :mod:`bench.spawn`,
    so its peak RSS is its own and not the harness's)."""
    env = {**os.environ, **(variant.env or {})}
    server_before = server_cpu_seconds(variant.server) if variant.server else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(SPAWN), result.name, *variant.argv],
            env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        error = None
        try:
            process.wait(timeout=variant.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the command too, not only the spawner
            process.wait()
            error = f"timed out after {variant.timeout:.0f} s"
        wall = time.perf_counter() - started
        server_after = server_cpu_seconds(variant.server) if variant.server else None
        raw = result.read()
        usage = json.loads(raw) if raw else {"cpu_s": 0.0, "peak_rss_mb": 0.0, "wall_s": wall}
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"=== {variant.name} round {round_}: {' '.join(variant.argv)}\n")
            handle.write(stdout[-4000:] + "\n--- stderr\n" + stderr[-4000:] + "\n")
    if error is None and process.returncode not in variant.ok_codes:
        error = f"exit {process.returncode}: {(stderr.strip().splitlines() or [''])[-1][:300]}"
    server = None
    if server_before is not None and server_after is not None:
        server = server_after - server_before
    return Run(
        variant=variant.name,
        round=round_,
        cpu_s=usage["cpu_s"],
        wall_s=usage["wall_s"],
        peak_rss_mb=usage["peak_rss_mb"],
        server_cpu_s=server,
        returncode=process.returncode,
        inner=parse_inner(stdout),
        error=error,
    )


def work_total_cpu(run: Run) -> float | None:
    """The work's client CPU plus its server CPU: the session's backend where the process
    measured it, else the server-wide figure of the whole run (MariaDB); None without work."""
    client = run.inner.get("work_cpu_s")
    if client is None:
        return None
    server = run.inner.get("work_server_cpu_s", run.server_cpu_s)
    return float(client) + float(server or 0.0)


# --- one case --------------------------------------------------------------------------


@dataclass
class CaseResult:
    name: str
    title: str
    baseline: str
    runs: list[Run]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    seconds: float
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    derived: dict[str, Any] = field(default_factory=dict)

    def variants(self) -> list[str]:
        return list(dict.fromkeys(r.variant for r in self.runs))

    def of(self, variant: str) -> list[Run]:
        return [r for r in self.runs if r.variant == variant]

    def summary(self, variant: str) -> dict[str, Any]:
        """Medians of one variant's successful runs (errors are reported, never averaged in)."""
        runs = self.of(variant)
        good = [r for r in runs if r.error is None]
        inner_keys = sorted({k for r in good for k, v in r.inner.items() if isinstance(v, int | float)})
        return {
            "runs": len(runs),
            "failed": len(runs) - len(good),
            "errors": sorted({r.error for r in runs if r.error}),
            "cpu_s": median([r.cpu_s for r in good]),
            "server_cpu_s": median([r.server_cpu_s for r in good]),
            "total_cpu_s": median(
                [r.cpu_s + r.server_cpu_s if r.server_cpu_s is not None else r.cpu_s for r in good]
            ),
            "wall_s": median([r.wall_s for r in good]),
            "peak_rss_mb": median([r.peak_rss_mb for r in good]),
            "inner": {k: median([r.inner.get(k) for r in good]) for k in inner_keys},
            "work_total_cpu_s": median([work_total_cpu(r) for r in good]),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "baseline": self.baseline,
            "skipped": self.skipped,
            "notes": self.notes,
            "load_before": self.load_before,
            "load_after": self.load_after,
            "seconds": self.seconds,
            "summary": {v: self.summary(v) for v in self.variants()},
            "derived": self.derived,
            "runs": [asdict(r) for r in self.runs],
        }


def run_case(
    name: str,
    title: str,
    variants: Sequence[Variant],
    runs: int,
    *,
    log: Path | None = None,
    notes: Sequence[str] = (),
    progress: Callable[[str], None] = print,
    warmup: bool = False,
) -> CaseResult:
    """Every variant ``runs`` times, interleaved; the first variant is the baseline. With
    ``warmup``, each variant runs once first, unmeasured (a results store to migrate, a
    cold page cache)."""
    by_name = {v.name: v for v in variants}
    if warmup:
        for variant in variants:
            measure(variant, -1, log)
    load_before = os.getloadavg()
    began = time.perf_counter()
    results = []
    for round_, variant in interleave(list(by_name), runs):
        run = measure(by_name[variant], round_, log)
        progress(
            f"  {name} · {variant} · run {round_ + 1}/{runs}: cpu {run.cpu_s:.2f} s"
            + (f" + server {run.server_cpu_s:.2f} s" if run.server_cpu_s is not None else "")
            + f", wall {run.wall_s:.2f} s" + (f" [{run.error}]" if run.error else "")
        )
        results.append(run)
    return CaseResult(
        name=name,
        title=title,
        baseline=variants[0].name,
        runs=results,
        load_before=load_before,
        load_after=os.getloadavg(),
        seconds=time.perf_counter() - began,
        notes=list(notes),
    )


def skipped_case(name: str, title: str, reason: str) -> CaseResult:
    load = os.getloadavg()
    return CaseResult(name=name, title=title, baseline="", runs=[], load_before=load, load_after=load,
                      seconds=0.0, skipped=reason)

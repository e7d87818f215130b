"""Runs one command and reports its resource use: ``python -I -S spawn.py RESULT CMD...``.

Why a separate small process: Linux counts the parent's resident set at fork/exec into a
child's peak RSS (``ru_maxrss``), so a command started straight from the bench harness
would never show less than the harness's own size. Started from this stdlib-only
process instead, a command's peak RSS is its own (never below this process's few MB).
Writes {"cpu_s", "peak_rss_mb", "wall_s", "status"} as JSON to RESULT; exits with the
command's exit code.
"""

import json
import os
import sys
import time


def main() -> None:
    result, argv = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    with open(result, "w") as handle:
        json.dump({"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
                   "wall_s": wall, "status": os.waitstatus_to_exitcode(status)}, handle)
    sys.exit(max(0, os.waitstatus_to_exitcode(status)))


if __name__ == "__main__":
    main()

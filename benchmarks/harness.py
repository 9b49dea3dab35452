"""What every benchmark shares: timed processes, interleaved pairs, medians, the machine.

Each job is measured beside its *floor* (the same work written by hand in DuckDB) in the
same run, alternating A B A B ..., so that both see the machine in the same state; the
ratio of the medians is the figure. A process's wall time, CPU time (user + system of it
and its children) and peak memory (ru_maxrss) come from ``os.wait4``, taken by a small
launcher process (see :func:`run`). The machine is shared: the load average is printed
beside every figure, and the CPU time and the ratio are steadier than the wall time.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
#: the environment a child process runs in: this checkout's recon first
ENV = dict(os.environ, PYTHONPATH=str(ROOT), RECON_WAIT="0")


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    stdout: str = ""
    stderr: str = ""


# Timing a command from a small process of its own. Linux hands a new process the peak
# RSS of the one that started it: a child made by vfork (subprocess's way) runs on its
# parent's memory until exec (by fork, on a copy of it), and exec keeps that memory's
# peak in the child's ru_maxrss. So a command started from this benchmark process
# reported the larger of its own peak and the benchmark's (bench_scale's 10M apply:
# 1.84-1.88 GB, that is DuckDB building the corrections file in here; the command alone
# peaks at 1.2 GB). The launcher is a bare Python (~10 MB) that starts the command,
# waits for it and writes its wall time, rusage and exit status to a pipe.
_LAUNCHER = """
import os, subprocess, sys, time
fd = int(sys.argv[1])
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t
os.write(fd, f"{wall!r} {ru.ru_utime + ru.ru_stime!r} {ru.ru_maxrss} {status}".encode())
"""


def run(args: list[str], *, env: dict | None = None, ok=(0,)) -> Run:
    """``args`` in a fresh process (``python`` = this interpreter): its wall time, CPU time
    (user + system, its children's included) and its own peak RSS, from os.wait4 in the
    launcher above (the launcher's start is not timed); stdout and stderr as text."""
    argv = [sys.executable if a == "python" else str(a) for a in args]
    out_f = WORK / ".stdout"
    err_f = WORK / ".stderr"
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as pipe:
        try:
            with open(out_f, "w") as o, open(err_f, "w") as e:
                launcher = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, str(write_end), *argv],
                                            stdout=o, stderr=e, env=env or ENV, pass_fds=(write_end,))
        finally:
            os.close(write_end)  # the launcher has its own: the read ends when it exits
        report = pipe.read().decode()
    if launcher.wait() != 0 or not report:
        raise SystemExit(f"the benchmark's launcher failed for {' '.join(argv)}:\n{err_f.read_text()[-3000:]}")
    wall, cpu, maxrss, status = report.split()
    code = os.waitstatus_to_exitcode(int(status))
    out, err = out_f.read_text(), err_f.read_text()
    if code not in ok:
        raise SystemExit(f"{' '.join(map(str, argv))} exited {code}:\n{err[-3000:]}")
    return Run(float(wall), float(cpu), int(maxrss) / 1024, out, err)


def remove_ledger(path: Path) -> Path:
    """``path`` and its WAL gone (a fresh place for a ledger); returns ``path``."""
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    return path


def fresh_copy(ledger: Path, name: str = "run.duckdb") -> Path:
    """A copy of ``ledger`` to change (the cached one stays as built), on disk before it
    is timed, as a ledger at rest is: without the fsync, the first commit after the copy
    waits for the filesystem to write the whole copy out (its WAL's first fdatasync took
    40-50 ms on the 1M-item ledger, all of it charged to whichever command wrote first)."""
    copy = WORK / name
    Path(f"{copy}.wal").unlink(missing_ok=True)
    shutil.copy(ledger, copy)
    for path, flags in ((copy, os.O_RDONLY), (copy.parent, os.O_RDONLY | os.O_DIRECTORY)):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return copy


@dataclass
class Pair:
    """A job and its floor, measured alternately; ``target``: the ratio allowed."""

    name: str
    target: float
    job: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    rss_limit_mb: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return med(r.wall for r in self.job) / med(r.wall for r in self.floor)

    @property
    def cpu_ratio(self) -> float:
        return med(r.cpu for r in self.job) / max(med(r.cpu for r in self.floor), 1e-9)

    @property
    def met(self) -> bool:
        rss_ok = self.rss_limit_mb is None or max(r.rss_mb for r in self.job) <= self.rss_limit_mb
        return self.ratio <= self.target and rss_ok

    def line(self) -> str:
        j, f = self.job, self.floor
        rss = max(r.rss_mb for r in j)
        limit = f" (limit {self.rss_limit_mb / 1024:.1f} GB)" if self.rss_limit_mb else ""
        return (f"{self.name:<34} recon {med(r.wall for r in j):6.2f}s (CPU {med(r.cpu for r in j):5.2f}s)"
                f"  floor {med(r.wall for r in f):6.2f}s (CPU {med(r.cpu for r in f):5.2f}s)"
                f"  ratio {self.ratio:4.2f}x, CPU {self.cpu_ratio:4.2f}x (target <= {self.target:g}x)"
                f"  peak {rss / 1024:.2f} GB{limit}  load {min(self.loads):.1f}-{max(self.loads):.1f}"
                f"  {'met' if self.met else 'NOT MET'}{self.note}")

    def as_dict(self) -> dict:
        return {"name": self.name, "target": self.target, "ratio": round(self.ratio, 3),
                "cpu_ratio": round(self.cpu_ratio, 3), "met": self.met,
                "recon_wall": [round(r.wall, 3) for r in self.job],
                "recon_cpu": [round(r.cpu, 3) for r in self.job],
                "floor_wall": [round(r.wall, 3) for r in self.floor],
                "floor_cpu": [round(r.cpu, 3) for r in self.floor],
                "recon_peak_mb": round(max(r.rss_mb for r in self.job)),
                "floor_peak_mb": round(max(r.rss_mb for r in self.floor)),
                "load": [round(x, 2) for x in self.loads]}


def med(xs) -> float:
    return statistics.median(list(xs))


def load() -> float:
    return os.getloadavg()[0]


def interleave(pair: Pair, job, floor, runs: int) -> Pair:
    """``floor()`` and ``job()`` (each returning a Run) ``runs`` times each, alternating."""
    for i in range(runs):
        # start with the floor on even turns and the job on odd ones: neither always
        # runs first after a pause
        order = (("floor", floor), ("job", job)) if i % 2 == 0 else (("job", job), ("floor", floor))
        for which, fn in order:
            pair.loads.append(load())
            getattr(pair, which).append(fn())
    return pair


def machine() -> dict:
    import duckdb

    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip().splitlines()
    return {"nproc": os.cpu_count(), "memory": free[1] if len(free) > 1 else "",
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "platform": platform.platform(), "uptime": uptime()}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def save(name: str, pairs: list[Pair], extra: dict | None = None) -> Path:
    """The run's figures as JSON in benchmarks/work/ (for RESULTS.md)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"machine": machine(), "pairs": [p.as_dict() for p in pairs],
                                **(extra or {})}, indent=1, default=str))
    return path

"""CPU time spent by processes, read from ``/proc``: what a phase cost, not only how fast it went.

Why: on a machine whose cores the site, the gateway stand-in and the client share, requests per second
say how the three split the machine as much as what the site costs. The CPU the site's workers spent
per request served is its own, whatever the others did. ``/proc/<pid>/stat`` gives user and system
time in clock ticks (``psutil`` is used instead when it is installed); a worker's children are found
through ``/proc/<pid>/task/<pid>/children`` or, where the kernel has no such file, by their parent id.
Off Linux, without psutil, every figure is ``None`` and the report says "n/a".
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

try:
    import psutil  # type: ignore[import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - the benchmark does not need it
    psutil = None

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (its threads included), None when it is gone."""
    if psutil is not None:
        try:
            times = psutil.Process(pid).cpu_times()
            return float(times.user + times.system)
        except psutil.Error:
            return None
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime: fields 14 and 15 of stat


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's master: its workers)."""
    if psutil is not None:
        with contextlib.suppress(psutil.Error):
            return [child.pid for child in psutil.Process(pid).children()]
        return []
    listed = PROC / str(pid) / "task" / str(pid) / "children"
    with contextlib.suppress(OSError):
        return [int(p) for p in listed.read_text().split()]
    found = []
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def snapshot(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds of each process still running."""
    out = {}
    for pid in pids:
        seconds = process_seconds(pid)
        if seconds is not None:
            out[pid] = seconds
    return out


@dataclass(frozen=True)
class Spent:
    """CPU seconds spent between two snapshots, per process and in all."""

    per_process: dict[int, float]
    lost: int
    """Processes in the first snapshot missing from the second (a worker that died: its time is lost)."""

    @property
    def total(self) -> float:
        return sum(self.per_process.values())


def spent(before: Mapping[int, float], after: Mapping[int, float]) -> Spent:
    """What each process of ``after`` spent since ``before`` (all of its time if it is new)."""
    return Spent(
        {pid: seconds - before.get(pid, 0.0) for pid, seconds in after.items()},
        lost=sum(1 for pid in before if pid not in after),
    )


def own_seconds() -> float:
    """This process's CPU seconds (every thread): the load loop's cost."""
    times = os.times()
    return times.user + times.system


def available() -> bool:
    return psutil is not None or (PROC / str(os.getpid()) / "stat").exists()

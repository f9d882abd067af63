"""How busy the machine was while a bench row ran: the load average, and the CPU the *other* processes
used during the row (issue 19). On a shared machine a row's wall seconds include waiting for a core; its
CPU seconds do not. `others` says how much waiting there could have been, measured over the row itself
(the 1-minute load average lags by a minute and counts the bench's own threads)."""
from __future__ import annotations

import os

CPUS = os.cpu_count() or 1
# A row ran on a busy machine when the other processes used at least this many cores on average during
# it: then a wall time over the goal may be the machine's, and the CPU seconds decide (bench/README.md).
BUSY_CORES = 0.5


def load_avg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (every core: user, nice, system, irq, steal)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            parts = fh.readline().split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(x) for x in parts[:8]]
    idle = ticks[3] + ticks[4]                    # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def others_cores(busy0: float, busy1: float, own_cpu: float | None, wall: float) -> float | None:
    """Average number of cores other processes kept busy during a row that used `own_cpu` CPU seconds
    in `wall` seconds (None when unknown)."""
    if own_cpu is None or wall <= 0 or busy0 != busy0 or busy1 != busy1:
        return None
    return round(max(0.0, (busy1 - busy0) - own_cpu) / wall, 2)


def busy(others: float | None) -> bool:
    return others is not None and others >= BUSY_CORES

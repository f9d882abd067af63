"""cProfile one `python -m perfboard` command (for a bench row that is not held): where the time goes.

    python bench/profile_cli.py --limit 90 -- review --json --db bench/out/run/cli-read.duckdb

Runs the command in this process under cProfile, stops it after --limit seconds (SIGALRM), and prints the
project functions (perfboard/, ui/) by cumulative time plus the overall top by own time, and the peak RSS."""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Stop(Exception):
    pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=120)
    ap.add_argument("--top", type=int, default=18)
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    from perfboard import cli

    def alarm(*_):
        raise Stop()

    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(a.limit)
    prof = cProfile.Profile()
    t = time.perf_counter()
    out, sys.stdout = sys.stdout, io.StringIO()
    stopped = False
    try:
        prof.runcall(cli.main, args)
    except Stop:
        stopped = True
    finally:
        sys.stdout = out
        signal.alarm(0)
    wall = time.perf_counter() - t
    peak = [int(ln.split()[1]) / 1024 for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0]
    print(f"{' '.join(args)}: {wall:.1f} s{' (stopped at the limit)' if stopped else ''}, peak {peak:,.0f} MB")
    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    st.sort_stats("cumulative").print_stats(r"perfboard|/ui/", a.top)
    st.sort_stats("tottime").print_stats(a.top)
    print("\n".join(ln for ln in s.getvalue().splitlines() if ln.strip() and "function calls" not in ln))


if __name__ == "__main__":
    main()

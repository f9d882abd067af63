"""Parse an uploaded file where a failure cannot take the server down: a worker process with a memory
limit (RLIMIT_AS) and a timeout. A crash (the Excel reader aborts the whole process when an allocation
fails), a MemoryError, an exception or a timeout becomes an import error in the file's report
(`parse-failed` / `parse-timeout`); the caller's process never sees more than the result.

Workers come from a forkserver that has imported the importer once, so a parse costs a fork and the
pickling of the file and the result (bench/bench_read_guard.py), not a fresh interpreter.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import sys
import threading
import types

from .batch import Batch
from .readers import DEFAULT_LIMITS, DEFAULT_MAX_MB, Limits
from .validation_report import ERROR

_CTX = None
MB = 1024 * 1024
_START = threading.Lock()
_BLANK_MAIN = types.ModuleType("__main__")


def _context():
    global _CTX
    if _CTX is None:
        methods = mp.get_all_start_methods()
        _CTX = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if _CTX.get_start_method() == "forkserver":
            _CTX.set_forkserver_preload(["perfboard.importer"])
    return _CTX


def _address_space() -> int | None:
    """This process's virtual memory now (bytes), or None where /proc is not available."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _start(p) -> None:
    """Start `p` without multiprocessing re-running the caller's main script in the worker (it does so
    for a main given as a path: the streamlit launcher, a script without a __main__ guard). The worker
    needs nothing from it; only the preparation data read during start() sees the blank module."""
    with _START:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = _BLANK_MAIN
        try:
            p.start()
        finally:
            sys.modules["__main__"] = main


def _child(conn, parse_file, file_name: str, data: bytes, department, max_mb: float, limits: Limits) -> None:
    base = _address_space()
    if base is not None and limits.memory_mb:
        cap = base + limits.memory_mb * MB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        batch = parse_file(file_name, data, department, max_mb, limits=limits)
        conn.send(("ok", batch))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:        # noqa: BLE001 - reported, never raised into the server
        conn.send(("error", type(exc).__name__))
    finally:
        conn.close()


def _failed(batch: Batch, code: str, value=None, limit=None) -> Batch:
    batch.report.add(code, ERROR, value=value, limit=limit)
    return batch


def parse_isolated(parse_file, file_name: str, data: bytes, department: str | None = None,
                   max_mb: float = DEFAULT_MAX_MB, limits: Limits = DEFAULT_LIMITS) -> Batch:
    """`parse_file` (perfboard.importer.parse_file, passed in so this lower module does not import the
    importer; a module-level function pickles by name) in a worker process: the same Batch, or one whose
    report says why the parse failed."""
    import hashlib
    empty = Batch(file_name=file_name, content_hash=hashlib.sha256(data).hexdigest())
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(child, parse_file, file_name, data, department, max_mb, limits), daemon=True)
    _start(p)
    child.close()
    try:
        msg = parent.recv() if parent.poll(limits.timeout_s) else None
    except (EOFError, OSError):        # the worker died before (or while) sending
        msg = ("died", None)
    finally:
        parent.close()
    if msg is None:
        p.kill()
        p.join(5)
        return _failed(empty, "parse-timeout", limit=limits.timeout_s)
    p.join(10)
    if p.is_alive():
        p.kill()
        p.join(5)
    kind, payload = msg
    if kind == "ok":
        return payload
    if kind == "memory" or p.exitcode == -signal.SIGABRT:
        return _failed(empty, "parse-failed", value=f"所需内存超过上限 {limits.memory_mb:,} MB")
    if kind == "error":
        return _failed(empty, "parse-failed", value=f"内部错误 {payload}")
    why = f"读取进程异常退出，信号 {-p.exitcode}" if p.exitcode and p.exitcode < 0 else f"读取进程异常退出（{p.exitcode}）"
    return _failed(empty, "parse-failed", value=why)

"""Reading beside the running app (embedded DuckDB mode): a consistent copy of the database on request.

DuckDB lets one process open a database file read-write, and while it does no other process can open it at
all, not even read-only. The app holds the file as long as it runs, so a command-line read (summary, export,
backup, …) asks the app for a copy instead: it drops a request file beside the database; the app's snapshot
server (a thread polling twice a second) writes `<db>.snapshot` with db.backup (COPY FROM DATABASE: one
transaction's snapshot, written to a temporary name and renamed) and deletes the request; the command then
opens that copy read-only. While the data version has not moved since the last copy, the copy is reused.

Files beside the database (all owner-only, like the database):
- `<db>.snapshot`: the latest copy (and its `.sha256`, written by backup);
- `<db>.snapshot-server`: the PID of the app serving requests (gone when it stops);
- `<db>.snapshot-request-<pid>-<token>`: one per waiting command; `<…>.failed` holds the app's error.
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from .db import Store, StoreError, backup

POLL_SECONDS = 0.5


def snapshot_path(db: Path) -> Path:
    return db.with_name(db.name + ".snapshot")


def server_path(db: Path) -> Path:
    return db.with_name(db.name + ".snapshot-server")


def _request_prefix(db: Path) -> str:
    return db.name + ".snapshot-request-"


def info_path(db: Path) -> Path:
    """What the app wrote last: data version and time of the copy (JSON)."""
    return db.with_name(db.name + ".snapshot.json")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serving_pid(db: Path) -> int | None:
    """The PID of a live app that serves snapshot requests for `db`, else None."""
    try:
        pid = int(server_path(db).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


class SnapshotServer:
    """Runs in the process that holds the store (the app): answers the snapshot requests of commands."""

    def __init__(self, store: Store, poll: float = POLL_SECONDS):
        self.store = store
        self.db = Path(store.path)
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._copied_version: int | None = None

    def start(self) -> "SnapshotServer":
        side = server_path(self.db)
        side.write_text(f"{os.getpid()}\n", encoding="utf-8")
        os.chmod(side, 0o600)
        # Not a daemon: a process exiting while a daemon thread is inside DuckDB aborts. stop() is registered
        # to run at interpreter shutdown before non-daemon threads are joined, so exit is not held up.
        self._thread = threading.Thread(target=self._run, name="perfboard-snapshot-server", daemon=False)
        self._thread.start()
        register = getattr(threading, "_register_atexit", None)
        if register is not None:
            register(self.stop)
        else:                                   # pragma: no cover - every CPython since 3.9 has it
            self._thread.daemon = True
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        side = server_path(self.db)
        try:
            if side.read_text(encoding="utf-8").strip() == str(os.getpid()):
                side.unlink()
        except OSError:
            pass

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.serve_once()
            except Exception:       # noqa: BLE001 - the server must outlive a bad request; serve_once reports
                pass

    def pending(self) -> list[Path]:
        """The waiting requests (not the .failed answers)."""
        return sorted(p for p in self.db.parent.glob(_request_prefix(self.db) + "*") if not p.name.endswith(".failed"))

    def serve_once(self) -> int:
        """Answer every pending request with one copy (reused while the data version has not moved).
        Returns the number of requests answered."""
        requests = self.pending()
        if not requests:
            return 0
        try:
            self.ensure_fresh()
        except (StoreError, OSError) as exc:
            for r in requests:
                r.with_name(r.name + ".failed").write_text(str(exc), encoding="utf-8")
                r.unlink(missing_ok=True)
            return len(requests)
        for r in requests:
            r.unlink(missing_ok=True)
        return len(requests)

    def ensure_fresh(self) -> Path:
        """The snapshot of the current data version: written now unless the last one is still current."""
        out = snapshot_path(self.db)
        version = self.store.data_version()
        if version == self._copied_version and out.is_file():
            return out
        backup(self.store, out, overwrite=True)
        # the version read before the copy: a write landing during the copy makes the next request copy again
        self._copied_version = version
        part = info_path(self.db).with_name(info_path(self.db).name + f".part-{os.getpid()}")
        part.write_text(json.dumps({"data_version": version, "written_at": datetime.now().isoformat(timespec="seconds"),
                                    "pid": os.getpid()}), encoding="utf-8")
        os.replace(part, info_path(self.db))
        return out


def serve(store: Store) -> SnapshotServer | None:
    """Start answering snapshot requests for a file-backed store (None for an in-memory one)."""
    if str(store.path) == ":memory:" or getattr(store, "url", None):
        return None         # in memory, or PostgreSQL (team mode): commands read the database itself
    return SnapshotServer(store).start()


def request(db: Path, timeout: float, progress: Callable[[float], None] | None = None) -> Path:
    """Ask the app serving `db` for a consistent copy and wait for it (up to `timeout` seconds; `progress`
    is called with the seconds waited every few seconds). Returns the copy's path; StoreError if the app
    stops serving, reports an error, or does not answer in time."""
    db = Path(db)
    req = db.with_name(f"{_request_prefix(db)}{os.getpid()}-{secrets.token_hex(4)}")
    failed = req.with_name(req.name + ".failed")
    req.write_text("", encoding="utf-8")
    os.chmod(req, 0o600)
    start = time.monotonic()
    told = 0.0
    try:
        while req.exists():
            waited = time.monotonic() - start
            if waited >= timeout:
                raise StoreError(f"应用在 {timeout:.0f} 秒内未写出数据库的一致副本（数据量大时需要更久）："
                                 "请加 --wait 秒数 延长等待（例如 --wait 600）。")
            if serving_pid(db) is None:
                raise StoreError("应用已停止，未写出一致副本：请重新运行本命令。")
            if progress is not None and waited - told >= 5:
                told = waited
                progress(waited)
            time.sleep(0.2)
        if failed.exists():
            msg = failed.read_text(encoding="utf-8")
            failed.unlink(missing_ok=True)
            raise StoreError(f"应用写出一致副本时出错：{msg}")
    finally:
        req.unlink(missing_ok=True)
    return snapshot_path(db)


def describe(db: Path) -> str:
    """'数据版本 N，HH:MM:SS 写出' of the current copy, for the command's note."""
    try:
        info = json.loads(info_path(Path(db)).read_text(encoding="utf-8"))
        return f"数据版本 {info['data_version']}，{info['written_at'].replace('T', ' ')} 写出"
    except (OSError, ValueError, KeyError):
        return "写出时间未知"

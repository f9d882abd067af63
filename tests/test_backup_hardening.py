"""Issue 20 (6): backups and restores that cannot lose or expose the database. A corrupt or foreign backup
is refused before the live file is touched; the swap is one rename; files are owner-only; an existing
backup file is not overwritten without --force."""
from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from perfboard.db import Store, StoreError, backup, check_backup, restore
from tests.test_backup import cli, figures

pytestmark = pytest.mark.duckdb_only("backup files, checksums and file modes of the DuckDB file "
                                     "(PostgreSQL: pg_dump, docs/deploy.md)")


def mode(path) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def good_backup(sample_db_path, tmp_path) -> Path:
    with Store(sample_db_path) as s:
        return backup(s, tmp_path / "good.duckdb")


def corrupted_copies(src: Path, folder: Path) -> list[Path]:
    """Copies of `src` with 64 bytes overwritten in each 256 KiB storage block past the file headers."""
    data = src.read_bytes()
    out = []
    for i, at in enumerate(range(3 * 4096 + 1000, len(data) - 64, 262144)):
        bad = bytearray(data)
        bad[at:at + 64] = b"\xa5" * 64
        p = folder / f"bad-{i}.duckdb"
        p.write_bytes(bytes(bad))
        out.append(p)
    return out


def test_a_corrupt_backup_with_its_checksum_is_refused_before_the_live_file_is_touched(good_backup, sample_db_path,
                                                                                       tmp_path):
    bad = corrupted_copies(good_backup, tmp_path)
    assert len(bad) >= 5
    before, before_digest = figures(sample_db_path), digest(sample_db_path)
    side = Path(str(good_backup) + ".sha256").read_text(encoding="utf-8")
    assert side.split()[0] == digest(good_backup)
    for p in bad:
        Path(str(p) + ".sha256").write_text(side, encoding="utf-8")
        with pytest.raises(StoreError, match="校验和") as e:
            restore(p, sample_db_path)
        assert "Traceback" not in str(e.value)
        assert digest(sample_db_path) == before_digest, p.name        # not replaced
    assert figures(sample_db_path) == before
    assert not list(tmp_path.glob("sample.duckdb.before-restore-*"))
    assert not list(tmp_path.glob("*.restoring-*"))


def test_without_a_checksum_corrupt_data_is_refused_and_the_rest_rebuilt(good_backup, tmp_path):
    """An older backup has no .sha256: a block a table scan reads is caught by DuckDB's block checksums
    (refused, live file untouched); damage outside the table data (e.g. a stored index) does not reach
    the database, which is rebuilt from the rows with new indexes."""
    target = tmp_path / "live.duckdb"
    Store(target).close()
    good = figures(good_backup)
    refused = rebuilt = 0
    for p in corrupted_copies(good_backup, tmp_path):
        live = digest(target)
        try:
            restore(p, target)
        except StoreError as e:
            assert "损坏" in str(e) and digest(target) == live
            refused += 1
        else:
            assert figures(target) == good
            rebuilt += 1
    assert refused >= 1
    assert not list(tmp_path.glob("*.restoring-*"))


def test_a_backup_from_a_newer_version_is_refused(good_backup, tmp_path):
    import duckdb
    newer = tmp_path / "newer.duckdb"
    newer.write_bytes(good_backup.read_bytes())
    con = duckdb.connect(str(newer))
    con.execute("INSERT INTO schema_migrations VALUES (999, '999_future.sql', now())")
    con.close()
    with pytest.raises(StoreError, match="更新版本.*999"):
        check_backup(newer)
    target = tmp_path / "live.duckdb"
    Store(target).close()
    live = digest(target)
    with pytest.raises(StoreError):
        restore(newer, target)
    assert digest(target) == live


def test_restore_swaps_and_keeps_the_old_file_private(good_backup, tmp_path):
    target = tmp_path / "live.duckdb"
    Store(target).close()
    old = digest(target)
    kept = restore(good_backup, target)
    assert digest(kept) == old                       # the replaced file, byte for byte
    assert figures(target)["projects"] == figures(good_backup)["projects"] > 0
    assert mode(target) == 0o600 and mode(kept) == 0o600
    assert not list(tmp_path.glob("*.restoring-*"))


def test_new_database_and_backup_files_are_owner_only(tmp_path, sample_store):
    with Store(tmp_path / "new.duckdb"):
        pass
    assert mode(tmp_path / "new.duckdb") == 0o600
    out = backup(sample_store, tmp_path / "b" / "x.duckdb")
    assert mode(out) == 0o600


def test_backup_does_not_overwrite_without_force(sample_store, tmp_path):
    out = tmp_path / "x.duckdb"
    out.write_bytes(b"precious")
    with pytest.raises(StoreError, match="已存在"):
        backup(sample_store, out)
    assert out.read_bytes() == b"precious"
    backup(sample_store, out, overwrite=True)
    assert check_backup(out) >= 7


def test_cli_backup_needs_force_to_overwrite(sample_db_path, tmp_path):
    out = tmp_path / "cli.duckdb"
    out.write_bytes(b"precious")
    r = cli("backup", "--out", out, "--db", sample_db_path)
    assert r.returncode == 1 and "已存在" in r.stderr and "--force" in r.stderr and "Traceback" not in r.stderr
    assert out.read_bytes() == b"precious"
    r = cli("backup", "--out", out, "--db", sample_db_path, "--force")
    assert r.returncode == 0, r.stderr
    assert mode(out) == 0o600 and check_backup(out) >= 7


def test_cli_restore_of_a_corrupt_backup_says_nothing_changed(good_backup, sample_db_path, tmp_path):
    bad = corrupted_copies(good_backup, tmp_path)[-1]
    Path(str(bad) + ".sha256").write_text(Path(str(good_backup) + ".sha256").read_text())
    before = digest(sample_db_path)
    r = cli("restore", "--from", bad, "--db", sample_db_path)
    assert r.returncode == 3 and "数据库文件未改动" in r.stderr and "Traceback" not in r.stderr
    assert digest(sample_db_path) == before

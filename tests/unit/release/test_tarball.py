"""The artifact's tarball is byte-reproducible: file dates, owners, umask and creation order never show."""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

import pytest

from pavedroad.errors import InvalidInput
from pavedroad.release.tarball import write_tarball

EPOCH = 1_700_000_000


def _tree(root: Path, *, order: list[str], mtime: int, umask: int) -> Path:
    old = os.umask(umask)
    try:
        for name in order:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"content of {name}\n")
            if name.endswith(".sh"):
                path.chmod(path.stat().st_mode | 0o100)
            os.utime(path, (mtime, mtime))
    finally:
        os.umask(old)
    return root


def test_the_same_files_give_the_same_bytes(tmp_path: Path) -> None:
    names = ["b/z.txt", "a.txt", "b/install.sh", "c/d/e.txt"]
    one = _tree(tmp_path / "one", order=names, mtime=1_000_000_000, umask=0o022)
    two = _tree(tmp_path / "two", order=list(reversed(names)), mtime=1_600_000_000, umask=0o077)
    write_tarball(one, tmp_path / "one.tar.gz", prefix="p-1", mtime=EPOCH)
    write_tarball(two, tmp_path / "two.tar.gz", prefix="p-1", mtime=EPOCH)
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()


def test_members_are_sorted_owned_by_root_dated_by_the_build_and_modes_normalised(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", order=["b/x.sh", "a.txt"], mtime=5, umask=0o077)
    write_tarball(root, tmp_path / "t.tar.gz", prefix="p-1", mtime=EPOCH)
    raw = (tmp_path / "t.tar.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip MTIME field
    assert raw[3] & 0x08 == 0  # no FNAME: the file name is not recorded
    with tarfile.open(tmp_path / "t.tar.gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["p-1", "p-1/a.txt", "p-1/b", "p-1/b/x.sh"]
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", EPOCH)}
    assert {m.name: oct(m.mode) for m in members} == {
        "p-1": "0o755", "p-1/a.txt": "0o644", "p-1/b": "0o755", "p-1/b/x.sh": "0o755",
    }  # fmt: skip
    with gzip.open(tmp_path / "t.tar.gz") as gz:
        assert gz.read(1)  # a valid gzip stream


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", order=["a.txt"], mtime=5, umask=0o022)
    (root / "link").symlink_to(root / "a.txt")
    with pytest.raises(InvalidInput, match="neither a regular file"):
        write_tarball(root, tmp_path / "t.tar.gz", prefix="p", mtime=EPOCH)

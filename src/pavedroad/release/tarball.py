"""A byte-reproducible ``.tar.gz``: the same files give the same bytes, whatever the disk says.

Members are sorted by path; owner is 0/0 with no names; every mtime is the build's SOURCE_DATE_EPOCH;
modes are 0755 for directories and executables, 0644 otherwise (the umask and checkout dates are
ignored); the gzip header carries mtime 0 and no file name. Only regular files and directories go in.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
from pathlib import Path

from pavedroad.errors import InvalidInput

__all__ = ["write_tarball"]

COMPRESS_LEVEL = 6  # wheels are compressed already: higher levels cost time and save almost nothing


def _entries(root: Path) -> list[Path]:
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                raise InvalidInput(
                    f"{path} is neither a regular file nor a directory", hint="artifacts hold plain files"
                )
            paths.append(path)
    return sorted(paths, key=lambda p: p.relative_to(root).as_posix())


def _info(path: Path, arcname: str, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(arcname)
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if path.is_dir():
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = path.stat().st_size
        info.mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
    return info


def write_tarball(root: Path, target: Path, *, prefix: str, mtime: int) -> None:
    """Write every file under ``root`` into ``target`` below the top directory ``prefix``."""
    with (
        target.open("wb") as buffer,
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=COMPRESS_LEVEL) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        tar.addfile(_info(root, prefix, mtime))
        for path in _entries(root):
            info = _info(path, f"{prefix}/{path.relative_to(root).as_posix()}", mtime)
            if info.isdir():
                tar.addfile(info)
            else:
                with path.open("rb") as f:
                    tar.addfile(info, f)

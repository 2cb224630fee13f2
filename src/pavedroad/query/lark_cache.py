"""Where a Lark parser's analysed grammar is kept between processes, so a CLI command that parses one
query does not rebuild the LALR tables first (about 0.2 s of every ``pavedroad query run``).

Lark checks the file against a hash of the grammar, its options, its own version and Python's, and builds
afresh (rewriting the file) on any mismatch or unreadable file, so a stale or half-written cache costs a
rebuild, never a wrong parser. The file lives in the user's cache directory, not the shared temporary
directory Lark uses by default, because Lark unpickles it: only its owner may write there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import lark

__all__ = ["cache_dir", "lark_cache_file"]


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pavedroad`` (default ``~/.cache/pavedroad``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pavedroad"


def lark_cache_file(name: str) -> str | bool:
    """The cache file for grammar ``name`` (Lark's ``cache=`` argument), or False, meaning "no cache",
    when the directory cannot be created or is not the user's own."""
    try:
        folder = cache_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_uid != os.geteuid():
            return False
    except (OSError, RuntimeError):  # RuntimeError: no home directory to resolve
        return False
    return str(folder / f"{name}-lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.cache")

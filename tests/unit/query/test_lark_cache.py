"""The query grammar's LALR tables are built once per user and loaded from the cache afterwards; a
damaged cache file costs a rebuild, never a wrong parser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lark.lark
import pytest

from pavedroad.query import text
from pavedroad.query.lark_cache import lark_cache_file

QUERY = "jobs | where status == 'open' | select id, title | take 5"


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    text._parser.cache_clear()
    yield tmp_path / "pavedroad"
    text._parser.cache_clear()


def _no_grammar_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the grammar was analysed again instead of loaded from the cache")

    monkeypatch.setattr(lark.lark, "load_grammar", refuse)


def test_a_second_process_loads_the_parser_from_the_users_cache(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = text.parse_text(QUERY)
    files = list(cache_home.iterdir())
    assert [f.name for f in files] == [Path(str(lark_cache_file("query-grammar"))).name]
    assert cache_home.stat().st_mode & 0o077 == 0  # only its owner may write what gets unpickled

    text._parser.cache_clear()  # as in a new process
    _no_grammar_analysis(monkeypatch)
    assert text.parse_text(QUERY) == expected


def test_a_damaged_cache_file_is_rebuilt(cache_home: Path) -> None:
    expected = text.parse_text(QUERY)
    (cache_file,) = cache_home.iterdir()
    cache_file.write_bytes(cache_file.read_bytes()[:100])
    text._parser.cache_clear()
    assert text.parse_text(QUERY) == expected
    text._parser.cache_clear()
    assert text.parse_text(QUERY) == expected


def test_no_usable_cache_directory_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert lark_cache_file("query-grammar") is False

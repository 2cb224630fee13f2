"""String literals decode the usual escapes and keep any other backslash as data."""

from __future__ import annotations

import pytest

from pavedroad.query.text import unquote


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('"plain"', "plain"),
        ('"a\\\\b"', "a\\b"),
        ('"q\\"q"', 'q"q'),
        ("'it\\'s'", "it's"),
        ('"tab\\there"', "tab\there"),
        ('"\\u00e9t\\u00e9"', "été"),
        ('"\\x00"', "\\x00"),  # unknown escape: kept as written, never a crash
        ('"end\\\\"', "end\\"),
        ('"\\u12"', "\\u12"),  # short unicode escape: kept as written
    ],
)
def test_unquote(raw: str, value: str) -> None:
    assert unquote(raw) == value

"""The exception tree: every error has a code, a message, a hint and an HTTP status."""

from __future__ import annotations

from pavedroad import errors


def test_every_public_error_has_status_and_code() -> None:
    classes = [getattr(errors, name) for name in errors.__all__ if isinstance(getattr(errors, name), type)]
    assert len(classes) >= 10
    for cls in classes:
        assert issubclass(cls, errors.PavedroadError)
        err = cls("something went wrong", hint="do this")
        body = err.to_dict()
        assert body["code"].startswith("E")
        assert body["message"] == "something went wrong"
        assert body["hint"] == "do this"
        assert 400 <= cls.status <= 599


def test_render_puts_hint_on_its_own_line() -> None:
    text = errors.NotFound("job 7 not found", hint="ids are per tenant").render()
    assert text.splitlines() == ["E404 job 7 not found", "  hint: ids are per tenant"]

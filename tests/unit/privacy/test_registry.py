"""The classification registry: labels from the model and block files, ordered and combined."""

from __future__ import annotations

from pathlib import Path

import pytest

from pavedroad.errors import ConfigurationError
from pavedroad.privacy import Classification, Registry, join, load_registry


def test_labels_combine_to_the_most_protected() -> None:
    c = Classification
    assert join([]) is c.PUBLIC
    assert join([c.INTERNAL, c.SENSITIVE, c.PERSONAL]) is c.SENSITIVE
    assert c.PUBLIC.combine(c.CONFIDENTIAL) is c.CONFIDENTIAL


def test_model_fields_are_registered_with_their_column() -> None:
    model = {
        "entities": {
            "candidates": {
                "table": "candidates",
                "fields": {
                    "email": {"type": "string", "classification": "personal"},
                    "full_name": {"type": "string", "expr": "first_name || last_name", "classification": "personal"},
                    "first": {"column": "first_name", "classification": "personal", "tags": ["name"]},
                },
            }
        }
    }
    registry = Registry.from_model(model, "model.yaml")
    assert registry.get("candidates", "email") is Classification.PERSONAL
    assert registry.get("candidates", "first_name") is Classification.PERSONAL
    assert registry.get("candidates", "tenant_id") is Classification.INTERNAL
    assert registry.tags[("candidates", "first_name")] == {"name"}


def test_a_column_labelled_twice_differently_is_refused() -> None:
    a = Registry.from_tables({"t": {"c": "public"}}, "a.yaml")
    b = Registry.from_tables({"t": {"c": "personal"}}, "b.yaml")
    with pytest.raises(ConfigurationError, match=r"t\.c is classified public in a\.yaml and personal in b\.yaml"):
        a.merge(b)


def test_unknown_labels_name_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError, match="expected one of public, internal"):
        Registry.from_tables({"t": {"c": "secret"}}, "x.yaml")


def test_block_files_are_loaded_from_packages(tmp_path: Path) -> None:
    registry = load_registry(model_paths=[tmp_path / "absent.yaml"], packages=["pavedroad.privacy", "no.such"])
    assert registry.get("audit_events", "row_count") is Classification.INTERNAL
    assert registry.get("legal_holds", "reason") is Classification.CONFIDENTIAL
    assert "erasures" in registry.tables()
    assert registry.columns_at_least("legal_holds", Classification.CONFIDENTIAL) == ["reason"]

"""The recruiting semantic model (``model.yaml``), loaded once per process."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pavedroad.query import SemanticModel, parse_model

__all__ = ["recruiting_model"]


@cache
def recruiting_model() -> SemanticModel:
    """The validated recruiting model shipped with pavedroad."""
    text = resources.files("pavedroad.recruiting").joinpath("model.yaml").read_text()
    return parse_model(text, origin="pavedroad/recruiting/model.yaml")

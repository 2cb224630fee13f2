"""OpenFeature evaluation semantics (openfeature-spec-gherkin ``evaluation.feature``) through the real SDK.

The gherkin's own flag file is written for an in-memory provider with JavaScript context evaluators, so
the scenarios run against the flagd testkit flags of the same names (same variants and defaults).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from pavedroad.flags import FlagClient, FlagRuntime, PavedroadProvider, StoreState, parse_flag_set


@pytest.fixture
def of(conformance_dir: Path) -> Iterator[OpenFeatureClient]:
    doc = json.loads((conformance_dir / "flagd-testbed" / "evaluator" / "flags" / "testkit-flags.json").read_text())
    assert (conformance_dir / "openfeature-spec-gherkin" / "evaluation.feature").exists()
    api.set_provider(PavedroadProvider(FlagClient(FlagRuntime(state=StoreState(1, parse_flag_set(doc))))), "pr-test")
    yield api.get_client("pr-test")
    api.shutdown()


def test_resolves_typed_values(of: OpenFeatureClient) -> None:
    assert of.get_boolean_value("boolean-flag", False) is True
    assert of.get_string_value("string-flag", "bye") == "hi"
    assert of.get_integer_value("integer-flag", 1) == 10
    assert of.get_float_value("float-flag", 0.1) == 0.5
    assert of.get_object_value("object-flag", {}) == {"showImages": True, "title": "Check out these pics!",
                                                      "imagesPerPage": 100}  # fmt: skip


def test_details_carry_variant_and_reason(of: OpenFeatureClient) -> None:
    d = of.get_string_details("string-flag", "bye")
    assert (d.value, d.variant, d.reason) == ("hi", "greeting", Reason.STATIC)
    d2 = of.get_integer_details("integer-flag", 1)
    assert (d2.value, d2.variant, d2.reason) == (10, "ten", Reason.STATIC)


def test_context_aware_evaluation(of: OpenFeatureClient) -> None:
    ctx = EvaluationContext(attributes={"email": "ballmer@macrosoft.com"})
    assert of.get_string_value("some-email-targeted-flag", "fallback", ctx) == "hi"
    assert of.get_string_value("some-email-targeted-flag", "fallback") == "bye"


def test_errors_return_the_default_with_a_code(of: OpenFeatureClient) -> None:
    d = of.get_string_details("missing-flag", "uh-oh")
    assert (d.value, d.reason, d.error_code) == ("uh-oh", Reason.ERROR, ErrorCode.FLAG_NOT_FOUND)
    d2 = of.get_integer_details("wrong-flag", 13)
    assert (d2.value, d2.reason, d2.error_code) == (13, Reason.ERROR, ErrorCode.TYPE_MISMATCH)
    d3 = of.get_boolean_details("disabled-boolean-flag", False)
    assert (d3.value, d3.reason) == (False, Reason.DISABLED)

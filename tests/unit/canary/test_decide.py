"""The decision table: harm rolls back first, no sample never promotes, stuck steps ask a human."""

from __future__ import annotations

import doctest

import pytest

from pavedroad import canary
from pavedroad.canary import RULES, Action, MetricResult, Policy, StepView, decide
from pavedroad.canary.verdict import judge
from pavedroad.errors import InvalidInput

POLICY = Policy(min_requests=100, min_checks=2, max_checks=5)


def view(**changes: object) -> StepView:
    base: dict[str, object] = {
        "rollout": "r",
        "step": 1,
        "last_step": 3,
        "safe_step": 0,
        "checks_at_step": 3,
        "baseline_requests_at_step": 1000,
        "canary_requests_at_step": 1000,
    }
    base.update(changes)
    return StepView(**base)  # type: ignore[arg-type]


def result(metric: str = "error_rate", *, alarm: bool = False, log_e: float = 0.0, guard: bool = False) -> MetricResult:
    test = "msprt-one-sample-rate" if guard else "msprt-poisson-ratio"
    return MetricResult(metric, test, alarm, 1000, 1000, 0.01, 0.02, 2.0, 1.2, 3.1, log_e, 6.0, 0.0025)


@pytest.mark.parametrize(
    ("step", "results", "expected", "rule"),
    [
        (view(), [result(alarm=True, log_e=7.0)], Action.ROLLBACK, "harm"),
        (view(), [result("slo_burn", alarm=True, guard=True)], Action.ROLLBACK, "guard"),
        (view(paused=True), [result(alarm=True, log_e=7.0)], Action.ROLLBACK, "harm"),  # harm beats a pause
        (view(paused=True), [result()], Action.PAUSE, "paused"),
        (view(step=3), [result()], Action.HOLD, "complete"),
        (view(canary_requests_at_step=0), [result()], Action.HOLD, "sample"),
        (view(canary_requests_at_step=0, checks_at_step=5), [result()], Action.PAUSE, "starved"),
        (view(checks_at_step=1), [result()], Action.HOLD, "dwell"),
        (view(hold_remaining_s=120.0), [result()], Action.HOLD, "dwell"),
        (view(), [result(log_e=3.5)], Action.HOLD, "suspicious"),
        (view(checks_at_step=5), [result(log_e=3.5)], Action.PAUSE, "suspicious-stuck"),
        (view(), [result(log_e=1.0)], Action.PROMOTE, "promote"),
    ],
)
def test_rules(step: StepView, results: list[MetricResult], expected: Action, rule: str) -> None:
    d = decide(step, results, POLICY, now=10.0, dry_run=False)
    assert d.action is expected
    assert d.reason.startswith(f"[{rule}]")
    assert d.step_to == {Action.PROMOTE: step.step + 1, Action.ROLLBACK: step.safe_step}.get(expected, step.step)


def test_every_decision_carries_the_numbers_and_serialises_without_nan() -> None:
    r = result(alarm=True, log_e=float("inf"))
    d = decide(view(), [r], POLICY, now=10.0, dry_run=True)
    body = d.to_dict()
    assert body["dry_run"] is True
    assert body["results"][0]["log_e_value"] is None  # JSON has no infinity
    assert "canary/baseline 2.00 [1.20, 3.10]" in d.reason


def test_rule_names_are_unique_and_the_last_always_applies() -> None:
    names = [name for name, *_ in RULES]
    assert len(names) == len(set(names))
    assert names[-1] == "promote"


def test_policy_validation_names_the_field() -> None:
    with pytest.raises(InvalidInput, match="alpha"):
        Policy(alpha=0.9)
    with pytest.raises(InvalidInput, match="alpah"):
        Policy.from_dict({"alpah": 0.1})
    assert Policy.from_dict({"quantiles": [0.99]}).quantiles == (0.99,)
    assert Policy().per_test_alpha == pytest.approx(0.0025)


def test_verdict_without_canary_traffic_is_inconclusive_never_pass() -> None:
    out = judge([], Policy(), name="v1->v2", now=0.0)
    assert out["verdict"] == "inconclusive"
    assert out["score"] == 50


def test_public_api_is_curated() -> None:
    public = {n for n in dir(canary) if (not n.startswith("_") and n[0].isupper()) or n in canary.__all__}
    exported = {n for n in public if not isinstance(getattr(canary, n), type(canary))}
    assert exported <= set(canary.__all__)
    assert all(hasattr(canary, n) for n in canary.__all__)


def test_docstring_examples_run() -> None:
    from pavedroad.canary import latency, sequential

    for module in (canary, latency, sequential):
        failures, _ = doctest.testmod(module, raise_on_error=False)
        assert failures == 0


def test_a_ramp_that_has_not_started_enters_its_first_step_without_canary_traffic() -> None:
    """At step -1 nobody is in the canary cohort, so waiting for a canary sample would hold forever."""
    view = StepView("r", step=-1, last_step=3, safe_step=-1, checks_at_step=1,
                    baseline_requests_at_step=10, canary_requests_at_step=0)  # fmt: skip
    decision = decide(view, [], Policy(), now=0.0, dry_run=False)
    assert decision.action is Action.PROMOTE
    assert decision.step_to == 0

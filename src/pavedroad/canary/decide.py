# ruff: noqa: RUF003 - the statistics read in their usual notation (ρ, γ, ×, −)
"""From test results to one action, by an ordered table of rules: the first rule that matches wins.

Guarantees: harm (a guard or a relative test alarming, canary worse) always rolls back, before anything
else is considered; nothing is promoted without ``policy.min_requests`` per cohort at the current step
and ``policy.min_checks`` checks there (no traffic ⇒ hold, never promote) — except entering the first
step, where nobody is exposed yet; a step that cannot gather
its sample within ``policy.max_checks`` pauses for a human instead of waiting forever; evidence that is
building against the canary (past half the alarm threshold, in log terms) holds instead of promoting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pavedroad.canary.model import Action, Decision, MetricResult, Policy

__all__ = ["RULES", "StepView", "decide"]


@dataclass(frozen=True)
class StepView:
    """What the decision needs to know about the rollout's position."""

    rollout: str
    step: int  # index into the ramp's steps
    last_step: int  # index of the final step (100 %)
    safe_step: int  # where a rollback goes: the last step proven safe (first in, last out)
    checks_at_step: int  # checks made since the ramp reached ``step``, this one included
    baseline_requests_at_step: int
    canary_requests_at_step: int
    paused: bool = False
    hold_remaining_s: float = 0.0  # the flag schedule's own hold still to run at this step


@dataclass(frozen=True)
class _Ctx:
    view: StepView
    results: Sequence[MetricResult]
    policy: Policy

    @property
    def guards(self) -> list[MetricResult]:
        return [r for r in self.results if r.alarm and r.test == "msprt-one-sample-rate"]

    @property
    def harms(self) -> list[MetricResult]:
        return [r for r in self.results if r.alarm and r.test != "msprt-one-sample-rate"]

    @property
    def sampled(self) -> bool:
        v = self.view
        return min(v.baseline_requests_at_step, v.canary_requests_at_step) >= self.policy.min_requests

    @property
    def building(self) -> list[MetricResult]:
        return [r for r in self.results if not r.alarm and r.log_e_value >= 0.5 * r.threshold_log_e]


def _describe(r: MetricResult) -> str:
    if r.test == "msprt-one-sample-rate":
        burn = "n/a" if r.canary_estimate is None else f"{r.canary_estimate:.1f}×"
        return f"{r.metric}: canary burn rate {burn} over {r.canary_requests} requests ({r.note})"
    ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}"
    lo = "?" if r.lower is None else f"{r.lower:.2f}"
    hi = "?" if r.upper is None else f"{r.upper:.2f}"
    return (
        f"{r.metric}: canary/baseline {ratio} [{lo}, {hi}], log e-value {r.log_e_value:.1f} ≥ "
        f"{r.threshold_log_e:.1f} (alpha {r.alpha:g}, {r.baseline_requests}/{r.canary_requests} requests)"
    )


Rule = tuple[str, Callable[[_Ctx], bool], Action, Callable[[_Ctx], str]]

# (name, applies when, action, reason). Order is the policy: harm first, then sample, then promotion.
RULES: tuple[Rule, ...] = (
    ("guard", lambda c: bool(c.guards), Action.ROLLBACK, lambda c: "; ".join(_describe(r) for r in c.guards)),
    ("harm", lambda c: bool(c.harms), Action.ROLLBACK, lambda c: "; ".join(_describe(r) for r in c.harms)),
    ("paused", lambda c: c.view.paused, Action.PAUSE, lambda c: "paused by a human; resume to continue"),
    # Before the first step nobody is exposed, so no canary sample can ever exist: waiting for one would
    # hold forever. Entering the first step is the only promotion that needs no comparison.
    (
        "start",
        lambda c: c.view.step < 0,
        Action.PROMOTE,
        lambda c: "not started: nobody is exposed yet, so the first step needs no comparison",
    ),
    # At the final step there is no baseline left to compare with; the absolute guards still watch.
    (
        "complete",
        lambda c: c.view.step >= c.view.last_step,
        Action.HOLD,
        lambda c: "at the final step and healthy: the rollout is complete",
    ),
    (
        "starved",
        lambda c: not c.sampled and c.view.checks_at_step >= c.policy.max_checks,
        Action.PAUSE,
        lambda c: (
            f"step {c.view.step} gathered {c.view.baseline_requests_at_step}/{c.view.canary_requests_at_step}"
            f" baseline/canary requests in {c.view.checks_at_step} checks (need {c.policy.min_requests} each);"
            " a human should decide"
        ),
    ),
    (
        "sample",
        lambda c: not c.sampled,
        Action.HOLD,
        lambda c: (
            f"waiting for the minimum sample: {c.view.baseline_requests_at_step}/{c.view.canary_requests_at_step}"
            f" baseline/canary requests at this step, need {c.policy.min_requests} each"
        ),
    ),
    (
        "dwell",
        lambda c: c.view.checks_at_step < c.policy.min_checks or c.view.hold_remaining_s > 0,
        Action.HOLD,
        lambda c: (
            f"dwelling: check {c.view.checks_at_step} of at least {c.policy.min_checks} at this step,"
            f" {max(c.view.hold_remaining_s, 0):.0f}s of the schedule's hold left"
        ),
    ),
    (
        "suspicious-stuck",
        lambda c: bool(c.building) and c.view.checks_at_step >= c.policy.max_checks,
        Action.PAUSE,
        lambda c: (
            "evidence against the canary is building but inconclusive: " + "; ".join(_describe(r) for r in c.building)
        ),
    ),
    (
        "suspicious",
        lambda c: bool(c.building),
        Action.HOLD,
        lambda c: "not promoting while evidence builds: " + "; ".join(_describe(r) for r in c.building),
    ),
    ("promote", lambda c: True, Action.PROMOTE, lambda c: "healthy with the minimum sample: next step"),
)


def decide(view: StepView, results: Sequence[MetricResult], policy: Policy, *, now: float, dry_run: bool) -> Decision:
    """Apply ``RULES`` in order; the decision carries the rule's reason and every result."""
    ctx = _Ctx(view, results, policy)
    for name, applies, action, reason in RULES:
        if applies(ctx):
            step_to = {
                Action.PROMOTE: min(view.step + 1, view.last_step),
                Action.ROLLBACK: view.safe_step,
            }.get(action, view.step)
            return Decision(
                rollout=view.rollout,
                action=action,
                reason=f"[{name}] {reason(ctx)}",
                at=now,
                step_from=view.step,
                step_to=step_to,
                results=tuple(results),
                dry_run=dry_run,
                checks_at_step=view.checks_at_step,
                rule=name,
            )
    raise AssertionError("the last rule always applies")  # pragma: no cover

"""One verdict for a deploy canary judged from outside (Argo Rollouts web metric, Flagger webhook).

Guarantee: the verdict is the controller's decision table applied to the same tests, mapped to what
progressive-delivery tools understand: ``fail`` exactly when the controller would roll back (a guard
or a relative test alarmed: canary worse, with always-valid evidence), ``pass`` when it would promote
(the minimum sample is in and no evidence is building), ``inconclusive`` otherwise (too little traffic
yet, or evidence building). Each call re-reads every slice since ``since``, so repeated calls are
repeated looks at one always-valid test, not independent tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pavedroad.canary.analysis import analyse
from pavedroad.canary.decide import StepView, decide
from pavedroad.canary.model import Action, Policy, SlicePair

__all__ = ["SCORES", "judge"]

Verdict = Literal["pass", "fail", "inconclusive"]
_VERDICTS: dict[Action, Verdict] = {
    Action.PROMOTE: "pass",
    Action.ROLLBACK: "fail",
    Action.HOLD: "inconclusive",
    Action.PAUSE: "inconclusive",
}
# Kayenta-style score for tools that threshold a number (Argo: ``result.score >= 100``).
SCORES: dict[Verdict, int] = {"pass": 100, "inconclusive": 50, "fail": 0}


def judge(pairs: Sequence[SlicePair], policy: Policy, *, name: str, now: float) -> dict[str, Any]:
    """Verdict, score, reason and every test result for baseline vs canary over ``pairs``."""
    results = analyse(pairs, policy)
    view = StepView(
        rollout=name,
        step=0,
        last_step=1,
        safe_step=-1,
        checks_at_step=policy.min_checks,  # an external tool paces the looks; no dwell of our own
        baseline_requests_at_step=sum(p.baseline.requests for p in pairs),
        canary_requests_at_step=sum(p.canary.requests for p in pairs),
    )
    decision = decide(view, results, policy, now=now, dry_run=True)
    verdict = _VERDICTS[decision.action]
    return {
        "verdict": verdict,
        "score": SCORES[verdict],
        "reason": decision.reason,
        "slices": len(pairs),
        "baseline_requests": view.baseline_requests_at_step,
        "canary_requests": view.canary_requests_at_step,
        "results": [r.to_dict() for r in results],
    }

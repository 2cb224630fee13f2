"""Canary analysis and guarded rollouts: a bad release stops itself, with statistics that do not cry wolf.

Baseline and canary cohorts (flag variants or deploy versions, measured side by side by the SLO
recorder) are compared after every check with always-valid sequential tests, so looking often does not
inflate false alarms; the controller then promotes, holds, pauses or rolls back the flag's ramp, and
records why with the numbers.

    >>> from pavedroad.canary import CohortCounts, Policy, SlicePair, analyse
    >>> pair = SlicePair(0.0, 60.0, CohortCounts(1000, 3, {}), CohortCounts(1000, 30, {}))
    >>> results = analyse([pair] * 5, Policy())
    >>> next(r for r in results if r.metric == "error_rate").alarm
    True
"""

from pavedroad.canary.analysis import CohortArrays, analyse, arrays_from_pairs, relative_tests
from pavedroad.canary.controller import Controller, Rollout, run_controller
from pavedroad.canary.decide import RULES, StepView, decide
from pavedroad.canary.discover import guarded_rollouts
from pavedroad.canary.drivers import SloSlicesSource, build_controller, flag_rollouts
from pavedroad.canary.latency import BucketScheme
from pavedroad.canary.model import Action, CohortCounts, Decision, MetricResult, Policy, SlicePair
from pavedroad.canary.ports import CohortSpec
from pavedroad.canary.sequential import CountTest, count_test, rate_above_test
from pavedroad.canary.simulate import SCENARIOS, MethodFigures, Scenario, simulate
from pavedroad.canary.store import latest_per_rollout
from pavedroad.canary.store import recent as recent_decisions
from pavedroad.canary.verdict import judge

__all__ = [
    "RULES",
    "SCENARIOS",
    "Action",
    "BucketScheme",
    "CohortArrays",
    "CohortCounts",
    "CohortSpec",
    "Controller",
    "CountTest",
    "Decision",
    "MethodFigures",
    "MetricResult",
    "Policy",
    "Rollout",
    "Scenario",
    "SlicePair",
    "SloSlicesSource",
    "StepView",
    "analyse",
    "arrays_from_pairs",
    "build_controller",
    "count_test",
    "decide",
    "flag_rollouts",
    "guarded_rollouts",
    "judge",
    "latest_per_rollout",
    "rate_above_test",
    "recent_decisions",
    "relative_tests",
    "run_controller",
    "simulate",
]

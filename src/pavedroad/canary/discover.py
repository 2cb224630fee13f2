"""Which rollouts to guard: every flag with a ramp and a ``pavedroad.guard``, read from the flag set.

Guarantee: ``guarded_rollouts`` is pure: given a flagd flag set it returns one ``Rollout`` per enabled
flag whose metadata carries a ramp schedule and a guard (``green`` or ``red``), comparing the ramp's
first treatment variant (``pavedroad.rollout``) against the flag's default variant, i.e. the cohort
labels your code passes to ``slo.set_cohort``. ``Controller.sync`` keeps the controller's list equal
to it, so publishing ``pavedroad flags ramp <flag> <schedule> --guard green`` is all it takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pavedroad.canary.controller import Rollout
from pavedroad.canary.model import Policy
from pavedroad.canary.ports import CohortSpec

__all__ = ["guarded_rollouts"]


def guarded_rollouts(
    flag_set: Any, *, policy: Policy | None = None, policies: Mapping[str, Policy] | None = None
) -> list[Rollout]:
    """Rollouts for the guarded ramps of ``flag_set`` (a ``pavedroad.flags.FlagSet``), by flag key."""
    from pavedroad.flags import read_meta

    out = []
    for key, flag in sorted(flag_set.flags.items()):
        if flag.state != "ENABLED":
            continue
        meta, _ = read_meta(flag.metadata, flag.variants)
        if not meta.schedule or meta.guard is None or not meta.rollout:
            continue
        treatment = meta.rollout[0][0]
        baseline = flag.defaultVariant
        if baseline is None or baseline == treatment:
            baseline = next((v for v in flag.variants if v != treatment), None)
        if baseline is None:
            continue
        chosen = (policies or {}).get(key) or policy or Policy()
        out.append(Rollout(key, key, CohortSpec(baseline, treatment), chosen))
    return out

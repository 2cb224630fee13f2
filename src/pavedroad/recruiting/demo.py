"""What `pavedroad demo` adds on top of seeded data: a guarded rollout for the canary to judge.

The flag gates the application-detail read path (``service/routes/recruiting.py``); its variant becomes
the request's SLO cohort, so the canary controller compares ``on`` against ``off`` as the ramp moves.
"""

from __future__ import annotations

from typing import Any

import psycopg

__all__ = ["DEMO_FLAG", "DEMO_FLAG_DEFINITION", "ensure_demo_flag"]

DEMO_FLAG = "recruiting.application-detail-v2"
DEMO_FLAG_DEFINITION: dict[str, Any] = {
    "state": "ENABLED",
    "variants": {"on": True, "off": False},
    "defaultVariant": "off",
    "metadata": {
        "pavedroad.owner": "recruiting-platform",
        "pavedroad.expires": "2027-06-30",
        "pavedroad.stickiness": "targetingKey",
        "pavedroad.rollout": "on",
        "pavedroad.ramp": "20%:2m,50%:3m,100%",
        "pavedroad.guard": "green",
    },
}


def ensure_demo_flag(owner_url: str) -> bool:
    """Publish the demo rollout unless a flag of that key exists; True when it was published now."""
    from pavedroad.flags import Actor, get_flag, put_flag
    from pavedroad.flags import run_store_op as run

    with psycopg.connect(owner_url) as conn:
        try:
            run(conn, get_flag(DEMO_FLAG))
        except Exception:  # noqa: BLE001 - FlagNotFound (or an empty store): publish it
            conn.rollback()
            run(
                conn,
                put_flag(
                    DEMO_FLAG, DEMO_FLAG_DEFINITION, actor=Actor.platform("pavedroad demo"), reason="demo rollout"
                ),
            )
            conn.commit()
            return True
    return False

"""The canary's ramp API against the store: position, move, guard, back to safe; each change audited."""

from __future__ import annotations

from pavedroad.flags import Actor, FlagClient, FlagRuntime, RampController
from pavedroad.flags.control import set_ramp
from pavedroad.flags.store import history, load_state
from pavedroad.testing import FakeClock, TestDatabase

from .conftest import write


def _treated(state: object, clock: FakeClock) -> int:
    client = FlagClient(FlagRuntime(state=state, clock=clock.time))  # type: ignore[arg-type]
    return sum(client.enabled("new-ui", {"tenant": f"t{i}"}) for i in range(2000))


def test_guarded_schedule_moves_only_while_green(store: TestDatabase) -> None:
    clock = FakeClock()
    ramps = RampController(store.owner_url, clock=clock.time)
    write(
        store.owner_url,
        set_ramp(
            "new-ui", "5%:1h,25%:1h,100%", guard=True, actor=Actor.platform("sre"), reason="start", now=clock.time()
        ),
    )
    pos = ramps.position("new-ui")
    assert (pos.step, pos.percent, pos.guard, pos.last_step) == (0, 5.0, "green", 2)
    clock.advance(3600)
    assert ramps.position("new-ui").step == 1  # green: the schedule advanced by itself
    at_25 = _treated(write(store.app_url, load_state()), clock)
    ramps.set_guard("new-ui", False, author="canary", reason="p99 regression")
    clock.advance(5 * 3600)
    pos = ramps.position("new-ui")
    assert (pos.step, pos.guard) == (1, "red")  # red: pinned where it stood, nobody removed
    assert _treated(write(store.app_url, load_state()), clock) == at_25
    ramps.back_to_safe("new-ui", author="canary", reason="roll back")
    pos = ramps.position("new-ui")
    assert (pos.step, pos.percent) == (-1, 0.0)
    actions = [(e.action, e.author) for e in write(store.owner_url, history("new-ui"))][:3]
    assert actions == [("ramp", "canary"), ("guard", "canary"), ("ramp", "sre")]


def test_update_is_the_canarys_one_verb(store: TestDatabase) -> None:
    clock = FakeClock()
    ramps = RampController(store.owner_url, clock=clock.time)
    write(
        store.owner_url,
        set_ramp("new-ui", "1%,5%,25%,100%", guard=True, actor=Actor.platform("sre"), reason="start", now=clock.time()),
    )
    pos = ramps.update("new-ui", step=2, safe_step=1, guard="green", author="canary", reason="promote")
    assert (pos.step, pos.percent, pos.safe_step, pos.guard, pos.since) == (2, 25.0, 1, "green", clock.time())
    pos = ramps.update("new-ui", guard="red", author="canary", reason="hold")
    assert (pos.step, pos.guard) == (2, "red")
    assert ramps.update("new-ui", author="canary", reason="read").step == 2

"""The attempt-timeout wheel: cancels overdue tasks, tells its own cancellations apart, leaves nothing behind."""

from __future__ import annotations

import asyncio

import pytest

from pavedroad.resilience.timers import wheel_for


async def test_an_overdue_task_is_cancelled_and_marked_fired() -> None:
    async def hang() -> None:
        await asyncio.sleep(60)

    task = asyncio.create_task(hang())
    await asyncio.sleep(0)
    wheel = wheel_for(task)
    slot = wheel.arm(0.02, task)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert wheel.disarm(slot, task) is True
    assert wheel.disarm(slot, task) is False  # reported once


async def test_a_disarmed_timer_never_fires_and_slots_are_cleaned() -> None:
    task = asyncio.current_task()
    assert task is not None
    wheel = wheel_for(task)
    slots = [wheel.arm(0.01 * i, task) for i in range(1, 4)]
    for slot in slots:
        assert wheel.disarm(slot, task) is False
    await asyncio.sleep(0.08)  # let the wheel pass every slot
    assert task not in wheel.fired
    assert wheel.slots == {}
    assert wheel.handle is None


async def test_an_earlier_deadline_rearms_the_wheel() -> None:
    async def hang() -> None:
        await asyncio.sleep(60)

    late, early = asyncio.create_task(hang()), asyncio.create_task(hang())
    await asyncio.sleep(0)
    wheel = wheel_for(late)
    late_slot = wheel.arm(30.0, late)
    wheel.arm(0.02, early)
    with pytest.raises(asyncio.CancelledError):
        await early
    assert not late.done()
    wheel.disarm(late_slot, late)
    late.cancel()
    with pytest.raises(asyncio.CancelledError):
        await late

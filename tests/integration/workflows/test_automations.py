"""Automation rules end to end on Postgres: replayed events fire exactly what the preview predicts, each
action once at the receiving server; conditions in the query DSL run through the guardrails; saving
validates, versions and emits an event."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad import workflows
from pavedroad.errors import InvalidInput
from pavedroad.events import Event, aappend
from pavedroad.query import QueryError
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import GUARDRAILS
from pavedroad.tenancy import atransaction
from pavedroad.testing import EffectReceiver, FakeClock, TestDatabase
from pavedroad.workflows.store import at
from tests.integration.privacy.seed import seed_tenant
from tests.integration.workflows.conftest import ACME

HOUR = 3600.0
CONDITION = workflows.DslCondition(GUARDRAILS, recruiting_model())


def _rules(url: str) -> list[workflows.Rule]:
    hook = workflows.WebhookAction(dependency="hooks", url=f"{url}/hook")
    return [
        workflows.Rule(
            id="remind",
            entity="applications",
            trigger=workflows.AbsenceTrigger(after="interview_completed", missing="feedback_submitted", within_s=HOUR),
            actions=[hook],
        ),
        workflows.Rule(
            id="prep", entity="applications", trigger=workflows.EventTrigger(event="application_moved"), actions=[hook]
        ),
    ]


def _history(clock: FakeClock) -> list[Event]:
    """Events over five hours: answered, late, silent and still-open interviews, and some moves."""
    script = [
        ("interview_completed", "a1", 0),
        ("application_moved", "a1", 10),
        ("feedback_submitted", "a1", 30),
        ("interview_completed", "a2", 20),
        ("feedback_submitted", "a2", 150),
        ("interview_completed", "a3", 60),
        ("application_moved", "a4", 100),
        ("interview_completed", "a5", 280),
        ("application_moved", "a5", 290),
    ]
    events = [
        Event(
            type=kind,
            tenant_id="acme",
            aggregate_type="application",
            aggregate_id=agg,
            occurred_at=at(clock.time() + minutes * 60),
        )
        for kind, agg, minutes in script
    ]
    return sorted(events, key=lambda e: e.occurred_at)


async def _drain(worker: workflows.Worker) -> None:
    while await worker.run_once():
        pass


async def test_replayed_events_fire_exactly_what_the_preview_predicts(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    start = clock.time()
    history = _history(clock)
    end = at(start + 300 * 60)
    with EffectReceiver(key_field="event") as receiver:
        rules = _rules(receiver.url)
        predicted = {str(e.id) for rule in rules for e in workflows.preview(rule, history, end)}
        registry = workflows.Registry()
        workflows.register_automations(registry, CONDITION)
        async with workflows.Worker(registry, app_pool, database.owner_url, clock=clock) as worker:
            for event in history:
                clock.advance(event.occurred_at.timestamp() - clock.time())
                await _drain(worker)  # windows that closed before this event act first
                await workflows.handle_event(app_pool, registry, rules, event, clock=clock)
                await workflows.handle_event(app_pool, registry, rules, event, clock=clock)  # redelivered
                await _drain(worker)
            clock.advance(end.timestamp() - clock.time())
            await _drain(worker)
        applied, _ = receiver.snapshot()
    assert len(predicted) == 5  # a2 (late), a3 (silent) and three moves; a1 answered, a5 still open
    assert set(applied) == predicted
    assert set(applied.values()) == {1}


async def test_conditions_run_through_the_guardrails_and_rules_are_versioned(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    world = seed_tenant(database.owner_url, "acme", candidates=2)
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "update applications set status = 'archived', archived_at = now() where id = %s", (world.applications[1],)
        )
    hook = workflows.WebhookAction(dependency="hooks", url="https://hooks.example/hook")
    rule = workflows.Rule(
        id="active-moves",
        entity="applications",
        trigger=workflows.EventTrigger(event="application_moved"),
        condition='status = "active"',
        actions=[hook],
    )
    first = await workflows.save_rule(app_pool, ACME, rule, CONDITION, clock=clock)
    second = await workflows.save_rule(app_pool, ACME, rule, CONDITION, clock=clock)
    assert (first.version, second.version) == (1, 2)
    assert [r.version for r in await workflows.list_rules(app_pool, ACME)] == [2]
    with pytest.raises(QueryError) as error:
        await workflows.save_rule(app_pool, ACME, rule.model_copy(update={"condition": "stauts = 1"}), CONDITION)
    assert "stauts" in error.value.render()
    async with atransaction(app_pool, ACME) as tx:
        for app_id in world.applications[:2]:
            await aappend(
                tx,
                Event(
                    type="application_moved",
                    tenant_id="acme",
                    aggregate_type="application",
                    aggregate_id=str(app_id),
                    occurred_at=at(clock.time() - 2 * 86400),
                ),
            )
    result = await workflows.preview_rule(app_pool, ACME, second, CONDITION, clock=clock)
    assert (result.count, [s["aggregate_id"] for s in result.sample]) == (1, [str(world.applications[0])])
    assert (await workflows.preview_rule(app_pool, ACME, second, CONDITION, days=1, clock=clock)).count == 0
    with psycopg.connect(database.owner_url) as conn:
        saved = conn.execute("select count(*) from event_outbox where event_type = 'automation_saved'").fetchone()
    assert saved == (2,)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example/in",
        "https://127.0.0.1/in",
        "https://10.1.2.3/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://localhost:8080/in",
        "https://db.internal/in",
    ],
)
async def test_a_rule_cannot_target_our_own_network(app_pool: AsyncConnectionPool, url: str) -> None:
    """Saving refuses webhooks to loopback, private, link-local and local names, and plain http."""
    rule = workflows.Rule(
        id="ssrf",
        entity="applications",
        trigger=workflows.EventTrigger(event="application_moved"),
        actions=[workflows.WebhookAction(dependency="hooks", url=url)],
    )
    with pytest.raises(InvalidInput) as error:
        await workflows.save_rule(app_pool, ACME, rule, CONDITION)
    assert error.value.code == "WF422"
    assert await workflows.list_rules(app_pool, ACME) == []

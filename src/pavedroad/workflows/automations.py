"""Automation rules at work: save (validated, versioned, evented), react to events, preview against history.

Guarantees: a rule's actions run inside the durable workflow ``automation`` (one run per rule and
triggering event, so a redelivered event acts once; webhooks carry the step's idempotency key through
the resilience pipeline); its condition is judged by the query DSL through the caller-supplied
``QueryGuard`` (field access, row rules, audit) as the tenant's admin, checkpointed as a step; ``preview``
feeds the tenant's event history through ``rules.decide``, the same decisions the live path takes.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from pavedroad import tenancy
from pavedroad.clock import Clock, SystemClock
from pavedroad.errors import InvalidInput
from pavedroad.events import Event, aappend
from pavedroad.query import QueryGuard, RunOptions, SemanticModel
from pavedroad.workflows import api, store
from pavedroad.workflows.context import WorkflowContext
from pavedroad.workflows.definitions import Registry
from pavedroad.workflows.rules import AbsenceTrigger, Arm, Fire, Rule, absence_prefix, decide, fire_id, preview

__all__ = [
    "AUTOMATION",
    "Condition",
    "DslCondition",
    "Preview",
    "check_public_target",
    "handle_event",
    "list_rules",
    "preview_rule",
    "register_automations",
    "save_rule",
]

AUTOMATION = "automation"
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")
_SYSTEM = SystemClock()


class Condition(Protocol):
    """Does ``condition`` hold for entity ``entity_id`` in ``principal``'s tenant?"""

    async def holds(
        self, pool: AsyncConnectionPool, principal: tenancy.Principal, entity: str, entity_id: str, condition: str
    ) -> bool: ...


@dataclass(frozen=True)
class DslCondition:
    """Conditions in the query DSL, run through ``guard`` over ``model``: ``<entity> | where id = $id and (…)``."""

    guard: QueryGuard
    model: SemanticModel

    async def holds(
        self, pool: AsyncConnectionPool, principal: tenancy.Principal, entity: str, entity_id: str, condition: str
    ) -> bool:
        text = f"{entity}\n| where id = $id and ({condition})\n| select id"
        entity_key: Any = int(entity_id) if entity_id.lstrip("-").isdigit() else entity_id
        result = await self.guard.arun(
            pool, principal, text, model=self.model, options=RunOptions(params={"id": entity_key})
        )
        return bool(result.rows)


def check_public_target(url: str) -> None:
    """A tenant's webhook may reach only the public internet over https: no loopback, private,
    link-local or reserved address literal and no local name, so a rule cannot make our workers call
    our own network (names that resolve to private addresses are the egress proxy's to refuse)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    refused = parts.scheme != "https" or not host or host == "localhost" or host.endswith(_LOCAL_SUFFIXES)
    with contextlib.suppress(ValueError):
        refused = refused or not ipaddress.ip_address(host).is_global
    if refused:
        raise InvalidInput(
            f"webhook target {url!r} is not a public https address",
            code="WF422",
            hint="use an https URL on a public host name or address",
        )


def _event_summary(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "occurred_at": event.occurred_at.timestamp(),
    }


def register_automations(registry: Registry, condition: Condition) -> None:
    """Add the ``automation`` workflow (what every rule's actions run in) to ``registry``."""

    @registry.workflow(AUTOMATION)
    async def automation(ctx: WorkflowContext, data: dict[str, Any]) -> str:
        rule = Rule.model_validate(data["rule"])
        event = data["event"]
        if isinstance(rule.trigger, AbsenceTrigger):
            deadline = float(event["occurred_at"]) + rule.trigger.within_s

            async def remaining() -> float:
                return max(0.0, deadline - ctx.now())

            if await ctx.wait_signal("seen", timeout=await ctx.step("window", remaining)) is not None:
                return "disarmed"
        if rule.condition:

            async def check() -> bool:
                return await condition.holds(
                    ctx.pool, ctx.principal, rule.entity, event["aggregate_id"], str(rule.condition)
                )

            if not await ctx.step("condition", check):
                return "condition-false"
        for action in rule.actions:
            body = {"rule": rule.id, "version": rule.version, "event": event["id"], "aggregate": event["aggregate_id"]}
            await ctx.call(action.dependency, "POST", action.url, json=body)
        return "acted"


async def handle_event(
    pool: AsyncConnectionPool, registry: Registry, rules: list[Rule], event: Event, *, clock: Clock = _SYSTEM
) -> list[str]:
    """Apply ``event`` to the tenant's ``rules``: start action runs, wake armed ones; returns the run ids touched."""
    principal = tenancy.Principal(event.tenant_id, None, tenancy.Role.ADMIN)
    touched: list[str] = []
    for decision in decide(rules, event):
        if isinstance(decision, Fire | Arm):
            run_id = fire_id(decision.rule, event)
            data = {"rule": decision.rule.model_dump(mode="json"), "event": _event_summary(event)}
            await api.start(pool, principal, registry, AUTOMATION, run_id, input_value=data, clock=clock)
            touched.append(run_id)
            continue
        async with tenancy.atransaction(pool, principal) as tx:
            armed = await store.ids_with_prefix(tx, event.tenant_id, absence_prefix(decision.rule, event))
        for run_id in armed:
            await api.signal(pool, principal, run_id, "seen", payload={"event": str(event.id)}, clock=clock)
            touched.append(run_id)
    return touched


async def save_rule(
    pool: AsyncConnectionPool, principal: tenancy.Principal, rule: Rule, condition: Condition, *, clock: Clock = _SYSTEM
) -> Rule:
    """Validate ``rule`` (public https targets; its condition compiled and run for the tenant, so errors
    carry line, column and caret) and store it as the next version, with an ``automation_saved`` event;
    returns the saved version."""
    for action in rule.actions:
        check_public_target(action.url)
    if rule.condition:
        await condition.holds(pool, principal, rule.entity, "-1", rule.condition)
    async with tenancy.atransaction(pool, principal) as tx:
        row = await (
            await tx.execute(
                "select coalesce(max(version), 0) + 1 from automation_rules where tenant_id = %s and rule_id = %s",
                (principal.tenant_id, rule.id),
            )
        ).fetchone()
        saved = rule.model_copy(update={"version": int(row[0]) if row else 1})
        await tx.execute(
            "insert into automation_rules (tenant_id, rule_id, version, definition, saved_at)"
            " values (%s, %s, %s, %s, %s)",
            (
                principal.tenant_id,
                saved.id,
                saved.version,
                Jsonb(saved.model_dump(mode="json")),
                store.at(clock.time()),
            ),
        )
        payload = {"rule": saved.id, "version": saved.version}
        await aappend(
            tx,
            Event(
                type="automation_saved",
                tenant_id=principal.tenant_id,
                aggregate_type="automation",
                aggregate_id=saved.id,
                occurred_at=store.at(clock.time()),
                payload=payload,
                classification=dict.fromkeys(payload, "internal"),
            ),
        )
    return saved


async def list_rules(pool: AsyncConnectionPool, principal: tenancy.Principal) -> list[Rule]:
    """The newest version of each of the tenant's enabled rules."""
    async with tenancy.atransaction(pool, principal) as tx:
        cur = await tx.execute(
            "select distinct on (rule_id) definition from automation_rules where tenant_id = %s and enabled"
            " order by rule_id, version desc",
            (principal.tenant_id,),
        )
        return [Rule.model_validate(r[0]) for r in await cur.fetchall()]


@dataclass(frozen=True)
class Preview:
    """``count`` acting runs the rule would have started over the window; ``sample`` the first few events."""

    count: int
    sample: list[dict[str, Any]]


async def preview_rule(
    pool: AsyncConnectionPool,
    principal: tenancy.Principal,
    rule: Rule,
    condition: Condition,
    *,
    days: float = 30,
    sample: int = 5,
    clock: Clock = _SYSTEM,
) -> Preview:
    """Replay the tenant's last ``days`` of events (the outbox's retained history) through ``rule``; the
    condition is judged against today's data."""
    now = store.at(clock.time())
    trigger = rule.trigger
    types = [trigger.event] if not isinstance(trigger, AbsenceTrigger) else [trigger.after, trigger.missing]
    async with tenancy.atransaction(pool, principal) as tx:
        cur = await tx.execute(
            "select event_id, event_type, aggregate_type, aggregate_id, occurred_at from event_outbox"
            " where tenant_id = %s and event_type = any(%s) and occurred_at >= %s order by occurred_at, event_id",
            (principal.tenant_id, types, now - timedelta(days=days)),
        )
        history = [
            Event(id=i, type=t, tenant_id=principal.tenant_id, aggregate_type=a, aggregate_id=g, occurred_at=o)
            for i, t, a, g, o in await cur.fetchall()
        ]
    fired = preview(rule, history, now)
    if rule.condition:
        fired = [
            e for e in fired if await condition.holds(pool, principal, rule.entity, e.aggregate_id, rule.condition)
        ]
    return Preview(len(fired), [_event_summary(e) for e in fired[:sample]])

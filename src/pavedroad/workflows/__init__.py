"""Durable workflows on Postgres: async functions of checkpointed steps that survive any crash.

    registry = workflows.Registry()

    @registry.workflow("onboard", version=1, queue=workflows.Queue("email", concurrency=2))
    async def onboard(ctx: workflows.WorkflowContext, data: dict) -> str:
        await ctx.call("mailer", "POST", "https://mail.example/send", json={"template": "welcome"})
        await ctx.sleep(24 * 3600)                       # durable: the run parks, no worker waits
        feedback = await ctx.wait_signal("feedback", timeout=3 * 24 * 3600)
        return "done" if feedback else "reminded"

    await workflows.start(pool, principal, registry, "onboard", "onboard:app-42", {"application": 42})
    async with workflows.Worker(registry, pool, owner_url) as worker:
        await worker.run(stop)

Every step's result is checkpointed in tenant-scoped tables (row-level security) in a transaction fenced
by the worker's lease; a crashed worker's runs resume elsewhere after their last checkpoint; outbound
calls carry a per-step idempotency key through the resilience pipeline; every state change emits an
event through the outbox. See docs/workflows.md.
"""

from pavedroad.workflows.api import Started, cancel, get, list_runs, retry, signal, start
from pavedroad.workflows.automations import (
    AUTOMATION,
    Condition,
    DslCondition,
    Preview,
    check_public_target,
    handle_event,
    list_rules,
    preview_rule,
    register_automations,
    save_rule,
)
from pavedroad.workflows.claims import WORKER_ROLE, Claim
from pavedroad.workflows.context import Suspended, WorkflowContext, idempotency_key
from pavedroad.workflows.definitions import DEFAULT_QUEUE, Queue, Registry, Workflow, check_workflow_id
from pavedroad.workflows.rules import AbsenceTrigger, EventTrigger, Rule, WebhookAction, decide, preview
from pavedroad.workflows.store import ACTIVE, TERMINAL, LeaseLost
from pavedroad.workflows.worker import Worker

__all__ = [
    "ACTIVE",
    "AUTOMATION",
    "DEFAULT_QUEUE",
    "TERMINAL",
    "WORKER_ROLE",
    "AbsenceTrigger",
    "Claim",
    "Condition",
    "DslCondition",
    "EventTrigger",
    "LeaseLost",
    "Preview",
    "Queue",
    "Registry",
    "Rule",
    "Started",
    "Suspended",
    "WebhookAction",
    "Worker",
    "Workflow",
    "WorkflowContext",
    "cancel",
    "check_public_target",
    "check_workflow_id",
    "decide",
    "get",
    "handle_event",
    "idempotency_key",
    "list_rules",
    "list_runs",
    "preview",
    "preview_rule",
    "register_automations",
    "retry",
    "save_rule",
    "signal",
    "start",
]

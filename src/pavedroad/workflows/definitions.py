"""Workflow definitions: a name, a code version, a queue, and an async function of steps.

Guarantee: a ``Registry`` maps ``(name, version)`` to exactly one function, so a run started under a
version is always resumed by that version's code (a worker claims only the versions it has); a new
version is registered beside the old one, never over it. Queues declare a per-tenant concurrency limit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pavedroad.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from pavedroad.workflows.context import WorkflowContext

__all__ = ["DEFAULT_QUEUE", "Queue", "Registry", "Workflow", "WorkflowFn", "check_workflow_id"]

WorkflowFn = Callable[["WorkflowContext", Any], Awaitable[Any]]

_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$")


def check_workflow_id(workflow_id: str) -> str:
    """A workflow id: 1 to 200 characters of letters, digits and ``_.:/-``. Empty ids are refused, because
    an empty id would make every start a new run (the failure mode of engines that default it)."""
    if not isinstance(workflow_id, str) or not _ID.match(workflow_id):
        raise InvalidInput(
            f"workflow id {workflow_id!r} is not valid",
            code="WF400",
            hint="pass a non-empty id of up to 200 letters, digits or _.:/- that names the run, e.g. 'onboard:app-42'",
        )
    return workflow_id


def _check_name(name: str, what: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(f"{what} {name!r} must be lower-case letters, digits, '_', '.' or '-'", code="WF401")
    return name


@dataclass(frozen=True)
class Queue:
    """A named queue; ``concurrency``: at most this many runs of one tenant execute at once (None: no limit).
    Fairness is per tenant: claims go round-robin over the tenants with due work."""

    name: str
    concurrency: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.name, "queue")
        if self.concurrency is not None and self.concurrency < 1:
            raise InvalidInput(f"queue {self.name!r}: concurrency must be at least 1", code="WF402")


DEFAULT_QUEUE = Queue("default")


@dataclass(frozen=True)
class Workflow:
    """One version of a workflow's code."""

    name: str
    version: int
    fn: WorkflowFn
    queue: Queue = DEFAULT_QUEUE

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)


@dataclass
class Registry:
    """The workflows (every registered version) and queues a process knows."""

    _workflows: dict[tuple[str, int], Workflow] = field(default_factory=dict)
    _queues: dict[str, Queue] = field(default_factory=lambda: {DEFAULT_QUEUE.name: DEFAULT_QUEUE})

    def workflow(
        self, name: str, *, version: int = 1, queue: Queue = DEFAULT_QUEUE
    ) -> Callable[[WorkflowFn], WorkflowFn]:
        """Decorator: register ``fn`` as ``name`` at ``version`` on ``queue``."""

        def register(fn: WorkflowFn) -> WorkflowFn:
            self.add(Workflow(_check_name(name, "workflow"), version, fn, queue))
            return fn

        return register

    def add(self, wf: Workflow) -> None:
        """Register one version; the same (name, version) twice is a conflict, not a silent replacement."""
        if wf.version < 1:
            raise InvalidInput(f"workflow {wf.name!r}: version must be at least 1", code="WF403")
        if wf.key in self._workflows:
            raise Conflict(f"workflow {wf.name!r} version {wf.version} is already registered", code="WF409")
        known = self._queues.setdefault(wf.queue.name, wf.queue)
        if known != wf.queue:
            raise Conflict(f"queue {wf.queue.name!r} is declared twice with different limits", code="WF409")
        self._workflows[wf.key] = wf

    def get(self, name: str, version: int) -> Workflow:
        wf = self._workflows.get((name, version))
        if wf is None:
            raise NotFound(f"workflow {name!r} version {version} is not registered in this process", code="WF404")
        return wf

    def latest(self, name: str) -> Workflow:
        """The highest registered version of ``name``: what new runs start with."""
        versions = [v for (n, v) in self._workflows if n == name]
        if not versions:
            raise NotFound(f"no workflow named {name!r} is registered", code="WF404")
        return self._workflows[(name, max(versions))]

    def queue(self, name: str) -> Queue:
        return self._queues.get(name, Queue(name))

    def __iter__(self) -> Iterator[Workflow]:
        return iter(self._workflows.values())

"""Scheduling routes: solve an interview-scheduling request.

* ``POST /v1/scheduling/solve``  the best schedule for the request in the body, or why none exists

The body is read with a byte limit and validated by ``pavedroad.scheduling.parse_request`` (the same
path the CLI uses), so a malformed request is a 422 naming the field and why, never a 500. Solving is
CPU work: it runs in a worker thread under a time limit so the event loop keeps serving. Recruiters and
admins of the caller's tenant (from the key) may call it; nothing is stored.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pavedroad.errors import LimitExceeded
from pavedroad.scheduling import SchedulingInputError, SolveOptions, parse_request, solve
from pavedroad.service.auth import require_roles
from pavedroad.tenancy import Principal, Role

router = APIRouter(prefix="/v1/scheduling", tags=["scheduling"])

SchedulerDep = Annotated[Principal, require_roles(Role.ADMIN, Role.RECRUITER)]
MAX_BODY_BYTES = 2_000_000
MAX_TIME_LIMIT_S = 30.0


async def _body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise LimitExceeded(f"the request body is over {MAX_BODY_BYTES} bytes", code="S413")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY_BYTES:
            raise LimitExceeded(f"the request body is over {MAX_BODY_BYTES} bytes", code="S413")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise SchedulingInputError(
            f"the body is not JSON: {str(exc).splitlines()[0][:200]}", hint="send a JSON scheduling request"
        ) from None


@router.post("/solve", summary="Schedule interviews: earliest, balanced; or a minimal explanation of why not")
async def solve_request(
    request: Request,
    principal: SchedulerDep,
    time_limit_s: Annotated[float, Query(gt=0, le=MAX_TIME_LIMIT_S)] = 10.0,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    del principal  # the request carries its own people; nothing is read from or written to the tenant's data
    scheduling_request = parse_request(await _body(request))
    options = SolveOptions(time_limit_s=time_limit_s, seed=seed)
    schedule = await asyncio.to_thread(solve, scheduling_request, options)
    return schedule.model_dump(mode="json")

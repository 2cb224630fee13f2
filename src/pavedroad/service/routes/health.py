"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pavedroad.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The process can serve: the database answers")
async def readyz(request: Request) -> dict[str, Any]:
    try:
        async with request.app.state.pool.connection() as conn:
            await conn.execute("select 1")
    except Exception as exc:  # noqa: BLE001 - any failure to reach the pool means not ready
        raise Unavailable("the database is not reachable", hint=str(exc)[:200]) from None
    return {"status": "ready"}

"""``idempotent_write``: the one way a tenant write route is declared.

A write is a function of the tenant transaction, the principal, its path parameters and its pydantic
``body`` model, returning the JSON payload. The decorator registers it as a route that authenticates the
caller, opens one tenant transaction, claims or replays the ``Idempotency-Key`` inside it (the key is
bound to the caller, method, path and body), runs the write and stores its response before the commit.
So every write route has the same retry semantics, and none can forget them.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from pavedroad.service import idempotency
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal, atransaction

__all__ = ["IdempotencyKey", "idempotent_write"]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry a write safely with the same key: the first response is replayed, nothing is written twice.",
    ),
]
Write = TypeVar("Write", bound=Callable[..., Awaitable[Any]])
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def idempotent_write(
    route: Callable[..., Callable[[Callable[..., Any]], Any]], path: str, *, status_code: int = 200, **options: Any
) -> Callable[[Write], Write]:
    """Register ``write(conn, principal, <path parameters>, body)`` with ``route`` (``router.post``,
    ``router.patch``) at ``path``; ``options`` are the route's (``summary``, ...). The write is returned
    unchanged, so it stays callable on its own transaction."""

    def register(write: Write) -> Write:
        hints = typing.get_type_hints(write, include_extras=True)
        own = list(inspect.signature(write).parameters.values())[2:]  # after (conn, principal)
        parameters = [
            inspect.Parameter("request", _KEYWORD, annotation=Request),
            inspect.Parameter("principal", _KEYWORD, annotation=Annotated[Principal, Depends(current_principal)]),
            *(p.replace(kind=_KEYWORD, annotation=hints[p.name]) for p in own),
            inspect.Parameter("idempotency_key", _KEYWORD, default=None, annotation=IdempotencyKey),
        ]

        async def endpoint(
            *, request: Request, principal: Principal, idempotency_key: str | None, **arguments: Any
        ) -> JSONResponse:
            body: BaseModel | None = arguments.get("body")
            async with atransaction(request.app.state.pool, principal) as conn:
                if idempotency_key is not None:
                    digest = idempotency.request_hash(
                        request.method,
                        request.url.path,
                        body.model_dump(mode="json") if body else None,
                        caller=f"{principal.user_id}:{principal.role.value}",
                    )
                    replay = await idempotency.begin(conn, principal.tenant_id, idempotency_key, digest)
                    if replay is not None:
                        return JSONResponse(replay.body, replay.status_code, headers={"Idempotent-Replayed": "true"})
                payload = jsonable_encoder(await write(conn, principal, **arguments))
                if idempotency_key is not None:
                    await idempotency.finish(conn, principal.tenant_id, idempotency_key, status_code, payload)
            return JSONResponse(payload, status_code)

        endpoint.__name__ = endpoint.__qualname__ = write.__name__
        endpoint.__doc__ = write.__doc__
        endpoint.__signature__ = inspect.Signature(parameters, return_annotation=JSONResponse)  # type: ignore[attr-defined]
        route(path, status_code=status_code, **options)(endpoint)
        return write

    return register

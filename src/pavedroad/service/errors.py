"""The one error handler: every failure becomes a JSON body ``{code, message, hint, request_id}``.

Domain errors carry their HTTP status; validation errors list field paths; unknown routes are 404;
anything unexpected is a 500 with a request id and no traceback (the traceback goes to the log).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pavedroad.errors import PavedroadError

__all__ = ["install_error_handlers"]

_log = structlog.get_logger("pavedroad.service")

_HTTP_CODES = {404: ("E404", "no such route", "see /docs for the API"), 405: ("E405", "method not allowed", None)}


class ErrorResponse(JSONResponse):
    """A JSON error body that always encodes: a lone surrogate echoed from the request (a field path,
    a name) is written as its ``\\uXXXX`` escape, which is still valid JSON, instead of failing the reply."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def _body(request: Request, code: str, message: str, hint: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "hint": hint,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(PavedroadError)
    async def domain_error(request: Request, exc: PavedroadError) -> JSONResponse:
        body = {**exc.to_dict(), "request_id": getattr(request.state, "request_id", None)}
        return ErrorResponse(body, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "path": ".".join(str(p) for p in err.get("loc", ())),
                "message": err.get("msg", ""),
                "type": err.get("type"),
            }
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"path": "", "message": "invalid request"}
        return ErrorResponse(
            _body(
                request,
                "E422",
                f"invalid request: {first['path']}: {first['message']}",
                "fix the listed fields and retry",
                errors=errors,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message, hint = _HTTP_CODES.get(exc.status_code, (f"E{exc.status_code}", str(exc.detail), None))
        if exc.status_code not in _HTTP_CODES:
            message = str(exc.detail)
        return ErrorResponse(_body(request, code, message, hint), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(psycopg.DataError)
    async def data_error(request: Request, exc: psycopg.DataError) -> JSONResponse:
        # SQLSTATE class 22 (and psycopg's client-side checks, e.g. NUL bytes) are caused by input values:
        # a number out of range, text Postgres cannot store. That is the caller's 400, not our 500.
        detail = (exc.diag.message_primary if exc.diag else None) or str(exc).splitlines()[0]
        return ErrorResponse(
            _body(
                request,
                "E400",
                f"a value in the request cannot be stored: {detail}",
                "check number ranges and remove NUL characters from text",
            ),
            status_code=400,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled error", path=request.url.path, error_type=type(exc).__name__, exc_info=exc)
        return ErrorResponse(
            _body(request, "E500", "internal error", "report the request_id to the platform team"), status_code=500
        )

"""RFC 9457 problem+json errors.

Services raise typed :class:`ProblemError` subclasses; the handlers installed by :func:`install_error_handlers`
turn them, validation errors and anything unexpected into ``application/problem+json`` responses with a stable
machine ``code``, a Chinese ``title`` and a ``detail``. Internals never leak: an unexpected exception is logged
with the request id and answered with a generic 500 problem.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from kunruyi_common.logging import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("kunruyi.errors")


class ProblemError(Exception):
    """An error that carries its HTTP status and a stable code."""

    status: int = 400
    code: str = "bad_request"
    title: str = "请求有误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        title: str | None = None,
        status: int | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        if status is not None:
            self.status = status
        self.field = field
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://kunruyi.example/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["field"] = self.field
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class BadRequest(ProblemError):
    status, code, title = 400, "bad_request", "请求有误"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "未认证"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "无权访问"


class NotFound(ProblemError):
    status, code, title = 404, "not_found", "资源不存在"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "与现有数据冲突"


class Unprocessable(ProblemError):
    status, code, title = 422, "validation_error", "数据校验未通过"


class TooManyRequests(ProblemError):
    status, code, title = 429, "rate_limited", "请求过于频繁"


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service_unavailable", "服务暂不可用"


def problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    rid = current_request_id()
    if rid:
        body.setdefault("request_id", rid)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    # FastAPI locations read ("body", "enterprise", "uscc"); a user wants "enterprise.uscc" (or "query.limit").
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problem(errors: list[dict[str, Any]], instance: str | None = None) -> dict[str, Any]:
    items = [
        {"field": _field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in errors
    ]
    first = items[0]["field"] if items else None
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items) or "请求数据无效"
    body: dict[str, Any] = {
        "type": "https://kunruyi.example/problems/validation_error",
        "title": "数据校验未通过",
        "status": 422,
        "code": "validation_error",
        "detail": detail,
        "field": first,
        "errors": items,
    }
    if instance:
        body["instance"] = instance
    return body


_HTTP_CODES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "未认证"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求体过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
}


def install_error_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.status, exc.to_problem(request.url.path), exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(422, validation_problem(list(exc.errors()), request.url.path))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "请求失败"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"没有这个地址：{request.url.path}"
        body = {
            "type": f"https://kunruyi.example/problems/{code}",
            "title": title,
            "status": exc.status_code,
            "code": code,
            "detail": detail,
            "instance": request.url.path,
        }
        return problem_response(exc.status_code, body, dict(exc.headers or {}))

    async def on_integrity(request: Request, exc: Exception) -> JSONResponse:
        # A constraint the database enforces (a race past the service's own checks). Never a 500.
        assert isinstance(exc, IntegrityError)
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(
            getattr(exc.orig, "__cause__", None), "sqlstate", None
        )
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        logger.warning("integrity error on %s %s: %s", request.method, request.url.path, sqlstate)
        if sqlstate == "23505":
            status, code, title, detail = 409, "conflict", "与现有数据冲突", "记录已存在"
        else:
            status, code, title, detail = 422, "constraint_violation", "数据不符合约束", "数据不符合约束条件"
        body = {
            "type": f"https://kunruyi.example/problems/{code}",
            "title": title,
            "status": status,
            "code": code,
            "detail": detail,
            "instance": request.url.path,
        }
        if constraint:
            body["constraint"] = constraint
        return problem_response(status, body)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {
            "type": "https://kunruyi.example/problems/internal_error",
            "title": "服务内部错误",
            "status": 500,
            "code": "internal_error",
            "detail": "服务内部错误，请稍后重试并提供 request_id",
            "instance": request.url.path,
        }
        # This handler runs outermost (Starlette's ServerErrorMiddleware), after the request-context middleware has
        # reset the request id: take it from the request's scope, so the 500 carries the id its text asks for.
        rid = current_request_id() or request.scope.get("state", {}).get("request_id")
        if rid:
            body["request_id"] = rid
        return problem_response(500, body, {"x-request-id": rid} if rid else None)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(Exception, on_unexpected)

"""RFC 9457 problem+json errors.

Services raise typed :class:`ProblemError` subclasses; the handlers installed by :func:`install_error_handlers`
turn them, validation errors and anything unexpected into ``application/problem+json`` responses with a stable
machine ``code``, a Chinese ``title`` and a ``detail``. Internals never leak: an unexpected exception is logged
with the request id and answered with a generic 500 problem.

Every situation has one class, declared once: its ``status``, ``code`` and Chinese ``title`` are class attributes and
its docstring says when it happens. Situations shared by services live here (the kit); a service's own live in the
``exceptions.py`` of its domain module. Each subclass is recorded in :data:`PROBLEM_CLASSES` when it is defined;
``python -m kunruyi_launcher.errors_catalog`` renders ``docs/errors.md`` from that registry, and a test fails when
the file drifts or a raise site passes a literal ``code=`` instead of raising a class.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kunruyi_common.db.unavailable import CONTENTION_SQLSTATES, is_database_unavailable, sqlstate
from kunruyi_common.fields import IDENTIFIER_ERROR_CODES
from kunruyi_common.logging import current_request_id
from kunruyi_common.validation_messages import chinese_message

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("kunruyi.errors")


PROBLEM_CLASSES: dict[str, type[ProblemError]] = {}
"""Every :class:`ProblemError` subclass defined so far, by ``module.QualName`` (filled by ``__init_subclass__``)."""


class ProblemError(Exception):
    """An error that carries its HTTP status and a stable code."""

    status: int = 400
    code: str = "bad_request"
    title: str = "请求有误"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        PROBLEM_CLASSES[f"{cls.__module__}.{cls.__qualname__}"] = cls

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
    """The request cannot be understood (generic; prefer a specific class)."""

    status, code, title = 400, "bad_request", "请求有误"


class Unauthorized(ProblemError):
    """The caller is not authenticated (generic; prefer a specific class)."""

    status, code, title = 401, "unauthorized", "未认证"


class Forbidden(ProblemError):
    """The caller is authenticated but may not do this (generic; prefer a specific class)."""

    status, code, title = 403, "forbidden", "无权访问"


class NotFound(ProblemError):
    """The addressed resource does not exist (generic; prefer a specific class)."""

    status, code, title = 404, "not_found", "资源不存在"


class Conflict(ProblemError):
    """The request conflicts with existing data (also a unique constraint the database caught in a race)."""

    status, code, title = 409, "conflict", "与现有数据冲突"


class Unprocessable(ProblemError):
    """Request data failed validation; ``errors`` lists each field (also every schema validation error)."""

    status, code, title = 422, "validation_error", "数据校验未通过"


class TooManyRequests(ProblemError):
    """The caller exceeded its rate limit; ``Retry-After`` says when to try again."""

    status, code, title = 429, "rate_limited", "请求过于频繁"


class ServiceUnavailable(ProblemError):
    """The service cannot answer now (generic; prefer a specific class)."""

    status, code, title = 503, "service_unavailable", "服务暂不可用"


# Situations shared by more than one service: one class, one code, everywhere.


class MissingCredentials(Unauthorized):
    """The operation needs a caller the gateway authenticated (a partner signature, a staff Bearer token or, for
    a ticket, its query password) and none was given or it was malformed."""

    code, title = "missing_credentials", "缺少认证信息"


class InvalidInternalToken(Unauthorized):
    """A service received a gateway-signed internal token that does not verify."""

    code, title = "invalid_internal_token", "内部令牌无效"


class InternalTokenExpired(Unauthorized):
    """A service received a gateway-signed internal token that has expired."""

    code, title = "internal_token_expired", "内部令牌已过期"


class RoleRequired(Forbidden):
    """A staff member (or a caller) lacks every role the operation admits; ``detail`` names the roles."""

    code, title = "role_required", "角色权限不足"


class ScopeDenied(Forbidden):
    """A partner's AppKey lacks the scope the operation needs."""

    code, title = "scope_denied", "权限范围不足"


class OtherDepartment(Forbidden):
    """A staff member acts on a record (policy, application, ticket) owned by another department."""

    code, title = "other_department", "不属于本部门"


class NotOwnEntity(Forbidden):
    """An enterprise account (signed in or holding a 昆e服 code) acts for an enterprise other than its own."""

    code, title = "not_own_entity", "只能办理本企业的事项"


class InvalidTransition(Conflict):
    """The record's state does not allow this step; ``current_status`` or ``allowed_next`` says what does."""

    code, title = "invalid_transition", "当前状态不允许该操作"


class JobNotFound(NotFound):
    """后台任务不存在"""

    code = "job_not_found"


class JobNotCancellable(Conflict):
    """后台任务已结束（…），不能取消"""

    code = "job_not_cancellable"


class InvalidCursor(Unprocessable):
    """The pagination cursor was not issued by this list (tampered, truncated or from another query)."""

    code = "invalid_cursor"


class InvalidUscc(Unprocessable):
    """A 统一社会信用代码 fails the national standard (length, characters or check digit); ``part`` says which."""

    code = "invalid_uscc"


class InvalidCharacter(Unprocessable):
    """A text field holds a NUL character or invalid Unicode, which PostgreSQL cannot store."""

    code = "invalid_character"


class IntegerOutOfRange(Unprocessable):
    """An integer field is outside the range the database column holds."""

    code = "integer_out_of_range"


class InvalidPeriod(Unprocessable):
    """A period is not one of the accepted forms (a year, a quarter, a half-year or a month as documented)."""

    code = "invalid_period"


class UnknownIndustryChain(Unprocessable):
    """An industry chain is not in the “2+6+X” catalogue."""

    code = "unknown_industry_chain"


class UnknownTaxonomyTerm(Unprocessable):
    """A value is not a code, name or alias of the shared taxonomy's vocabulary (区镇, 技术领域, 资质, 平台类型 …)."""

    code = "unknown_taxonomy_term"


class EmptyFile(Unprocessable):
    """An uploaded file (import or attachment) is empty. (Formerly ``attachment_empty`` for attachments.)"""

    code = "empty_file"


class PayloadTooLarge(ProblemError):
    """An uploaded file or request body is larger than the endpoint accepts."""

    status, code, title = 413, "payload_too_large", "请求体过大"


class InvalidIdempotencyKey(Unprocessable):
    """The ``Idempotency-Key`` header is empty or longer than 200 characters."""

    code = "invalid_idempotency_key"


class IdempotencyKeyRequired(Unprocessable):
    """An operation that moves money was sent without an idempotency key (body or ``Idempotency-Key`` header)."""

    code = "idempotency_key_required"


class IdempotencyKeyConflict(Conflict):
    """The same ``Idempotency-Key`` was already used by this caller for a different request."""

    code, title = "idempotency_key_conflict", "幂等键冲突"


class UpstreamUnavailable(ServiceUnavailable):
    """A system this one depends on (an internal service or a provincial platform) did not answer; retry after
    ``Retry-After``."""

    code, title = "upstream_unavailable", "上游服务暂不可用"


# Answers the handlers below build themselves (no class is raised): listed for the error catalog.
HANDLER_PROBLEMS: tuple[tuple[int, str, str, str], ...] = (
    (
        422,
        "validation_error",
        "数据校验未通过",
        "The request failed schema validation; `errors` lists each field.",
    ),
    (404, "not_found", "资源不存在", "No route has this address."),
    (405, "method_not_allowed", "不支持该请求方法", "The route exists but not with this method."),
    (413, "payload_too_large", "请求体过大", "The request body is larger than the server accepts."),
    (415, "unsupported_media_type", "不支持的内容类型", "The body's content type is not accepted."),
    (409, "conflict", "与现有数据冲突", "A unique constraint caught a duplicate written in a race."),
    (
        422,
        "constraint_violation",
        "数据不符合约束",
        "A database constraint refused the data; `constraint` names it.",
    ),
    (503, "contention", "系统繁忙", "The operation lost a lock race and was not executed; retry."),
    (503, "database_unavailable", "服务暂不可用", "The database is away; nothing was executed; retry."),
    (500, "internal_error", "服务内部错误", "An unexpected error; report the `request_id`."),
)


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
        {"field": _field_path(e.get("loc", ())), "message": chinese_message(e), "type": e.get("type")}
        for e in errors
    ]
    first = items[0]["field"] if items else None
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items) or "请求数据无效"
    code = "validation_error"
    extra: dict[str, Any] = {}
    if errors and errors[0].get("type") in IDENTIFIER_ERROR_CODES:
        # An identifier field (kunruyi_common.fields): the same code and part as where a service validates one.
        code = str(errors[0]["type"])
        extra["part"] = (errors[0].get("ctx") or {}).get("part")
    body: dict[str, Any] = {
        "type": f"https://kunruyi.example/problems/{code}",
        "title": "数据校验未通过",
        "status": 422,
        "code": code,
        "detail": detail,
        "field": first,
        "errors": items,
        **extra,
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


class UnexpectedErrorMiddleware:
    """Answers an exception no handler took with the 500 problem, and does not raise it again.

    Starlette's own last resort (``ServerErrorMiddleware``) sends the handler's answer and then re-raises by
    design; uvicorn then closes the connection after a complete response that never said ``Connection: close``,
    and a client that keeps connections alive (the gateway) sends its next request into a closed socket. Here
    the answer is complete and the connection stays usable. Only when part of an answer had already gone out is
    the exception left to the server, which must then close the connection (the answer is cut short)."""

    def __init__(
        self, app: ASGIApp, handler: Callable[[Request, Exception], Awaitable[JSONResponse]]
    ) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if started:
                raise
            response = await self.handler(Request(scope), exc)
            await response(scope, receive, send)


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

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        # Nothing was committed (the unit of work rolls back): a lost lock race or a database that is away is
        # worth a retry, so it is a 503 with Retry-After — never a 500 for contention.
        if not is_database_unavailable(exc):
            return await on_unexpected(request, exc)
        state = sqlstate(exc)
        contention = state in CONTENTION_SQLSTATES
        logger.warning(
            "database %s on %s %s (sqlstate %s)",
            "contention" if contention else "unavailable",
            request.method,
            request.url.path,
            state,
        )
        code = "contention" if contention else "database_unavailable"
        body = {
            "type": f"https://kunruyi.example/problems/{code}",
            "title": "系统繁忙" if contention else "服务暂不可用",
            "status": 503,
            "code": code,
            "detail": "操作未执行（与其他操作同时发生），请稍后重试"
            if contention
            else "数据库暂不可用，操作未执行，请稍后重试",
            "instance": request.url.path,
        }
        return problem_response(503, body, {"Retry-After": "1"})

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
        # Usually called by UnexpectedErrorMiddleware inside the request context, whose middleware adds the
        # X-Request-Id header. As Starlette's last resort (ServerErrorMiddleware) it runs after that middleware has
        # reset the id: then take it from the request's scope, for the body and the header alike.
        in_context = current_request_id()
        rid = in_context or request.scope.get("state", {}).get("request_id")
        if rid:
            body["request_id"] = rid
        return problem_response(500, body, {"x-request-id": rid} if rid and not in_context else None)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
    # Added before the request-context middleware, so it runs inside it: the request id is still set and the
    # 500 is counted and logged like any answer.
    app.add_middleware(UnexpectedErrorMiddleware, handler=on_unexpected)

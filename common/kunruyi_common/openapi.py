"""The OpenAPI every app describes: its errors as they are answered (RFC 9457 ``application/problem+json``).

FastAPI documents each operation's 422 as ``HTTPValidationError`` JSON, while every Kunruyi app answers
``application/problem+json`` (kunruyi_common.errors). :func:`install_problem_openapi` replaces that with the real
:class:`ProblemDetails` schema and documents, on every operation, the problems it can answer, read from the route
itself:

* 422 ``validation_error`` (and the kit's ``invalid_character`` / ``integer_out_of_range``) — every operation;
* 401 / 403 — operations that depend on a principal (``CurrentPrincipal``, ``require_roles``, …);
* 404 — operations with a path parameter (the item does not exist), and writes (a record the body names);
* 409 — operations that write (``POST``/``PUT``/``PATCH``/``DELETE``: ``conflict``,
  ``idempotency_key_conflict``, a state that no longer allows the step);
* 503 — every operation (``database_unavailable`` / ``contention`` with ``Retry-After``).

The gateway adds what only it answers (429, 413, 503 ``upstream_unavailable``) and the security schemes
(:func:`problem_response`, :func:`PROBLEM_STATUSES`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_common.auth import require_principal
from kunruyi_common.errors import PROBLEM_MEDIA_TYPE

__all__ = [
    "PROBLEM_STATUSES",
    "FieldProblem",
    "ProblemDetails",
    "install_problem_openapi",
    "problem_response",
    "problem_responses",
]


class FieldProblem(BaseModel):
    """One field that is wrong, named by its path (``body.uscc``, ``query.fiscal_year``, ``lines.1.quantity``)."""

    field: str = Field(description="出错字段的路径", examples=["body.uscc"])
    message: str = Field(description="错误说明（中文）", examples=["统一社会信用代码校验位不正确"])


class ProblemDetails(BaseModel):
    """RFC 9457 问题详情：所有错误都以 ``application/problem+json`` 返回，``code`` 稳定、可供程序判断。"""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://kunruyi.example/problems/validation_error",
                    "title": "数据校验未通过",
                    "status": 422,
                    "code": "validation_error",
                    "detail": "统一社会信用代码校验位不正确",
                    "instance": "/api/v1/enterprises",
                    "field": "body.uscc",
                    "errors": [{"field": "body.uscc", "message": "统一社会信用代码校验位不正确"}],
                    "request_id": "3f2b8c1e9a4d4f7e",
                }
            ]
        },
    )

    type: str = Field(
        description="问题类型的 URI（以 code 结尾）",
        examples=["https://kunruyi.example/problems/not_found"],
    )
    title: str = Field(description="问题的简短中文标题", examples=["资源不存在"])
    status: int = Field(description="HTTP 状态码（与响应一致）", examples=[404])
    code: str = Field(description="稳定的机器可读错误码", examples=["not_found"])
    detail: str | None = Field(default=None, description="本次出错的中文说明", examples=["企业不存在"])
    instance: str | None = Field(
        default=None, description="出错的请求路径", examples=["/api/v1/enterprises/42"]
    )
    field: str | None = Field(default=None, description="出错的第一个字段", examples=["body.uscc"])
    errors: list[FieldProblem] | None = Field(default=None, description="所有出错字段")
    request_id: str | None = Field(
        default=None, description="请求编号（X-Request-Id），报障时请提供", examples=["3f2b8c1e9a4d4f7e"]
    )


# Each documented status: its description and the stable codes a caller can meet (the kit's and the gateway's).
PROBLEM_STATUSES: dict[int, tuple[str, tuple[str, ...]]] = {
    400: ("请求有误", ("bad_request",)),
    401: (
        "未认证：缺少或无效的签名 / 令牌",
        (
            "missing_credentials",
            "unauthorized",
            "invalid_signature",
            "unknown_app_key",
            "timestamp_out_of_window",
            "replayed_request",
        ),
    ),
    403: ("无权访问：权限范围或角色不足", ("forbidden", "scope_denied", "role_required", "route_not_public")),
    404: ("资源不存在", ("not_found", "route_not_found")),
    409: (
        "与现有数据或当前状态冲突",
        ("conflict", "idempotency_key_conflict", "invalid_transition", "…（各接口自有）"),
    ),
    413: ("请求体过大", ("payload_too_large",)),
    422: (
        "数据校验未通过（指明字段）",
        ("validation_error", "invalid_character", "integer_out_of_range", "constraint_violation"),
    ),
    429: ("请求过于频繁（见 Retry-After）", ("rate_limited",)),
    503: (
        "服务暂不可用（见 Retry-After）",
        ("service_unavailable", "database_unavailable", "contention", "upstream_unavailable"),
    ),
}

PROBLEM_REF = "#/components/schemas/ProblemDetails"


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of one problem status (content ``application/problem+json``)."""
    description, codes = PROBLEM_STATUSES[status]
    title = description.split("（")[0].split("：")[0]
    return {
        "description": f"{description}。code：{'、'.join(f'`{c}`' for c in codes)}",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": PROBLEM_REF},
                "example": {
                    "type": f"https://kunruyi.example/problems/{codes[0]}",
                    "title": title,
                    "status": status,
                    "code": codes[0],
                    "detail": description,
                },
            }
        },
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers problems the kit cannot read from it (e.g. its own signature
    check's 401)."""
    return {status: problem_response(status) for status in statuses}


WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def _depends_on_principal(dependant: Dependant) -> bool:
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is require_principal:
            return True
        stack.extend(current.dependencies)
    return False


def statuses_for(route: Any, method: str) -> list[int]:
    """The problem statuses an operation of the kit can answer, from what the route declares."""
    statuses = [422, 503]
    if _depends_on_principal(route.dependant):
        statuses += [401, 403]
    if route.dependant.path_params or method in WRITE_METHODS:
        # the item of the path, or a record a write's body names (a policy, a project), does not exist
        statuses.append(404)
    if method in WRITE_METHODS:
        statuses.append(409)
    return sorted(statuses)


def document_problems(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    """Adds the problem responses of ``statuses`` an operation does not document yet (422 always replaced)."""
    responses = operation.setdefault("responses", {})
    for status in statuses:
        key = str(status)
        if status == 422 or key not in responses:
            responses[key] = problem_response(status)
        else:
            content = responses[key].setdefault("content", {})
            content.pop("application/json", None)
            content[PROBLEM_MEDIA_TYPE] = problem_response(status)["content"][PROBLEM_MEDIA_TYPE]


def problem_schemas() -> dict[str, Any]:
    defs = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = defs.pop("$defs", {})
    return {"ProblemDetails": defs, **nested}


def install_problem_openapi(app: FastAPI) -> None:
    """``app.openapi()`` documents every operation's problem+json errors (see the module docstring)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        paths = schema.get("paths", {})
        for route in routing.iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            item = paths.get(route.path_format or "", {})
            for method in route.methods or ():
                operation = item.get(method.lower())
                if operation is not None:
                    document_problems(operation, statuses_for(route, method.lower()))
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas.update(problem_schemas())
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

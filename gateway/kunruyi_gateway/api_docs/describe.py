"""What the gateway adds to the aggregated OpenAPI: how to authenticate and what only the gateway answers.

Every ``/api/v1/…`` operation goes through the gate (kunruyi_gateway.access): a signed partner or a staff bearer
token (or nobody, where the access table makes it public), a rate limit per caller, a body-size limit, and an
upstream that may be away. So each one documents 401/403/429/503 (and 413 when it takes a body) as
``application/problem+json`` with the kit's ``ProblemDetails``, and its ``security`` from the access table.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kunruyi_common.openapi import document_problems

from kunruyi_gateway.access.rules import is_public, rule_for

PARTNER_HEADERS = {
    "partnerAppKey": ("X-Kry-AppKey", "合作方 AppKey（由平台管理员签发）"),
    "partnerTimestamp": ("X-Kry-Timestamp", "毫秒级 Unix 时间，与网关时间相差不超过签名窗口"),
    "partnerNonce": ("X-Kry-Nonce", "一次性随机串（16–64 位字母、数字、_ 或 -），窗口内不可重复"),
    "partnerSignature": (
        "X-Kry-Signature",
        "请求签名（算法由可选的 X-Kry-Sign-Method 指定：HMAC-SHA256 默认，或 HMAC-SM3）；签名串的构成见合作方接入指南 /partner-guide",
    ),
}
PARTNER_SECURITY: dict[str, list[str]] = {name: [] for name in PARTNER_HEADERS}
STAFF_SECURITY: dict[str, list[str]] = {"staffBearer": []}


def security_schemes() -> dict[str, Any]:
    schemes: dict[str, Any] = {
        name: {
            "type": "apiKey",
            "in": "header",
            "name": header,
            "description": f"合作方签名（四个请求头一起）：{description}。",
        }
        for name, (header, description) in PARTNER_HEADERS.items()
    }
    schemes["staffBearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "工作人员令牌：政务统一身份认证（OIDC）签发的 JWT，或经 POST /staff/sso 换得的网关令牌；"
            "放在 Authorization: Bearer <token>。角色（officer、reviewer、approver、finance、broker、admin）"
            "决定可调用的接口，见 gateway/docs/access.md。"
        ),
    }
    return schemes


def describe_gateway(spec: dict[str, Any]) -> dict[str, Any]:
    """Adds the security schemes, each proxied operation's security and the gate's problems to ``spec``."""
    spec.setdefault("components", {})["securitySchemes"] = security_schemes()
    for path, item in spec.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            rule = rule_for(method.upper(), path)
            security: list[dict[str, list[str]]] = [PARTNER_SECURITY, STAFF_SECURITY]
            if rule is None:
                security = [STAFF_SECURITY]
            elif rule.public or rule.public_with_query or is_public(rule, path):
                security = [*security, {}]
            operation["security"] = security
            statuses = [401, 403, 429, 503]
            if "requestBody" in operation:
                statuses.append(413)
            document_problems(operation, statuses)
    return spec


def aggregate(own: dict[str, Any], upstream_specs: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """The gateway's ``/openapi.json``: its own paths, every service's public ``/api/`` paths and schemas (a service
    that did not answer is named in ``info.x-unavailable-services``), described by :func:`describe_gateway`."""
    spec = copy.deepcopy(own)
    paths = spec.setdefault("paths", {})
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    unavailable = []
    for name, upstream_spec in upstream_specs.items():
        if upstream_spec is None:
            unavailable.append(name)
            continue
        upstream_spec = _without_collisions(name, upstream_spec, schemas)
        for path, item in upstream_spec.get("paths", {}).items():
            if path.startswith("/api/"):
                for op in item.values():
                    if isinstance(op, dict):
                        op.setdefault("tags", [name])
                paths[path] = item
        schemas.update(upstream_spec.get("components", {}).get("schemas", {}))
    if unavailable:
        spec["info"] = {**spec["info"], "x-unavailable-services": unavailable}
    return describe_gateway(spec)


def _without_collisions(
    service: str, upstream_spec: dict[str, Any], schemas: dict[str, Any]
) -> dict[str, Any]:
    """A service's document whose schemas named like a different schema already merged (``RevealIn``,
    ``ApplicationCreate`` in two services) are renamed ``<service>.<Name>``, references included, so no service's
    schema silently replaces another's."""
    own = upstream_spec.get("components", {}).get("schemas", {})
    clashes = [n for n, schema in own.items() if n in schemas and schemas[n] != schema]
    if not clashes:
        return upstream_spec
    text = json.dumps(upstream_spec, ensure_ascii=False)
    for clash in clashes:
        text = text.replace(f'"#/components/schemas/{clash}"', f'"#/components/schemas/{service}.{clash}"')
    renamed: dict[str, Any] = json.loads(text)
    components = renamed["components"]["schemas"]
    for clash in clashes:
        components[f"{service}.{clash}"] = components.pop(clash)
    return renamed

"""Who may see and change what. Staff act by role (an officer is bound to a department for tickets); partners by
scope (talent:read, talent:write); a public caller from a 昆e服 QR page only reaches its code's target; a talent
(a public principal whose subject is ``talent:<talent_id>``) reaches their own records."""

from __future__ import annotations

import uuid

from kunruyi_common.auth import Principal

from kunruyi_talent.exceptions import EnterpriseForbidden, TalentForbidden

READ_ROLES = ("officer", "reviewer", "approver", "finance", "broker")
WRITE_ROLES = ("officer",)
# Who may find a talent by resident ID number (GET /talents/lookup) — and so learn whether a number is registered.
LOOKUP_ROLES = ("officer", "reviewer", "approver")


def actor_of(principal: Principal | None) -> str:
    if principal is None:
        return "anonymous"
    return f"{principal.kind}:{principal.subject}"


def talent_self_id(principal: Principal) -> uuid.UUID | None:
    if principal.kind == "public" and principal.subject.startswith("talent:"):
        try:
            return uuid.UUID(principal.subject.removeprefix("talent:"))
        except ValueError:
            return None
    return None


def can_read_registry(principal: Principal) -> bool:
    return (
        (principal.kind == "staff" and principal.has_role(*READ_ROLES))
        or (principal.kind == "partner" and principal.has_scope("talent:read"))
        or principal.kind == "service"
    )


def ensure_can_read_enterprise(principal: Principal, uscc: str) -> None:
    if can_read_registry(principal):
        return
    if principal.kind == "public" and principal.target == uscc:
        return
    raise EnterpriseForbidden("无权查看该企业档案")


def ensure_can_read_talent(principal: Principal, talent_id: uuid.UUID) -> None:
    if can_read_registry(principal) or talent_self_id(principal) == talent_id:
        return
    raise TalentForbidden("无权查看该人才档案")


def can_look_up_id_numbers(principal: Principal) -> bool:
    return principal.kind == "staff" and principal.has_role(*LOOKUP_ROLES)


def can_see_contacts(principal: Principal) -> bool:
    return can_read_registry(principal)

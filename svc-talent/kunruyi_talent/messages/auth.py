"""Who may call the inbox's endpoints: one dependency per set of admitted callers, named for what it admits.

The inbox is the principal's own: a company signed in through 苏商通 (``enterprise:<USCC>``) or a talent signed in
(``talent:<talent_id>``). Staff see the SMS delivery log; admins only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import CurrentPrincipal, Principal, require_roles

from kunruyi_talent.access import talent_self_id
from kunruyi_talent.messages.exceptions import NotARecipient


@dataclass(frozen=True)
class RecipientRef:
    type: str  # enterprise | talent
    id: str


def recipient_of(principal: Principal) -> RecipientRef | None:
    uscc = principal.signed_in_enterprise
    if uscc is not None:
        return RecipientRef("enterprise", uscc)
    talent_id = talent_self_id(principal)
    if talent_id is not None:
        return RecipientRef("talent", str(talent_id))
    return None


async def own_recipient(principal: CurrentPrincipal) -> RecipientRef:
    recipient = recipient_of(principal)
    if recipient is None:
        raise NotARecipient("只有已登录的企业或人才本人可以查看自己的消息")
    return recipient


Recipient = Annotated[RecipientRef, Depends(own_recipient)]
"""The signed-in company or talent, whose inbox the request reads or changes."""

Admin = Annotated[Principal, Depends(require_roles("admin"))]
"""Staff administrators (the SMS delivery log holds masked phones of everyone)."""

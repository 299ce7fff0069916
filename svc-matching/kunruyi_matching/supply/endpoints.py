from __future__ import annotations

import uuid

from fastapi import APIRouter
from kunruyi_common.auth import CurrentPrincipal
from kunruyi_common.db import SessionDep

from kunruyi_matching.supply import service
from kunruyi_matching.supply.auth import WritePartnerOfficerOrBroker
from kunruyi_matching.supply.exceptions import SupplyNotFound
from kunruyi_matching.supply.models import SupplyEntity
from kunruyi_matching.supply.schemas import SupplyIn, SupplyOut

router = APIRouter(prefix="/api/v1/supply", tags=["供给 supply"])


@router.post(
    "", status_code=201, response_model=SupplyOut, summary="登记或更新一条供给（按 kind + natural_key 去重）"
)
async def upsert_supply(
    body: SupplyIn,
    session: SessionDep,
    _: WritePartnerOfficerOrBroker,
) -> SupplyOut:
    return SupplyOut.model_validate(await service.upsert(session, body, source="api"))


@router.get("/{supply_id}", response_model=SupplyOut, summary="供给详情")
async def get_supply(supply_id: uuid.UUID, session: SessionDep, _: CurrentPrincipal) -> SupplyOut:
    entity = await session.get(SupplyEntity, supply_id, populate_existing=True)
    if entity is None:
        raise SupplyNotFound(f"供给 {supply_id} 不存在")
    return SupplyOut.model_validate(entity)

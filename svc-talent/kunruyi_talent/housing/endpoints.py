from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from kunruyi_common.auth import CurrentPrincipal, OptionalPrincipal
from kunruyi_common.db import SessionDep
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.deps import SettingsDep
from kunruyi_talent.housing import service
from kunruyi_talent.housing.auth import Officer, ensure_housing_staff_or_self
from kunruyi_talent.housing.exceptions import OfferNotFound
from kunruyi_talent.housing.schemas import (
    ApplicationCreate,
    ApplicationOut,
    OfferOut,
    ProjectCreate,
    ProjectOut,
    ReleaseOut,
)
from kunruyi_talent.models import HousingApplication, HousingOffer, HousingProject, HousingUnit

router = APIRouter(prefix="/api/v1/housing", tags=["人才租赁住房 housing"])

# The moment a scan runs as of: within the platform's life, so an offer's answer period after it never overflows.
AsOf = Annotated[
    datetime | None,
    Query(
        ge=datetime(2000, 1, 1, tzinfo=UTC),
        le=datetime(2199, 12, 31, tzinfo=UTC),
        description="按此时刻检查（默认现在）",
    ),
]


def app_out(app: HousingApplication, project_code: str, position: int | None = None) -> ApplicationOut:
    return ApplicationOut(
        application_id=app.id,
        talent_id=app.talent_id,
        project_code=project_code,
        talent_class=app.talent_class,
        score=app.score,
        status=app.status,
        declines=app.declines,
        queued_at=app.queued_at,
        back_of_queue=app.back_of_queue_at is not None,
        position=position,
    )


async def offer_out(session: AsyncSession, offer: HousingOffer | None) -> OfferOut | None:
    if offer is None:
        return None
    unit = await session.get_one(HousingUnit, offer.unit_id)
    return OfferOut(
        offer_id=offer.id,
        application_id=offer.application_id,
        unit_id=offer.unit_id,
        unit_number=unit.unit_number,
        status=offer.status,
        offered_at=offer.offered_at,
        expires_at=offer.expires_at,
    )


def project_out(p: HousingProject, counts: tuple[int, int, int]) -> ProjectOut:
    return ProjectOut(
        id=p.id,
        code=p.code,
        name=p.name,
        district=p.district,
        address=p.address,
        eligible_classes=list(p.eligible_classes),
        monthly_rent_fen=p.monthly_rent_fen,
        units_total=counts[0],
        units_available=counts[1],
        waiting=counts[2],
    )


@router.get("/projects", summary="人才租赁住房项目（公开）")
async def list_projects(session: SessionDep, principal: OptionalPrincipal) -> dict[str, list[ProjectOut]]:
    counts = await service.project_counts(session)
    projects = (await session.scalars(select(HousingProject).order_by(HousingProject.code))).all()
    return {"items": [project_out(p, counts.get(p.id, (0, 0, 0))) for p in projects]}


@router.post("/projects", status_code=201, response_model=ProjectOut, summary="登记项目及房源")
async def create_project(body: ProjectCreate, session: SessionDep, principal: Officer) -> ProjectOut:
    project = await service.create_project(session, body)
    counts = await service.project_counts(session)
    return project_out(project, counts.get(project.id, (0, 0, 0)))


@router.get("/projects/{code}/units", summary="项目房源")
async def list_units(
    code: str, session: SessionDep, principal: Officer
) -> dict[str, list[dict[str, object]]]:
    project = await service.project_by_code(session, code)
    units = (
        await session.scalars(
            select(HousingUnit).where(HousingUnit.project_id == project.id).order_by(HousingUnit.unit_number)
        )
    ).all()
    return {
        "items": [
            {
                "unit_id": str(u.id),
                "unit_number": u.unit_number,
                "layout": u.layout,
                "area_m2": u.area_m2,
                "status": u.status,
            }
            for u in units
        ]
    }


@router.get("/projects/{code}/waiting-list", summary="轮候库（按是否被后置、得分、申请时间排序）")
async def get_waiting_list(
    code: str, session: SessionDep, principal: Officer
) -> dict[str, list[ApplicationOut]]:
    project = await service.project_by_code(session, code)
    apps = await service.waiting_list(session, project)
    return {"items": [app_out(a, project.code, i + 1) for i, a in enumerate(apps)]}


@router.post("/applications", status_code=201, response_model=ApplicationOut, summary="申请人才租赁住房")
async def create_application(
    body: ApplicationCreate, session: SessionDep, settings: SettingsDep, principal: CurrentPrincipal
) -> ApplicationOut:
    ensure_housing_staff_or_self(principal, body.talent_id, settings.housing_department)
    app = await service.apply(session, body.talent_id, body.project_code)
    project = await session.get_one(HousingProject, app.project_id)
    apps = await service.waiting_list(session, project)
    return app_out(app, project.code, next(i + 1 for i, a in enumerate(apps) if a.id == app.id))


@router.get("/applications", summary="某人才的住房申请、轮候位次与待答复的配租通知（本人或工作人员）")
async def list_applications(
    talent_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: CurrentPrincipal
) -> dict[str, list[dict[str, object]]]:
    ensure_housing_staff_or_self(principal, talent_id, settings.housing_department)
    apps = (
        await session.scalars(
            select(HousingApplication)
            .where(HousingApplication.talent_id == talent_id)
            .order_by(HousingApplication.created_at)
        )
    ).all()
    items: list[dict[str, object]] = []
    for app in apps:
        project = await session.get_one(HousingProject, app.project_id)
        position = None
        if app.status == "waiting":
            queue = await service.waiting_list(session, project)
            position = next((i + 1 for i, a in enumerate(queue) if a.id == app.id), None)
        pending = await session.scalar(
            select(HousingOffer).where(
                HousingOffer.application_id == app.id, HousingOffer.status == "pending"
            )
        )
        offer = await offer_out(session, pending)
        items.append(
            {
                **app_out(app, project.code, position).model_dump(mode="json"),
                "offer": offer.model_dump(mode="json") if offer else None,
            }
        )
    return {"items": items}


@router.post(
    "/units/{unit_id}/release", response_model=ReleaseOut, summary="房源空出：向轮候第一位发出配租通知"
)
async def release_unit(
    unit_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: Officer
) -> ReleaseOut:
    unit, offer = await service.release_unit(session, unit_id, settings.housing_offer_days)
    return ReleaseOut(unit_id=unit.id, offer=await offer_out(session, offer))


async def _offer_owner(session: AsyncSession, offer_id: uuid.UUID) -> uuid.UUID:
    talent_id = await session.scalar(
        select(HousingApplication.talent_id)
        .join(HousingOffer, HousingOffer.application_id == HousingApplication.id)
        .where(HousingOffer.id == offer_id)
    )
    if talent_id is None:
        raise OfferNotFound("配租通知不存在")
    return talent_id


@router.post("/offers/{offer_id}/accept", response_model=OfferOut, summary="接受配租")
async def accept_offer(
    offer_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: CurrentPrincipal
) -> OfferOut | None:
    owner = await _offer_owner(session, offer_id)
    ensure_housing_staff_or_self(principal, owner, settings.housing_department)
    return await offer_out(session, await service.accept(session, offer_id))


@router.post("/offers/{offer_id}/decline", response_model=ReleaseOut, summary="放弃配租（房源顺延给下一位）")
async def decline_offer(
    offer_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: CurrentPrincipal
) -> ReleaseOut:
    owner = await _offer_owner(session, offer_id)
    ensure_housing_staff_or_self(principal, owner, settings.housing_department)
    offer, next_offer = await service.decline(session, offer_id, settings.housing_offer_days)
    return ReleaseOut(unit_id=offer.unit_id, offer=await offer_out(session, next_offer))


@router.post("/offers/lapse-scan", summary="使逾期未答复的配租通知失效并顺延")
async def lapse_scan(
    session: SessionDep, settings: SettingsDep, principal: Officer, as_of: AsOf = None
) -> dict[str, list[uuid.UUID]]:
    lapsed = await service.lapse_expired(session, settings.housing_offer_days, as_of)
    await service.offer_vacant_units(session, settings.housing_offer_days, as_of)
    return {"lapsed": lapsed}

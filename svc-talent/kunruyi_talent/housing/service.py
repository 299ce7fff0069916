"""The talent housing waiting list: applications, offers when a unit frees, accept / decline / lapse.

Concurrency: releasing a unit locks that unit's row, then takes the first waiting applicant with
``FOR UPDATE SKIP LOCKED`` so two releases running at once never pick the same applicant; the partial unique
indexes on pending offers (one per unit, one per application) make the database refuse a double offer even if
the code were wrong.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.errors import Conflict
from kunruyi_common.events import add_event
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, exists, func, nulls_first, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.enterprise.repository import load_bundle
from kunruyi_talent.enterprise.service import validate_district
from kunruyi_talent.events import (
    HousingApplicationQueued,
    HousingOfferAccepted,
    HousingOfferDeclined,
    HousingOfferLapsed,
    HousingOfferMade,
    HousingStep,
)
from kunruyi_talent.exceptions import UnknownTalent
from kunruyi_talent.housing.exceptions import (
    ApplicationExists,
    ClassNotEligible,
    DuplicateUnit,
    InvalidClass,
    NoEmployer,
    OfferExpired,
    OfferNotFound,
    OfferNotPending,
    ProjectExists,
    ProjectNotFound,
    UnitNotFound,
    UnitOnOffer,
)
from kunruyi_talent.housing.rules import DECLINES_BEFORE_BACK_OF_QUEUE, priority_score
from kunruyi_talent.housing.schemas import ProjectCreate
from kunruyi_talent.models import (
    Enterprise,
    HousingApplication,
    HousingOffer,
    HousingProject,
    HousingUnit,
    Talent,
)

SOURCE = "talent"
CLASSES = ("A", "B", "C", "D", "E")


def queue_order() -> tuple[ColumnElement[Any], ...]:
    return (
        nulls_first(HousingApplication.back_of_queue_at.asc()),
        HousingApplication.score.desc(),
        HousingApplication.queued_at.asc(),
        HousingApplication.id.asc(),
    )


async def _emit(
    session: AsyncSession,
    model: type[HousingStep],
    app: HousingApplication,
    project_code: str,
    offer: HousingOffer | None = None,
    unit: HousingUnit | None = None,
) -> None:
    payload: BaseModel = model(
        application_id=str(app.id),
        talent_id=str(app.talent_id),
        project_code=project_code,
        status=app.status,
        score=app.score,
        unit_id=str(unit.id) if unit else None,
        unit_number=unit.unit_number if unit else None,
        offer_id=str(offer.id) if offer else None,
        expires_at=offer.expires_at if offer else None,
    )
    await add_event(session, SOURCE, payload, subject=str(app.id))


async def create_project(session: AsyncSession, data: ProjectCreate) -> HousingProject:
    district = validate_district(data.district)
    bad = [c for c in data.eligible_classes if c not in CLASSES]
    if bad:
        raise InvalidClass(f"人才类别 {'、'.join(bad)} 无效，应为 A–E", field="eligible_classes")
    if await session.scalar(select(HousingProject.id).where(HousingProject.code == data.code)):
        raise ProjectExists(f"项目编号 {data.code} 已存在")
    numbers = [u.unit_number for u in data.units]
    if len(set(numbers)) != len(numbers):
        raise DuplicateUnit("房号重复", field="units")
    project = HousingProject(
        id=uuid.uuid4(),
        code=data.code,
        name=data.name,
        district=district,
        address=data.address,
        eligible_classes=sorted(set(data.eligible_classes)),
        monthly_rent_fen=data.monthly_rent_fen,
    )
    session.add(project)
    await session.flush()
    # New units start occupied by nobody but unreleased: an officer releases them when they are ready to let.
    session.add_all(
        HousingUnit(
            project_id=project.id,
            unit_number=u.unit_number,
            layout=u.layout,
            area_m2=u.area_m2,
            status="occupied",
        )
        for u in data.units
    )
    await session.flush()
    return project


async def project_by_code(session: AsyncSession, code: str) -> HousingProject:
    project = await session.scalar(select(HousingProject).where(HousingProject.code == code))
    if project is None:
        raise ProjectNotFound(f"人才公寓项目 {code} 不存在")
    return project


async def apply(
    session: AsyncSession, talent_id: uuid.UUID, project_code: str, now: datetime | None = None
) -> HousingApplication:
    now = now or datetime.now(UTC)
    project = await project_by_code(session, project_code)
    talent = await session.scalar(select(Talent).where(Talent.id == talent_id).with_for_update())
    if talent is None:
        raise UnknownTalent("人才档案不存在", field="talent_id")
    if talent.talent_class is None or talent.talent_class not in project.eligible_classes:
        raise ClassNotEligible(
            f"该项目面向 {'、'.join(project.eligible_classes)} 类人才，申请人人才类别为 {talent.talent_class or '无'}",
            field="talent_id",
        )
    if talent.employer_id is None:
        raise NoEmployer("申请人须在昆山已建档企业就业", field="talent_id")
    live = await session.scalar(
        select(HousingApplication).where(
            HousingApplication.talent_id == talent.id,
            HousingApplication.status.in_(("waiting", "offered", "housed")),
        )
    )
    if live is not None:
        raise ApplicationExists("该人才已有轮候中或已配租的申请", existing_id=str(live.id))
    employer = await session.get_one(Enterprise, talent.employer_id)
    bundle = await load_bundle(session, employer)
    today = local_today()
    score = priority_score(
        talent.talent_class,
        talent.education,
        talent.arrival_date,
        [q.kind for q in bundle.valid_qualifications(today)],
        today,
    )
    app = HousingApplication(
        id=uuid.uuid4(),
        talent_id=talent.id,
        project_id=project.id,
        talent_class=talent.talent_class,
        score=score,
        status="waiting",
        queued_at=now,
        declines=0,
    )
    session.add(app)
    await session.flush()
    await _emit(session, HousingApplicationQueued, app, project.code)
    return app


async def waiting_list(session: AsyncSession, project: HousingProject) -> list[HousingApplication]:
    return list(
        (
            await session.scalars(
                select(HousingApplication)
                .where(HousingApplication.project_id == project.id, HousingApplication.status == "waiting")
                .order_by(*queue_order())
            )
        ).all()
    )


async def offer_next(
    session: AsyncSession, unit: HousingUnit, offer_days: int, now: datetime
) -> HousingOffer | None:
    """Offer an available unit (whose row the caller has locked) to the first waiting applicant who has not
    already turned this unit down."""
    if unit.status != "available":
        return None
    turned_down = exists(HousingOffer.id).where(
        and_(
            HousingOffer.application_id == HousingApplication.id,
            HousingOffer.unit_id == unit.id,
            HousingOffer.status.in_(("declined", "lapsed")),
        )
    )
    project = await session.get_one(HousingProject, unit.project_id)
    # Eligibility is checked again now: a profile may have changed (class, employer) since the application.
    app = await session.scalar(
        select(HousingApplication)
        .join(Talent, Talent.id == HousingApplication.talent_id)
        .where(
            HousingApplication.project_id == unit.project_id,
            HousingApplication.status == "waiting",
            Talent.talent_class.in_(project.eligible_classes),
            Talent.employer_id.is_not(None),
            ~turned_down,
        )
        .order_by(*queue_order())
        .limit(1)
        .with_for_update(of=HousingApplication, skip_locked=True)
    )
    if app is None:
        return None
    offer = HousingOffer(
        id=uuid.uuid4(),
        application_id=app.id,
        unit_id=unit.id,
        status="pending",
        offered_at=now,
        expires_at=now + timedelta(days=offer_days),
    )
    session.add(offer)
    app.status = "offered"
    unit.status = "offered"
    await session.flush()
    await _emit(session, HousingOfferMade, app, project.code, offer, unit)
    return offer


async def release_unit(
    session: AsyncSession, unit_id: uuid.UUID, offer_days: int, now: datetime | None = None
) -> tuple[HousingUnit, HousingOffer | None]:
    now = now or datetime.now(UTC)
    unit = await session.scalar(select(HousingUnit).where(HousingUnit.id == unit_id).with_for_update())
    if unit is None:
        raise UnitNotFound("房源不存在")
    if unit.status == "offered":
        raise UnitOnOffer("该房源已发出配租通知，等待答复")
    if unit.status == "occupied":
        unit.status = "available"
        unit.occupant_talent_id = None
    return unit, await offer_next(session, unit, offer_days, now)


async def _locked_offer(
    session: AsyncSession, offer_id: uuid.UUID
) -> tuple[HousingOffer, HousingApplication, HousingUnit]:
    offer = await session.scalar(select(HousingOffer).where(HousingOffer.id == offer_id).with_for_update())
    if offer is None:
        raise OfferNotFound("配租通知不存在")
    unit = await session.scalar(select(HousingUnit).where(HousingUnit.id == offer.unit_id).with_for_update())
    app = await session.scalar(
        select(HousingApplication).where(HousingApplication.id == offer.application_id).with_for_update()
    )
    assert unit is not None and app is not None
    return offer, app, unit


def _ensure_pending(offer: HousingOffer) -> None:
    if offer.status != "pending":
        raise OfferNotPending(f"配租通知已处理（{offer.status}）", allowed_next=[])


async def accept(session: AsyncSession, offer_id: uuid.UUID, now: datetime | None = None) -> HousingOffer:
    now = now or datetime.now(UTC)
    offer, app, unit = await _locked_offer(session, offer_id)
    _ensure_pending(offer)
    if offer.expires_at < now:
        raise OfferExpired("配租通知已过答复期限", allowed_next=[])
    offer.status, offer.answered_at = "accepted", now
    app.status = "housed"
    unit.status, unit.occupant_talent_id = "occupied", app.talent_id
    await session.flush()
    project = await session.get_one(HousingProject, unit.project_id)
    await _emit(session, HousingOfferAccepted, app, project.code, offer, unit)
    return offer


async def _turn_down(
    session: AsyncSession, offer_id: uuid.UUID, status: str, offer_days: int, now: datetime
) -> tuple[HousingOffer, HousingOffer | None]:
    offer, app, unit = await _locked_offer(session, offer_id)
    _ensure_pending(offer)
    offer.status, offer.answered_at = status, now
    app.status = "waiting"
    app.declines += 1
    if app.declines >= DECLINES_BEFORE_BACK_OF_QUEUE:
        app.back_of_queue_at = now
        app.declines = 0
    unit.status = "available"
    await session.flush()
    project = await session.get_one(HousingProject, unit.project_id)
    model = HousingOfferDeclined if status == "declined" else HousingOfferLapsed
    await _emit(session, model, app, project.code, offer, unit)
    return offer, await offer_next(session, unit, offer_days, now)


async def decline(
    session: AsyncSession, offer_id: uuid.UUID, offer_days: int, now: datetime | None = None
) -> tuple[HousingOffer, HousingOffer | None]:
    return await _turn_down(session, offer_id, "declined", offer_days, now or datetime.now(UTC))


async def lapse_expired(
    session: AsyncSession, offer_days: int, now: datetime | None = None
) -> list[uuid.UUID]:
    now = now or datetime.now(UTC)
    expired = (
        await session.scalars(
            select(HousingOffer.id)
            .where(HousingOffer.status == "pending", HousingOffer.expires_at < now)
            .order_by(HousingOffer.expires_at)
        )
    ).all()
    lapsed = []
    for offer_id in expired:
        try:
            await _turn_down(session, offer_id, "lapsed", offer_days, now)
        except Conflict:
            continue  # answered meanwhile (we lock before changing anything)
        lapsed.append(offer_id)
    return lapsed


async def offer_vacant_units(session: AsyncSession, offer_days: int, now: datetime | None = None) -> int:
    """Offer units left available with nobody to take them at the time — e.g. when concurrent declines skipped
    each other's locked applicants. Run by the periodic housing task and the lapse scan."""
    now = now or datetime.now(UTC)
    units = (
        await session.scalars(
            select(HousingUnit)
            .where(HousingUnit.status == "available")
            .order_by(HousingUnit.project_id, HousingUnit.unit_number)
            .with_for_update(skip_locked=True)
        )
    ).all()
    made = 0
    for unit in units:
        if await offer_next(session, unit, offer_days, now) is not None:
            made += 1
    return made


async def project_counts(session: AsyncSession) -> dict[uuid.UUID, tuple[int, int, int]]:
    units = dict(
        (pid, (total, avail))
        for pid, total, avail in (
            await session.execute(
                select(
                    HousingUnit.project_id,
                    func.count(),
                    func.count().filter(HousingUnit.status == "available"),
                ).group_by(HousingUnit.project_id)
            )
        ).all()
    )
    waiting = dict(
        (
            await session.execute(
                select(HousingApplication.project_id, func.count())
                .where(HousingApplication.status == "waiting")
                .group_by(HousingApplication.project_id)
            )
        ).all()
    )
    keys = set(units) | set(waiting)
    return {k: (units.get(k, (0, 0))[0], units.get(k, (0, 0))[1], waiting.get(k, 0)) for k in keys}

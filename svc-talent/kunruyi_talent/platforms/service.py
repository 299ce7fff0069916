"""科创平台: recording a platform's recognition and its yearly reviews, and what the host enterprise's profile says.

A platform counts as held from its recognition to its expiry, unless a yearly review failed (不合格: held until the
review is recorded, never after). Every change publishes the platform's own event and the host enterprise's
``enterprise.updated`` (``platforms``, ``platform_dates``, ``platform_expiry``, ``platform_levels``), which svc-policy
turns into ``new_platforms`` for the year of recognition: an award for a new recognition is due then, once.
Recording is for officers of the department that manages the kind; another department's officer gets 403."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import OtherDepartment
from kunruyi_common.events import add_event
from kunruyi_common.pii_text import mask_pii
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.enterprise.repository import PLATFORM_LEVELS, platform_held
from kunruyi_talent.events import PlatformFacts, PlatformRecognized, PlatformReviewFailed
from kunruyi_talent.models import Enterprise, Platform, PlatformReview
from kunruyi_talent.platforms import repository
from kunruyi_talent.platforms.exceptions import (
    CertificateExists,
    PlatformNotFound,
    PlatformRevoked,
    RecognitionAfterExpiry,
    RecognitionInFuture,
    ReviewBeforeRecognition,
    ReviewYearExists,
    ReviewYearInFuture,
    UnknownPlatformLevel,
)
from kunruyi_talent.platforms.schemas import (
    STATUS_NAMES,
    PlatformCreate,
    PlatformOut,
    ReviewIn,
    ReviewOut,
    Status,
    YearlyCount,
)

SOURCE = "talent"

# The department that recognises and reviews each kind locally; the rest are 科技局's.
KIND_DEPARTMENTS: dict[str, str] = {
    "postdoc_station": "人社局",
    "postdoc_innovation_base": "人社局",
    "enterprise_tech_center": "工信局",
}
DEFAULT_DEPARTMENT = "科技局"


def department_of(kind: str) -> str:
    return KIND_DEPARTMENTS.get(kind, DEFAULT_DEPARTMENT)


def normalize_level(value: str, field: str = "level") -> str:
    level = value.strip().removesuffix("级").removesuffix("市")
    if level not in PLATFORM_LEVELS:
        raise UnknownPlatformLevel(
            f"平台级别“{value.strip()[:10]}”无效，可选 {'、'.join(PLATFORM_LEVELS)}", field=field
        )
    return level


def normalize_kind(value: str, field: str = "kind") -> str:
    return TAXONOMY.platform_kinds.normalise(value, field=field)


def _check_department(principal: Principal, kind: str) -> None:
    department = department_of(kind)
    if not principal.has_role("admin") and principal.department != department:
        raise OtherDepartment(
            f"“{TAXONOMY.platform_kinds.display(kind)}”由{department}认定和考核，您只能登记本部门管理的平台"
        )


def status_of(p: Platform) -> Status:
    today = local_today()
    if p.revoked_on is not None and p.revoked_on <= today:
        return "revoked"
    if p.recognized_on > today:
        return "not_yet"
    return "held" if platform_held(p, today) else "expired"


def view(p: Platform, e: Enterprise, reviews: list[PlatformReview]) -> PlatformOut:
    outs = [ReviewOut(year=r.year, result=r.result, note=r.note) for r in reviews]
    st = status_of(p)
    return PlatformOut(
        id=p.id,
        uscc=e.uscc,
        enterprise_name=e.name,
        kind=p.kind,
        kind_name=TAXONOMY.platform_kinds.display(p.kind),
        level=p.level,
        name=p.name,
        department=p.department,
        recognized_on=p.recognized_on,
        expires_on=p.expires_on,
        issuing_body=p.issuing_body,
        certificate_number=p.certificate_number,
        status=st,
        status_name=STATUS_NAMES[st],
        revoked_on=p.revoked_on,
        last_review=outs[-1] if outs else None,
        reviews=outs,
    )


async def views(session: AsyncSession, rows: list[tuple[Platform, Enterprise]]) -> list[PlatformOut]:
    reviews = await repository.reviews_of(session, [p.id for p, _ in rows])
    return [view(p, e, reviews.get(p.id, [])) for p, e in rows]


def _facts(p: Platform, e: Enterprise) -> dict[str, object]:
    return PlatformFacts(
        platform_id=str(p.id),
        uscc=e.uscc,
        enterprise_name=e.name,
        kind=p.kind,
        kind_name=TAXONOMY.platform_kinds.display(p.kind),
        level=p.level,
        department=p.department,
        recognized_on=p.recognized_on,
        expires_on=p.expires_on,
        issuing_body=p.issuing_body,
        certificate_number=p.certificate_number,
    ).model_dump()


async def get(
    session: AsyncSession, platform_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Platform, Enterprise]:
    row = await repository.one(session, platform_id, for_update=for_update)
    if row is None:
        raise PlatformNotFound(f"没有编号为 {platform_id} 的科创平台")
    return row


async def record(session: AsyncSession, data: PlatformCreate, principal: Principal) -> PlatformOut:
    """Check everything, then write the platform, its event and the host's profile in one unit of work."""
    kind = normalize_kind(data.kind)
    level = normalize_level(data.level)
    _check_department(principal, kind)
    if data.expires_on is not None and data.recognized_on > data.expires_on:
        raise RecognitionAfterExpiry("认定日期晚于有效期截止日", field="expires_on")
    if data.recognized_on > local_today():
        raise RecognitionInFuture("认定日期晚于今天", field="recognized_on")
    enterprise = await enterprise_service.get_by_uscc(session, data.uscc, for_update=True)
    certificate = data.certificate_number.strip()
    kind_name = TAXONOMY.platform_kinds.display(kind)
    new_id = uuid.uuid4()
    # ON CONFLICT keeps a concurrent duplicate certificate a 409 instead of a unique-violation 500.
    inserted = await session.scalar(
        insert(Platform)
        .values(
            id=new_id,
            enterprise_id=enterprise.id,
            kind=kind,
            level=level,
            name=(data.name or "").strip() or f"{enterprise.name}{level}级{kind_name}",
            department=department_of(kind),
            recognized_on=data.recognized_on,
            expires_on=data.expires_on,
            issuing_body=data.issuing_body.strip(),
            certificate_number=certificate,
            created_by=actor_of(principal),
        )
        .on_conflict_do_nothing(index_elements=["certificate_number"])
        .returning(Platform.id)
    )
    if inserted is None:
        raise CertificateExists(
            f"证书编号 {certificate[:40]} 已登记在另一个平台上", field="certificate_number"
        )
    platform = await session.get_one(Platform, new_id)
    await add_event(session, SOURCE, PlatformRecognized(**_facts(platform, enterprise)), subject=str(new_id))
    enterprise.updated_at = datetime.now(UTC)
    await session.flush()
    await enterprise_service.publish(session, enterprise, registered=False)
    return view(platform, enterprise, [])


async def review(
    session: AsyncSession, platform_id: uuid.UUID, data: ReviewIn, principal: Principal
) -> PlatformOut:
    platform, enterprise = await get(session, platform_id, for_update=True)
    _check_department(principal, platform.kind)
    if platform.revoked_on is not None:
        raise PlatformRevoked(f"该平台已于 {platform.revoked_on} 因年度考核不合格而不再有效")
    if data.year < platform.recognized_on.year:
        raise ReviewBeforeRecognition(
            f"考核年度 {data.year} 早于认定年度 {platform.recognized_on.year}", field="year"
        )
    if data.year > local_today().year:
        raise ReviewYearInFuture(f"考核年度 {data.year} 晚于今年", field="year")
    taken = await session.scalar(
        select(PlatformReview.id).where(
            PlatformReview.platform_id == platform.id, PlatformReview.year == data.year
        )
    )
    if taken is not None:
        raise ReviewYearExists(f"该平台 {data.year} 年度的考核结果已登记", field="year")
    session.add(
        PlatformReview(
            platform_id=platform.id,
            year=data.year,
            result=data.result,
            note=mask_pii(data.note.strip()),
            recorded_by=actor_of(principal),
        )
    )
    if data.result == "不合格":
        platform.revoked_on = local_today()
        await add_event(
            session,
            SOURCE,
            PlatformReviewFailed(**_facts(platform, enterprise), year=data.year, result=data.result),
            subject=str(platform.id),
        )
        enterprise.updated_at = datetime.now(UTC)
        await session.flush()
        await enterprise_service.publish(session, enterprise, registered=False)
    await session.flush()
    return (await views(session, [(platform, enterprise)]))[0]


async def yearly_counts(session: AsyncSession) -> list[YearlyCount]:
    return [
        YearlyCount(
            year=int(year),
            kind=kind,
            kind_name=TAXONOMY.platform_kinds.display(kind),
            level=level,
            count=int(count),
        )
        for year, kind, level, count in await repository.yearly_counts(session)
    ]

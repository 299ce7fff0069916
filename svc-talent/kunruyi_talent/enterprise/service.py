"""一企一档: registering and updating enterprise files, their yearly figures and qualifications, and the profile
the other services receive in events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.crypto import mask_phone
from kunruyi_common.errors import InvalidUscc, UnknownIndustryChain
from kunruyi_common.events import add_event
from kunruyi_common.validators import InvalidIdentifier, normalize_cn_mobile, parse_uscc
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.enterprise.exceptions import (
    EnterpriseExists,
    EnterpriseNotFound,
    InvalidExpiry,
    InvalidPhone,
    InvalidYear,
    QualificationExists,
    QualificationNotFound,
    RdExceedsRevenue,
    UnknownDistrict,
    UnknownPlatform,
)
from kunruyi_talent.enterprise.reference import (
    DISTRICTS,
    INDUSTRY_CHAINS,
    PLATFORMS,
    QUALIFICATIONS,
    normalize_chain,
    normalize_district,
    normalize_platform,
)
from kunruyi_talent.enterprise.repository import EnterpriseBundle, load_bundle
from kunruyi_talent.enterprise.schemas import (
    ContactIn,
    EnterpriseCreate,
    EnterpriseUpdate,
    FiguresIn,
    QualificationIn,
)
from kunruyi_talent.events import EnterpriseProfile, EnterpriseRegistered, EnterpriseUpdated
from kunruyi_talent.models import Enterprise, EnterpriseContact, EnterpriseFigures, EnterpriseQualification
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.talent.profiles import republish_employees
from kunruyi_talent.teams.facts import republish_teams_of_company

SOURCE = "talent"


def validate_uscc(value: str, field: str = "uscc") -> str:
    try:
        return parse_uscc(value).code
    except InvalidIdentifier as exc:
        raise InvalidUscc(exc.message, field=field, part=exc.part) from None


def validate_district(value: str, field: str = "district") -> str:
    value = value.strip()
    district = normalize_district(value)
    if district is None:
        raise UnknownDistrict(f"区镇“{value}”不在昆山区镇列表中（{'、'.join(DISTRICTS)}）", field=field)
    return district


def validate_chain(value: str | None, field: str = "industry_chain") -> str | None:
    chain = normalize_chain(value)
    if chain is not None and chain not in INDUSTRY_CHAINS:
        raise UnknownIndustryChain(f"产业链“{chain}”不在“2+6+X”产业链目录中", field=field)
    return chain


def validate_platforms(values: Sequence[str], field: str = "platforms") -> list[str]:
    codes = [normalize_platform(v) for v in values]
    unknown = [v for v, code in zip(values, codes, strict=True) if code is None]
    if unknown:
        raise UnknownPlatform(
            f"未知的平台类型：{'、'.join(unknown)}（可选 {'、'.join(PLATFORMS)}）",
            field=field,
        )
    return sorted({code for code in codes if code})


def validate_phone(value: str, field: str) -> str:
    try:
        return normalize_cn_mobile(value)
    except InvalidIdentifier as exc:
        raise InvalidPhone(exc.message, field=field) from None


async def find_by_uscc(session: AsyncSession, uscc: str) -> Enterprise | None:
    return await session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))


async def get_by_uscc(session: AsyncSession, uscc: str, *, for_update: bool = False) -> Enterprise:
    code = validate_uscc(uscc, "path.uscc")
    stmt = select(Enterprise).where(Enterprise.uscc == code)
    if for_update:
        stmt = stmt.with_for_update()
    enterprise = await session.scalar(stmt)
    if enterprise is None:
        raise EnterpriseNotFound(f"没有统一社会信用代码为 {code} 的企业档案")
    return enterprise


async def _employees_changed(session: AsyncSession, pii: PersonalData, enterprise: Enterprise) -> None:
    await republish_employees(session, pii, enterprise.id)


async def publish(session: AsyncSession, enterprise: Enterprise, *, registered: bool) -> EnterpriseBundle:
    bundle = await load_bundle(session, enterprise)
    model: type[EnterpriseProfile] = EnterpriseRegistered if registered else EnterpriseUpdated
    await add_event(session, SOURCE, model(**bundle.profile(local_today())), subject=enterprise.uscc)
    if registered:
        # a team of a company not on file until now: its company is now known to be registered in Kunshan
        await republish_teams_of_company(session, enterprise.uscc)
    return bundle


def _contact_rows(
    pii: PersonalData, enterprise_id: uuid.UUID, contacts: Sequence[ContactIn]
) -> list[EnterpriseContact]:
    rows = []
    for i, c in enumerate(contacts):
        phone = validate_phone(c.phone, f"contacts.{i}.phone")
        rows.append(
            EnterpriseContact(
                enterprise_id=enterprise_id,
                name=c.name.strip(),
                role=c.role,
                phone_encrypted=pii.encrypt(phone, "enterprise_contacts.phone"),
                phone_masked=mask_phone(phone),
            )
        )
    return rows


async def register(
    session: AsyncSession, pii: PersonalData, data: EnterpriseCreate, *, publish_event: bool = True
) -> EnterpriseBundle:
    uscc = validate_uscc(data.uscc)
    district = validate_district(data.district)
    chain = validate_chain(data.industry_chain)
    platforms = validate_platforms(data.platforms)
    new_id = uuid.uuid4()
    contacts = _contact_rows(pii, new_id, data.contacts)  # validate before writing anything
    # ON CONFLICT keeps a concurrent duplicate a 409 instead of a unique-violation 500.
    inserted = await session.scalar(
        insert(Enterprise)
        .values(
            id=new_id,
            uscc=uscc,
            name=data.name.strip(),
            district=district,
            industry_chain=chain,
            founded_on=data.founded_on,
            employees=data.employees,
            invention_patents=data.invention_patents,
            platforms=platforms,
        )
        .on_conflict_do_nothing(index_elements=["uscc"])
        .returning(Enterprise.id)
    )
    if inserted is None:
        existing = await find_by_uscc(session, uscc)
        raise EnterpriseExists(
            f"统一社会信用代码 {uscc} 已建档",
            existing_id=str(existing.id) if existing else None,
            field="uscc",
        )
    session.add_all(contacts)
    await session.flush()
    enterprise = await session.get_one(Enterprise, new_id)
    if not publish_event:
        # The caller adds figures and qualifications first and publishes one complete registration.
        return await load_bundle(session, enterprise)
    return await publish(session, enterprise, registered=True)


def _apply_update(
    pii: PersonalData, enterprise: Enterprise, data: EnterpriseUpdate
) -> tuple[bool, list[EnterpriseContact] | None]:
    fields = data.model_fields_set
    changed = False

    def setv(name: str, value: Any) -> None:
        nonlocal changed
        if getattr(enterprise, name) != value:
            setattr(enterprise, name, value)
            changed = True

    if "name" in fields and data.name is not None:
        setv("name", data.name.strip())
    if "district" in fields and data.district is not None:
        setv("district", validate_district(data.district))
    if "industry_chain" in fields:
        setv("industry_chain", validate_chain(data.industry_chain))
    if "founded_on" in fields:
        setv("founded_on", data.founded_on)
    if "employees" in fields and data.employees is not None:
        setv("employees", data.employees)
    if "invention_patents" in fields and data.invention_patents is not None:
        setv("invention_patents", data.invention_patents)
    if "platforms" in fields and data.platforms is not None:
        setv("platforms", validate_platforms(data.platforms))
    contacts = None
    if "contacts" in fields and data.contacts is not None:
        contacts = _contact_rows(pii, enterprise.id, data.contacts)
    return changed, contacts


async def update(
    session: AsyncSession, pii: PersonalData, enterprise: Enterprise, data: EnterpriseUpdate
) -> tuple[EnterpriseBundle, bool]:
    chain_before = enterprise.industry_chain
    changed, contacts = _apply_update(pii, enterprise, data)
    if contacts is not None:
        old = (
            await session.scalars(
                select(EnterpriseContact).where(EnterpriseContact.enterprise_id == enterprise.id)
            )
        ).all()
        for row in old:
            await session.delete(row)
        for row in contacts:
            session.add(row)
        changed = True
    if not changed:
        return await load_bundle(session, enterprise), False
    enterprise.updated_at = datetime.now(UTC)
    await session.flush()
    if enterprise.industry_chain != chain_before:
        await _employees_changed(session, pii, enterprise)
    return await publish(session, enterprise, registered=False), True


async def put_figures(
    session: AsyncSession, enterprise: Enterprise, year: int, data: FiguresIn, *, publish_event: bool = True
) -> EnterpriseBundle | None:
    if not 1990 <= year <= local_today().year:
        raise InvalidYear(f"年度 {year} 无效", field="path.year")
    if data.rd_expense_fen > data.revenue_fen and data.revenue_fen > 0:
        raise RdExceedsRevenue("研发费用不能大于营业收入", field="rd_expense_fen")
    stmt = insert(EnterpriseFigures).values(enterprise_id=enterprise.id, year=year, **data.model_dump())
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["enterprise_id", "year"],
            set_={**data.model_dump(), "updated_at": func.now()},
        )
    )
    enterprise.updated_at = datetime.now(UTC)
    await session.flush()
    return await publish(session, enterprise, registered=False) if publish_event else None


async def add_qualification(
    session: AsyncSession,
    pii: PersonalData,
    enterprise: Enterprise,
    data: QualificationIn,
    *,
    publish_event: bool = True,
) -> EnterpriseBundle | None:
    if data.expires_on is not None and data.expires_on < data.granted_on:
        raise InvalidExpiry("有效期截止日不能早于认定日期", field="expires_on")
    existing = await session.scalar(
        select(EnterpriseQualification).where(
            EnterpriseQualification.enterprise_id == enterprise.id, EnterpriseQualification.kind == data.kind
        )
    )
    if existing is not None:
        raise QualificationExists(
            f"该企业已登记“{QUALIFICATIONS[data.kind]}”资质，如需更新请先删除",
            existing_id=str(existing.id),
        )
    session.add(EnterpriseQualification(enterprise_id=enterprise.id, **data.model_dump()))
    enterprise.updated_at = datetime.now(UTC)
    await session.flush()
    if not publish_event:
        return None
    await _employees_changed(session, pii, enterprise)
    return await publish(session, enterprise, registered=False)


async def remove_qualification(
    session: AsyncSession, pii: PersonalData, enterprise: Enterprise, kind: str
) -> EnterpriseBundle:
    existing = await session.scalar(
        select(EnterpriseQualification).where(
            EnterpriseQualification.enterprise_id == enterprise.id, EnterpriseQualification.kind == kind
        )
    )
    if existing is None:
        raise QualificationNotFound(f"该企业没有“{QUALIFICATIONS.get(kind, kind)}”资质记录")
    await session.delete(existing)
    enterprise.updated_at = datetime.now(UTC)
    await session.flush()
    await _employees_changed(session, pii, enterprise)
    return await publish(session, enterprise, registered=False)

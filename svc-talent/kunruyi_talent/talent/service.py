"""人才画像: registering talent with their personal data encrypted, deriving class, age and gender, keeping a
history of every change, and publishing the pseudonymous profile."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from kunruyi_common.crypto import mask_phone, mask_resident_id
from kunruyi_common.pii_text import mask_pii
from kunruyi_common.validators import InvalidIdentifier, ResidentId, parse_resident_id
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.models import Enterprise, Talent, TalentHistory
from kunruyi_talent.pii import ID_NUMBER_PURPOSE, PHONE_PURPOSE, PersonalData
from kunruyi_talent.talent.classification import classify
from kunruyi_talent.talent.exceptions import InvalidIdNumber, TalentExists, TalentNotFound, UnknownEmployer
from kunruyi_talent.talent.profiles import BIRTH_DATE_COLUMN, publish_profile
from kunruyi_talent.talent.schemas import TalentCreate, TalentUpdate

SOURCE = "talent"
ID_COLUMN = "talents.id_number"
PHONE_COLUMN = "talents.phone"
# Fields whose values never enter the history: only the fact that they changed.
PERSONAL_FIELDS = {"phone"}
# Free text typed about a person — expertise ("合作请致电 138…"), school, title, skill level, tags, fields, program
# names — may carry a phone, ID or card number: it is stored masked (kunruyi_common.pii_text, as lead content at
# capture), so the profile, its history and the person events never hold one. The original is not kept: none of
# these fields needs it, and the person's own phone has its encrypted field.
FREE_TEXT_FIELDS = ("school", "title", "skill_level", "expertise")
FREE_TEXT_LISTS = ("tags", "fields")


def masked_text(name: str, value: Any) -> Any:
    """A profile field's value as stored: free text masked (see ``FREE_TEXT_FIELDS``); other fields as given."""
    if value is None:
        return None
    if name in FREE_TEXT_FIELDS:
        return mask_pii(value)
    if name == "tags":
        return sorted({mask_pii(v) for v in value})
    if name == "fields":
        return list(dict.fromkeys(mask_pii(v) for v in value))
    if name == "programs":
        return [{**p, "name": mask_pii(str(p["name"]))} if p.get("name") else p for p in value]
    return value


def validate_id_number(value: str, field: str = "id_number") -> ResidentId:
    try:
        return parse_resident_id(value)
    except InvalidIdentifier as exc:
        raise InvalidIdNumber(exc.message, field=field, part=exc.part) from None


async def resolve_employer(
    session: AsyncSession, uscc: str | None, field: str = "employer_uscc"
) -> Enterprise | None:
    if uscc is None or not uscc.strip():
        return None
    code = enterprise_service.validate_uscc(uscc, field)
    employer = await enterprise_service.find_by_uscc(session, code)
    if employer is None:
        raise UnknownEmployer(f"工作单位 {code} 尚未在一企一档中建档，请先登记企业", field=field)
    return employer


async def find_by_id_number(session: AsyncSession, pii: PersonalData, id_number: str) -> Talent | None:
    rid = validate_id_number(id_number, "query.id_number")
    index = pii.index(rid.number, ID_NUMBER_PURPOSE)
    return await session.scalar(select(Talent).where(Talent.id_number_index == index))


async def get(session: AsyncSession, talent_id: uuid.UUID, *, for_update: bool = False) -> Talent:
    stmt = select(Talent).where(Talent.id == talent_id)
    if for_update:
        stmt = stmt.with_for_update()
    talent = await session.scalar(stmt)
    if talent is None:
        raise TalentNotFound("人才档案不存在")
    return talent


def _classify(t: Talent) -> str | None:
    return classify(
        education=t.education,
        overseas=t.overseas,
        title=t.title,
        skill_level=t.skill_level,
        programs=t.programs,
    )


async def register(session: AsyncSession, pii: PersonalData, data: TalentCreate, actor: str) -> Talent:
    rid = validate_id_number(data.id_number)
    phone = enterprise_service.validate_phone(data.phone, "phone") if data.phone else None
    employer = await resolve_employer(session, data.employer_uscc)
    index = pii.index(rid.number, ID_NUMBER_PURPOSE)
    talent_id = uuid.uuid4()
    values: dict[str, Any] = {
        "id": talent_id,
        "name": data.name.strip(),
        "id_number_encrypted": pii.encrypt(rid.number, ID_COLUMN),
        "id_number_index": index,
        "id_number_masked": mask_resident_id(rid.number),
        "birth_date_encrypted": pii.encrypt(rid.birth_date.isoformat(), BIRTH_DATE_COLUMN),
        "gender": rid.gender,
        "phone_encrypted": pii.encrypt(phone, PHONE_COLUMN) if phone else None,
        "phone_index": pii.index(phone, PHONE_PURPOSE) if phone else None,
        "phone_masked": mask_phone(phone) if phone else None,
        "education": data.education,
        "school": masked_text("school", data.school),
        "overseas": data.overseas,
        "title": masked_text("title", data.title),
        "skill_level": masked_text("skill_level", data.skill_level),
        "programs": masked_text("programs", [p.model_dump() for p in data.programs]),
        "employer_id": employer.id if employer else None,
        "arrival_date": data.arrival_date,
        "annual_salary_fen": data.annual_salary_fen,
        "tags": masked_text("tags", data.tags),
        "expertise": masked_text("expertise", data.expertise),
        "fields": masked_text("fields", data.fields),
        "is_expert": data.is_expert,
    }
    values["talent_class"] = classify(
        education=data.education,
        overseas=data.overseas,
        title=values["title"],
        skill_level=values["skill_level"],
        programs=values["programs"],
    )
    talent: Talent | None = await session.scalar(
        insert(Talent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["id_number_index"])
        .returning(Talent)
    )
    if talent is None:
        raise TalentExists()
    changes = {
        k: {"to": _jsonable(v)} for k, v in values.items() if k in _TRACKED and v not in (None, [], "")
    }
    changes.update({"id_number": {"changed": True}})
    if phone:
        changes["phone"] = {"changed": True}
    session.add(TalentHistory(talent_id=talent_id, actor=actor, action="registered", changes=changes))
    await session.flush()
    # a talent id minted a moment ago is in no team yet: no team facts to announce
    await publish_profile(session, pii, talent, registered=True, teams=False)
    return talent


_TRACKED = (
    "name",
    "education",
    "school",
    "overseas",
    "title",
    "skill_level",
    "programs",
    "talent_class",
    "employer_id",
    "arrival_date",
    "annual_salary_fen",
    "tags",
    "expertise",
    "fields",
    "is_expert",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime | uuid.UUID):
        return str(value)
    return value


async def update(
    session: AsyncSession, pii: PersonalData, talent: Talent, data: TalentUpdate, actor: str
) -> tuple[Talent, bool]:
    fields = data.model_fields_set
    new: dict[str, Any] = {}
    for name in _TRACKED:
        if name in fields and name not in {"employer_id", "talent_class"}:
            value = getattr(data, name)
            if value is None and name in {
                "name",
                "education",
                "overseas",
                "tags",
                "expertise",
                "fields",
                "is_expert",
                "programs",
            }:
                continue
            if name == "programs":
                value = [p.model_dump() for p in data.programs or []]
            new[name] = masked_text(name, value)
    if "employer_uscc" in fields:
        employer = await resolve_employer(session, data.employer_uscc)
        new["employer_id"] = employer.id if employer else None
    changes: dict[str, Any] = {}
    if "phone" in fields:
        phone = enterprise_service.validate_phone(data.phone, "phone") if data.phone else None
        current = pii.decrypt(talent.phone_encrypted, PHONE_COLUMN) if talent.phone_encrypted else None
        if phone != current:
            talent.phone_encrypted = pii.encrypt(phone, PHONE_COLUMN) if phone else None
            talent.phone_index = pii.index(phone, PHONE_PURPOSE) if phone else None
            talent.phone_masked = mask_phone(phone) if phone else None
            changes["phone"] = {"changed": True}
    for name, value in new.items():
        old = getattr(talent, name)
        if old != value:
            changes[name] = {"from": _jsonable(old), "to": _jsonable(value)}
            setattr(talent, name, value)
    new_class = _classify(talent)
    if new_class != talent.talent_class:
        changes["talent_class"] = {"from": talent.talent_class, "to": new_class}
        talent.talent_class = new_class
    if not changes:
        return talent, False
    talent.updated_at = datetime.now(UTC)
    session.add(TalentHistory(talent_id=talent.id, actor=actor, action="updated", changes=changes))
    await session.flush()
    await publish_profile(session, pii, talent, registered=False)
    return talent, True


async def history(session: AsyncSession, talent_id: uuid.UUID) -> list[TalentHistory]:
    return list(
        (
            await session.scalars(
                select(TalentHistory).where(TalentHistory.talent_id == talent_id).order_by(TalentHistory.id)
            )
        ).all()
    )


async def withdraw_program(
    session: AsyncSession, pii: PersonalData, talent: Talent, application_id: str, actor: str
) -> bool:
    """Remove the program entry of ``application_id`` (a selection withdrawn after an upheld 公示 objection),
    re-derive the class and publish the profile; False (nothing changed) when the profile does not list it."""
    before = list(talent.programs)
    after = [p for p in before if p.get("application_id") != application_id]
    if len(after) == len(before):
        return False
    talent.programs = after
    changes: dict[str, Any] = {"programs": {"from": before, "to": after}}
    new_class = _classify(talent)
    if new_class != talent.talent_class:
        changes["talent_class"] = {"from": talent.talent_class, "to": new_class}
        talent.talent_class = new_class
    talent.updated_at = datetime.now(UTC)
    session.add(TalentHistory(talent_id=talent.id, actor=actor, action="updated", changes=changes))
    await session.flush()
    await publish_profile(session, pii, talent, registered=False)
    return True


async def record_program_funding(
    session: AsyncSession, talent: Talent, application_id: str, facts: dict[str, Any], actor: str
) -> bool:
    """Note a funding step of a program (a tranche released, the agreement ended or accepted) on the talent's
    program entry (``funding``: the latest facts) and in the file's history (action ``program``); the profile
    rules read does not change, so nothing is published. False when the profile does not list the application."""
    entry = next((p for p in talent.programs if p.get("application_id") == application_id), None)
    if entry is None:
        return False
    earlier = entry.get("funding")
    funding: dict[str, Any] = {**(earlier if isinstance(earlier, dict) else {}), **facts}
    talent.programs = [{**p, "funding": funding} if p is entry else p for p in talent.programs]
    session.add(
        TalentHistory(
            talent_id=talent.id,
            actor=actor,
            action="program",
            changes={"program": {"application_id": application_id, **facts}},
        )
    )
    await session.flush()
    return True


async def add_program(
    session: AsyncSession, pii: PersonalData, talent: Talent, entry: dict[str, Any], actor: str
) -> bool:
    """Add a program the talent was selected into (``entry``: name, level, year, and the program's code, funding
    level and application id) to the profile, re-derive the class and publish the profile; False (nothing changed)
    when the profile already lists that application, or that program in that year."""
    for p in talent.programs:
        if p.get("application_id") == entry.get("application_id") or (
            p.get("name") == entry["name"] and p.get("year") == entry["year"]
        ):
            return False
    before = list(talent.programs)
    talent.programs = [*before, entry]
    changes: dict[str, Any] = {"programs": {"from": before, "to": talent.programs}}
    new_class = _classify(talent)
    if new_class != talent.talent_class:
        changes["talent_class"] = {"from": talent.talent_class, "to": new_class}
        talent.talent_class = new_class
    talent.updated_at = datetime.now(UTC)
    session.add(TalentHistory(talent_id=talent.id, actor=actor, action="updated", changes=changes))
    await session.flush()
    await publish_profile(session, pii, talent, registered=False)
    return True

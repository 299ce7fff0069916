"""Activities (活动): officers publish one (kind, venue, Beijing times, capacity, chain), register companies and
talents (one registration each, up to the capacity, until the start), issue a signed check-in code that attendees'
phones scan, and record the outcomes (合作项目数, 商洽数) after it.

昆e服 adds registration by the attendee (a signed-in company or talent registers itself; anyone else with a name and
a phone — encrypted, masked, and indexed so one name and phone register once) and self check-in: the activity's QR code
carries the check-in code, and the registered attendee's phone checks them in (opens 2 hours before the start,
closes at the end; a second scan shows the first check-in).

The check-in code is ``<expiry>.<signature>``: an HMAC-SHA256 of the activity and the expiry under the service's
blind-index key (a secret; its development value is refused outside development mode), with a purpose of its own so
it never collides with an index. It expires when the activity ends."""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from kunruyi_common.auth import Principal
from kunruyi_common.clock import LOCAL_TZ, local_now, utc_now
from kunruyi_common.crypto import blind_index, mask_phone
from kunruyi_common.errors import OtherDepartment
from kunruyi_common.events import add_event
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of, talent_self_id
from kunruyi_talent.activities import repository
from kunruyi_talent.activities.exceptions import (
    ActivityFinished,
    ActivityFull,
    ActivityNotFound,
    ActivityNotOver,
    AlreadyRegistered,
    AttendeeRequired,
    BadActivityTime,
    BadCheckInCode,
    CheckInNotOpen,
    ContactRequired,
    NotRegistered,
    RegistrationClosed,
    RegistrationNotFound,
)
from kunruyi_talent.activities.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityStats,
    CheckInCode,
    KindStats,
    LeadCounts,
    OutcomesIn,
    RegistrationCreate,
    RegistrationList,
    RegistrationOut,
    SelfCheckInCreate,
    SelfCheckInOut,
    SignUpCreate,
)
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.events import ActivityCheckedIn, ActivityPublished
from kunruyi_talent.exceptions import UnknownTalent
from kunruyi_talent.models import Activity, ActivityRegistration, Talent
from kunruyi_talent.pii import PHONE_PURPOSE, PersonalData
from kunruyi_talent.settings import Settings

SOURCE = "talent"
CODE_PURPOSE = "activity-check-in"
PHONE_COLUMN = "activity_registrations.attendee_phone"
# Self check-in opens this long before the start (people arrive early) and closes at the end.
SELF_CHECK_IN_OPENS = timedelta(hours=2)


def _beijing(moment: datetime) -> datetime:
    """A given time: naive means Beijing time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    return moment


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def get(session: AsyncSession, activity_id: uuid.UUID, *, lock: bool = False) -> Activity:
    activity = await repository.get(session, activity_id, lock=lock)
    if activity is None:
        raise ActivityNotFound(f"没有编号为 {activity_id} 的活动")
    return activity


def view(activity: Activity, registered: int) -> ActivityOut:
    chain = activity.industry_chain
    return ActivityOut(
        id=activity.id,
        kind=activity.kind,
        title=activity.title,
        department=activity.department,
        venue=activity.venue,
        starts_at=local_now(activity.starts_at),
        ends_at=local_now(activity.ends_at),
        capacity=activity.capacity,
        industry_chain=chain,
        industry_chain_name=TAXONOMY.industry_chains.display(chain) if chain else None,
        registered=registered,
        cooperation_projects=activity.cooperation_projects,
        negotiations=activity.negotiations,
    )


async def views(session: AsyncSession, activities: list[Activity]) -> list[ActivityOut]:
    counts = await repository.counts(session, [a.id for a in activities])
    return [view(a, counts.get(a.id, (0, 0))[0]) for a in activities]


def ensure_host(activity: Activity, principal: Principal, doing: str) -> None:
    """Staff act on the activities their own department hosts (admins on every one): anything else is 403
    ``other_department``. ``doing`` says what the caller may do, in the refusal ("您只能…")."""
    if not principal.acts_for(activity.department):
        raise OtherDepartment(f"该活动由{activity.department}主办，您只能{doing}")


async def get_hosted(
    session: AsyncSession, activity_id: uuid.UUID, principal: Principal, doing: str, *, lock: bool = False
) -> Activity:
    """The activity (404 when there is none), when the caller's department hosts it (else 403)."""
    activity = await get(session, activity_id, lock=lock)
    ensure_host(activity, principal, doing)
    return activity


async def publish(session: AsyncSession, data: ActivityCreate, principal: Principal) -> Activity:
    department = data.department.strip()
    if not principal.has_role("admin") and principal.department != department:
        raise OtherDepartment(
            f"您只能以本部门（{principal.department or '未登记部门'}）的名义发布活动，不能代{department}发布",
            field="department",
        )
    starts_at, ends_at = _beijing(data.starts_at), _beijing(data.ends_at)
    if ends_at <= starts_at:
        raise BadActivityTime("结束时间不晚于开始时间", field="ends_at")
    chain = enterprise_service.validate_chain(data.industry_chain)
    activity = Activity(
        id=uuid.uuid4(),
        kind=data.kind,
        title=data.title.strip(),
        department=department,
        venue=data.venue.strip(),
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        capacity=data.capacity,
        industry_chain=chain,
        created_by=actor_of(principal),
    )
    session.add(activity)
    await session.flush()
    await add_event(
        session,
        SOURCE,
        ActivityPublished(
            activity_id=str(activity.id),
            kind=activity.kind,
            title=activity.title,
            department=activity.department,
            venue=activity.venue,
            starts_at=activity.starts_at,
            ends_at=activity.ends_at,
            capacity=activity.capacity,
            industry_chain=chain,
        ),
        subject=str(activity.id),
    )
    return activity


def _attendee_type(row: ActivityRegistration) -> Literal["enterprise", "talent", "person"]:
    if row.attendee_type == "enterprise":
        return "enterprise"
    return "talent" if row.attendee_type == "talent" else "person"


def registration_out(row: ActivityRegistration, name: str | None = None) -> RegistrationOut:
    kind = _attendee_type(row)
    return RegistrationOut(
        id=row.id,
        activity_id=row.activity_id,
        attendee_type=kind,
        # A person's attendee key is a keyed hash of their phone: the mask is what anyone sees.
        attendee=(row.attendee_phone_masked or "") if kind == "person" else row.attendee,
        name=row.attendee_name or name,
        phone_masked=row.attendee_phone_masked,
        registered_via=row.registered_via,
        registered_at=local_now(row.registered_at),
        checked_in_at=local_now(row.checked_in_at) if row.checked_in_at else None,
        checked_in_via=row.checked_in_via,
    )


async def _add_registration(
    session: AsyncSession,
    activity_id: uuid.UUID,
    kind: str,
    attendee: str,
    *,
    via: str,
    duplicate_field: str,
    name: str | None = None,
    phone_encrypted: str | None = None,
    phone_masked: str | None = None,
) -> ActivityRegistration:
    # The activity's row lock serialises registrations, so the capacity holds under concurrent requests.
    activity = await get(session, activity_id, lock=True)
    if utc_now() >= activity.starts_at:
        raise RegistrationClosed("活动已开始，报名已截止", field="activity")
    # A person is their name and phone: only the same two are told they are registered. The phone alone would
    # answer "is this phone registered?" to anyone who types it (another name signs up as another person).
    if await repository.find_registration(session, activity.id, kind, attendee, name) is not None:
        raise AlreadyRegistered("已报名该活动，无需重复报名", field=duplicate_field)
    registered = (await repository.counts(session, [activity.id])).get(activity.id, (0, 0))[0]
    if registered >= activity.capacity:
        raise ActivityFull(f"活动报名已满（{activity.capacity} 人）", field="activity")
    row = ActivityRegistration(
        id=uuid.uuid4(),
        activity_id=activity.id,
        attendee_type=kind,
        attendee=attendee,
        attendee_name=name,
        attendee_phone_encrypted=phone_encrypted,
        attendee_phone_masked=phone_masked,
        registered_via=via,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def register(
    session: AsyncSession, activity_id: uuid.UUID, data: RegistrationCreate, principal: Principal
) -> ActivityRegistration:
    """An officer of the host department registers a company or a talent."""
    await get_hosted(session, activity_id, principal, "为本部门主办的活动登记报名")
    if (data.uscc is None) == (data.talent_id is None):
        raise AttendeeRequired("报名者须为一家企业或一名人才，且只能是其一", field="uscc")
    if data.uscc is not None:
        kind, attendee = "enterprise", enterprise_service.validate_uscc(data.uscc, "uscc")
    else:
        assert data.talent_id is not None
        if await session.get(Talent, data.talent_id) is None:
            raise UnknownTalent("人才档案不存在", field="talent_id")
        kind, attendee = "talent", str(data.talent_id)
    return await _add_registration(
        session,
        activity_id,
        kind,
        attendee,
        via="officer",
        duplicate_field="talent_id" if kind == "talent" else "uscc",
    )


def _contact(name: str | None, phone: str | None) -> tuple[str, str]:
    """The name and the normalised mobile number a person gives (each missing one: 422 naming it)."""
    clean_name = (name or "").strip()
    if not clean_name:
        raise ContactRequired("请填写姓名", field="name")
    if not (phone or "").strip():
        raise ContactRequired("请填写手机号", field="phone")
    return clean_name, enterprise_service.validate_phone(phone or "", "phone")


async def _self_attendee(session: AsyncSession, principal: Principal | None) -> tuple[str, str] | None:
    """(kind, attendee) of a signed-in company or talent; None for anyone else (who gives a name and phone)."""
    if principal is None:
        return None
    uscc = principal.signed_in_enterprise
    if uscc:
        return "enterprise", enterprise_service.validate_uscc(uscc, "uscc")
    talent_id = talent_self_id(principal)
    if talent_id is not None:
        if await session.get(Talent, talent_id) is None:
            raise UnknownTalent("人才档案不存在", field="talent_id")
        return "talent", str(talent_id)
    return None


async def sign_up(
    session: AsyncSession,
    pii: PersonalData,
    activity_id: uuid.UUID,
    data: SignUpCreate,
    principal: Principal | None,
) -> ActivityRegistration:
    """Registration from 昆e服 (the attendee) or by a partner: a signed-in company or talent registers itself;
    anyone else by name and phone (one registration per name and phone)."""
    via = "partner" if principal is not None and principal.kind == "partner" else "self"
    own = await _self_attendee(session, principal)
    if own is not None:
        kind, attendee = own
        return await _add_registration(
            session, activity_id, kind, attendee, via=via, duplicate_field="activity"
        )
    name, phone = _contact(data.name, data.phone)
    return await _add_registration(
        session,
        activity_id,
        "person",
        pii.index(phone, PHONE_PURPOSE),
        via=via,
        duplicate_field="phone",
        name=name,
        phone_encrypted=pii.encrypt(phone, PHONE_COLUMN),
        phone_masked=mask_phone(phone),
    )


def _signature(settings: Settings, activity_id: uuid.UUID, expiry: int) -> str:
    return blind_index(f"{activity_id}:{expiry}", settings.blind_index_key, purpose=CODE_PURPOSE)[:32]


def check_in_code(settings: Settings, activity: Activity) -> CheckInCode:
    expiry = int(activity.ends_at.timestamp())
    return CheckInCode(
        activity_id=activity.id,
        code=f"{expiry}.{_signature(settings, activity.id, expiry)}",
        expires_at=local_now(activity.ends_at),
    )


def _verify_signature(settings: Settings, activity: Activity, code: str) -> int:
    """The code's expiry when its signature is this activity's (else 422 bad_check_in_code)."""
    expiry_text, _, signature = code.strip().partition(".")
    if not expiry_text.isdigit() or len(expiry_text) > 12:
        raise BadCheckInCode("签到码无效", field="code")
    expiry = int(expiry_text)
    if not hmac.compare_digest(signature.encode(), _signature(settings, activity.id, expiry).encode()):
        raise BadCheckInCode("签到码无效或不属于该活动", field="code")
    return expiry


def verify_code(settings: Settings, activity: Activity, code: str) -> None:
    expiry = _verify_signature(settings, activity, code)
    if utc_now().timestamp() > expiry or utc_now() > activity.ends_at:
        raise BadCheckInCode("签到码已过期", field="code")


async def _mark_checked_in(
    session: AsyncSession, activity: Activity, row: ActivityRegistration, via: str
) -> None:
    row.checked_in_at = utc_now()
    row.checked_in_via = via
    await session.flush()
    await add_event(
        session,
        SOURCE,
        ActivityCheckedIn(
            activity_id=str(activity.id),
            kind=activity.kind,
            registration_id=str(row.id),
            attendee_type=_attendee_type(row),
            attendee=(row.attendee_phone_masked or "") if row.attendee_type == "person" else row.attendee,
            checked_in_at=row.checked_in_at,
        ),
        subject=str(activity.id),
    )


async def check_in(
    session: AsyncSession,
    settings: Settings,
    activity_id: uuid.UUID,
    code: str,
    registration_id: uuid.UUID,
    principal: Principal,
) -> ActivityRegistration:
    """An officer of the host department checks an attendee in at the door."""
    activity = await get_hosted(session, activity_id, principal, "为本部门主办活动的报名者签到")
    verify_code(settings, activity, code)
    row = await repository.registration(session, activity.id, registration_id)
    if row is None:
        raise RegistrationNotFound(f"该活动没有编号为 {registration_id} 的报名", field="registration")
    if row.checked_in_at is not None:
        return row  # scanned twice: the first check-in stands
    await _mark_checked_in(session, activity, row, "officer")
    return row


async def self_check_in(
    session: AsyncSession,
    settings: Settings,
    pii: PersonalData,
    activity_id: uuid.UUID,
    data: SelfCheckInCreate,
    principal: Principal | None,
) -> SelfCheckInOut:
    """The attendee checks in with their own phone: the activity's code (from its QR), and who they are — their
    signed-in company or talent account, or the name and phone they registered with."""
    activity = await get(session, activity_id)
    expiry = _verify_signature(settings, activity, data.code)
    now = utc_now()
    if now > activity.ends_at:
        raise ActivityFinished("活动已结束，不能再签到", field="activity")
    if now.timestamp() > expiry:
        raise BadCheckInCode("签到码已过期，请扫描现场最新的签到二维码", field="code")
    opens = activity.starts_at - SELF_CHECK_IN_OPENS
    if now < opens:
        raise CheckInNotOpen(
            f"签到尚未开始：{local_now(opens):%m月%d日 %H:%M} 起可签到（活动开始前 2 小时）", field="activity"
        )
    own = await _self_attendee(session, principal)
    name: str | None = None
    if own is not None:
        kind, attendee = own
    else:
        name, phone = _contact(data.name, data.phone)
        kind, attendee = "person", pii.index(phone, PHONE_PURPOSE)
    # A person is found by the name and the phone together: the phone under another name is not this person.
    found = await repository.find_registration(session, activity.id, kind, attendee, name)
    if found is None:
        registered = (await repository.counts(session, [activity.id])).get(activity.id, (0, 0))[0]
        if registered >= activity.capacity:
            raise ActivityFull("活动名额已满，且没有找到您的报名，无法签到", field="activity")
        field = "phone" if own is None else "activity"
        raise NotRegistered("没有找到您的报名：请核对报名时填写的姓名和手机号", field=field)
    row = await repository.registration(session, activity.id, found.id)
    assert row is not None
    already = row.checked_in_at is not None
    if not already:
        await _mark_checked_in(session, activity, row, "self")
    return SelfCheckInOut(
        **registration_out(row).model_dump(), activity_title=activity.title, already_checked_in=already
    )


async def registrations(
    session: AsyncSession, activity_id: uuid.UUID, principal: Principal
) -> RegistrationList:
    """The registrations of an activity for staff of its host department (admins: every activity)."""
    activity = await get_hosted(session, activity_id, principal, "查看本部门主办活动的报名")
    rows = list(await repository.registrations(session, activity.id))
    usccs = [r.attendee for r in rows if r.attendee_type == "enterprise"]
    talent_ids = [uuid.UUID(r.attendee) for r in rows if r.attendee_type == "talent"]
    names: dict[str, str] = {}
    phones: dict[str, str | None] = {}
    if usccs:
        for e in await repository.enterprises(session, usccs):
            names[e.uscc] = e.name
    if talent_ids:
        for t in await repository.talents(session, talent_ids):
            names[str(t.id)] = t.name
            phones[str(t.id)] = t.phone_masked
    items = []
    for r in rows:
        out = registration_out(r, names.get(r.attendee))
        if out.phone_masked is None and r.attendee in phones:
            out.phone_masked = phones[r.attendee]
        items.append(out)
    counted = await stats(session, activity)
    return RegistrationList(
        activity_id=activity.id,
        title=activity.title,
        department=activity.department,
        capacity=activity.capacity,
        registered=counted.registered,
        checked_in=counted.checked_in,
        attendance_rate=counted.attendance_rate,
        cooperation_projects=activity.cooperation_projects,
        negotiations=activity.negotiations,
        items=items,
    )


async def record_outcomes(
    session: AsyncSession, activity_id: uuid.UUID, data: OutcomesIn, principal: Principal
) -> Activity:
    activity = await get_hosted(session, activity_id, principal, "登记本部门主办活动的成果", lock=True)
    if utc_now() < activity.ends_at:
        raise ActivityNotOver("活动尚未结束，不能登记成果", field="activity")
    activity.cooperation_projects = data.cooperation_projects
    activity.negotiations = data.negotiations
    await session.flush()
    return activity


async def stats(session: AsyncSession, activity: Activity) -> ActivityStats:
    registered, checked_in = (await repository.counts(session, [activity.id])).get(activity.id, (0, 0))
    return ActivityStats(
        id=activity.id,
        kind=activity.kind,
        title=activity.title,
        registered=registered,
        checked_in=checked_in,
        attendance_rate=_rate(checked_in, registered),
        cooperation_projects=activity.cooperation_projects,
        negotiations=activity.negotiations,
        leads=(await repository.lead_counts(session, [activity.id])).get(str(activity.id), LeadCounts()),
    )


async def stats_by_kind(session: AsyncSession) -> list[KindStats]:
    leads = await repository.lead_counts(session)
    return [
        KindStats(
            kind=kind,
            activities=int(n),
            registered=int(reg),
            checked_in=int(chk),
            attendance_rate=_rate(int(chk), int(reg)),
            cooperation_projects=int(coop),
            negotiations=int(neg),
            leads=leads.get(kind, LeadCounts()),
        )
        for kind, n, reg, chk, coop, neg in await repository.by_kind(session)
    ]

"""Activities (活动): officers publish one (kind, venue, Beijing times, capacity, chain), register companies and
talents (one registration each, up to the capacity, until the start), issue a signed check-in code that attendees'
phones scan, and record the outcomes (合作项目数, 商洽数) after it.

The check-in code is ``<expiry>.<signature>``: an HMAC-SHA256 of the activity and the expiry under the service's
blind-index key (a secret; its development value is refused outside development mode), with a purpose of its own so
it never collides with an index. It expires when the activity ends."""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime

from kunruyi_common.auth import Principal
from kunruyi_common.clock import LOCAL_TZ, local_now, utc_now
from kunruyi_common.crypto import blind_index
from kunruyi_common.events import add_event
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of
from kunruyi_talent.activities import repository
from kunruyi_talent.activities.exceptions import (
    ActivityFull,
    ActivityNotFound,
    ActivityNotOver,
    AlreadyRegistered,
    AttendeeRequired,
    BadActivityTime,
    BadCheckInCode,
    RegistrationClosed,
    RegistrationNotFound,
)
from kunruyi_talent.activities.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityStats,
    CheckInCode,
    KindStats,
    OutcomesIn,
    RegistrationCreate,
    RegistrationOut,
)
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.events import ActivityCheckedIn, ActivityPublished
from kunruyi_talent.exceptions import UnknownTalent
from kunruyi_talent.models import Activity, ActivityRegistration, Talent
from kunruyi_talent.settings import Settings

SOURCE = "talent"
CODE_PURPOSE = "activity-check-in"


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


async def publish(session: AsyncSession, data: ActivityCreate, principal: Principal) -> Activity:
    starts_at, ends_at = _beijing(data.starts_at), _beijing(data.ends_at)
    if ends_at <= starts_at:
        raise BadActivityTime("结束时间不晚于开始时间", field="ends_at")
    chain = enterprise_service.validate_chain(data.industry_chain)
    activity = Activity(
        id=uuid.uuid4(),
        kind=data.kind,
        title=data.title.strip(),
        department=data.department.strip(),
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


def registration_out(row: ActivityRegistration) -> RegistrationOut:
    return RegistrationOut(
        id=row.id,
        activity_id=row.activity_id,
        attendee_type="enterprise" if row.attendee_type == "enterprise" else "talent",
        attendee=row.attendee,
        registered_at=local_now(row.registered_at),
        checked_in_at=local_now(row.checked_in_at) if row.checked_in_at else None,
    )


async def register(
    session: AsyncSession, activity_id: uuid.UUID, data: RegistrationCreate
) -> ActivityRegistration:
    if (data.uscc is None) == (data.talent_id is None):
        raise AttendeeRequired("报名者须为一家企业或一名人才，且只能是其一", field="uscc")
    if data.uscc is not None:
        kind, attendee = "enterprise", enterprise_service.validate_uscc(data.uscc, "uscc")
    else:
        assert data.talent_id is not None
        if await session.get(Talent, data.talent_id) is None:
            raise UnknownTalent("人才档案不存在", field="talent_id")
        kind, attendee = "talent", str(data.talent_id)
    # The activity's row lock serialises registrations, so the capacity holds under concurrent requests.
    activity = await get(session, activity_id, lock=True)
    if utc_now() >= activity.starts_at:
        raise RegistrationClosed("活动已开始，报名已截止", field="activity")
    if await repository.find_registration(session, activity.id, kind, attendee) is not None:
        raise AlreadyRegistered("已报名该活动", field="talent_id" if kind == "talent" else "uscc")
    registered = (await repository.counts(session, [activity.id])).get(activity.id, (0, 0))[0]
    if registered >= activity.capacity:
        raise ActivityFull(f"活动报名已满（{activity.capacity} 人）", field="activity")
    row = ActivityRegistration(
        id=uuid.uuid4(), activity_id=activity.id, attendee_type=kind, attendee=attendee
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


def _signature(settings: Settings, activity_id: uuid.UUID, expiry: int) -> str:
    return blind_index(f"{activity_id}:{expiry}", settings.blind_index_key, purpose=CODE_PURPOSE)[:32]


def check_in_code(settings: Settings, activity: Activity) -> CheckInCode:
    expiry = int(activity.ends_at.timestamp())
    return CheckInCode(
        activity_id=activity.id,
        code=f"{expiry}.{_signature(settings, activity.id, expiry)}",
        expires_at=local_now(activity.ends_at),
    )


def verify_code(settings: Settings, activity: Activity, code: str) -> None:
    expiry_text, _, signature = code.strip().partition(".")
    if not expiry_text.isdigit() or len(expiry_text) > 12:
        raise BadCheckInCode("签到码无效", field="code")
    expiry = int(expiry_text)
    if not hmac.compare_digest(signature.encode(), _signature(settings, activity.id, expiry).encode()):
        raise BadCheckInCode("签到码无效或不属于该活动", field="code")
    if utc_now().timestamp() > expiry or utc_now() > activity.ends_at:
        raise BadCheckInCode("签到码已过期", field="code")


async def check_in(
    session: AsyncSession, settings: Settings, activity_id: uuid.UUID, code: str, registration_id: uuid.UUID
) -> ActivityRegistration:
    activity = await get(session, activity_id)
    verify_code(settings, activity, code)
    row = await repository.registration(session, activity.id, registration_id)
    if row is None:
        raise RegistrationNotFound(f"该活动没有编号为 {registration_id} 的报名", field="registration")
    if row.checked_in_at is not None:
        return row  # scanned twice: the first check-in stands
    row.checked_in_at = utc_now()
    await session.flush()
    await add_event(
        session,
        SOURCE,
        ActivityCheckedIn(
            activity_id=str(activity.id),
            kind=activity.kind,
            registration_id=str(row.id),
            attendee_type="enterprise" if row.attendee_type == "enterprise" else "talent",
            attendee=row.attendee,
            checked_in_at=row.checked_in_at,
        ),
        subject=str(activity.id),
    )
    return row


async def record_outcomes(session: AsyncSession, activity_id: uuid.UUID, data: OutcomesIn) -> Activity:
    activity = await get(session, activity_id, lock=True)
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
    )


async def stats_by_kind(session: AsyncSession) -> list[KindStats]:
    return [
        KindStats(
            kind=kind,
            activities=int(n),
            registered=int(reg),
            checked_in=int(chk),
            attendance_rate=_rate(int(chk), int(reg)),
            cooperation_projects=int(coop),
            negotiations=int(neg),
        )
        for kind, n, reg, chk, coop, neg in await repository.by_kind(session)
    ]

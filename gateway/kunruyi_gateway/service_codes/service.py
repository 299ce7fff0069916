from __future__ import annotations

import collections
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import segno
from kunruyi_common.errors import InvalidUscc
from kunruyi_common.events import add_event
from kunruyi_common.taxonomy import TAXONOMY
from kunruyi_common.validators import InvalidIdentifier, parse_uscc
from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.events import ServiceCodeIssued, ServiceCodeRevoked, ServiceCodeScanned
from kunruyi_gateway.service_codes.access import Staff, ensure_may_manage
from kunruyi_gateway.service_codes.exceptions import RevokedServiceCode, ServiceCodeNotFound
from kunruyi_gateway.service_codes.models import ServiceCode
from kunruyi_gateway.service_codes.schemas import ServiceCodeCreate, ServiceCodeOut
from kunruyi_gateway.service_codes.tokens import code_token
from kunruyi_gateway.settings import Settings

SCANS = Counter("kunruyi_service_code_scans_total", "昆e服码被扫描次数", ["kind"])


def chain_name(value: str | None) -> str | None:
    """The chain's name in the shared taxonomy (any code, name or alias in): the broker section asks svc-matching
    for it, which maps every taxonomy chain; a chain outside the taxonomy is refused (422 naming the field)."""
    if value is None or not value.strip():
        return None
    chains = TAXONOMY.industry_chains
    return chains.display(chains.normalise(value, field="industry_chain"))


def code_url(settings: Settings, code: ServiceCode) -> str:
    return f"{settings.public_base_url.rstrip('/')}/q/{code_token(code.id, settings.service_code_secret)}"


def to_out(settings: Settings, code: ServiceCode) -> ServiceCodeOut:
    base = f"{settings.public_base_url.rstrip('/')}/api/v1/service-codes/{code.id}"
    return ServiceCodeOut(
        id=code.id,
        kind=code.kind,
        target=code.target,
        name=code.name,
        industry_chain=code.industry_chain,
        token=code_token(code.id, settings.service_code_secret),
        url=code_url(settings, code),
        png_url=f"{base}/qr.png",
        svg_url=f"{base}/qr.svg",
        created_by=code.created_by,
        department=code.department,
        created_at=code.created_at,
        revoked_at=code.revoked_at,
        scan_count=code.scan_count,
    )


async def issue(
    session: AsyncSession,
    body: ServiceCodeCreate,
    issued_by: str,
    *,
    department: str | None,
    batch_job_id: uuid.UUID | None = None,
) -> ServiceCode:
    """A new code of ``department`` (the issuing officer's: its staff and admins revoke it)."""
    target = body.target.strip()
    if body.kind == "enterprise":
        try:
            target = parse_uscc(target).code  # validated before it is upper-cased
        except InvalidIdentifier as exc:
            raise InvalidUscc(f"统一社会信用代码无效：{exc.message}", field="target", part=exc.part) from None
    code = ServiceCode(
        kind=body.kind,
        target=target,
        name=body.name.strip(),
        industry_chain=chain_name(body.industry_chain),
        created_by=issued_by,
        department=department,
        batch_job_id=batch_job_id,
    )
    session.add(code)
    await session.flush()
    await session.refresh(code)
    await add_event(
        session,
        "gateway",
        ServiceCodeIssued(
            code_id=str(code.id), kind=code.kind, target=code.target, name=code.name, issued_by=issued_by
        ),
        subject=str(code.id),
    )
    return code


async def get(session: AsyncSession, code_id: uuid.UUID) -> ServiceCode:
    code = await session.get(ServiceCode, code_id)
    if code is None:
        raise ServiceCodeNotFound("没有这个昆e服码")
    return code


async def list_codes(
    session: AsyncSession, *, target: str | None = None, limit: int = 100
) -> list[ServiceCode]:
    query = select(ServiceCode).order_by(ServiceCode.created_at.desc()).limit(limit)
    if target:
        query = query.where(ServiceCode.target == target)
    return list((await session.scalars(query)).all())


async def revoke(session: AsyncSession, code_id: uuid.UUID, by: Staff) -> ServiceCode:
    """Revoke the code as ``by``: the staff of the code's department or an admin (another department: 403)."""
    code = await get(session, code_id)
    ensure_may_manage(by, code.department, "作废", "昆e服码")
    if code.revoked_at is not None:
        raise RevokedServiceCode("该昆e服码已作废")
    code.revoked_at = datetime.now(UTC)
    await session.flush()
    await add_event(
        session,
        "gateway",
        ServiceCodeRevoked(code_id=str(code.id), revoked_by=by.subject),
        subject=str(code.id),
    )
    return code


async def live_code(session: AsyncSession, code_id: uuid.UUID) -> ServiceCode | None:
    """The code, or None when unknown or revoked."""
    code = await session.get(ServiceCode, code_id)
    if code is None or code.revoked_at is not None:
        return None
    return code


@dataclass(frozen=True)
class Scan:
    """One scan of a code, as the page saw the code."""

    code_id: uuid.UUID
    kind: str
    target: str | None
    name: str


async def record_scans(session: AsyncSession, scans: list[Scan]) -> None:
    """Count ``scans`` on their codes and publish each one with the code's count after it (codes in id order, the
    lock order when replicas record at once); a code deleted meanwhile is skipped."""
    per_code = collections.Counter(s.code_id for s in scans)
    totals: dict[uuid.UUID, int] = {}
    for code_id in sorted(per_code):
        total = (
            await session.execute(
                update(ServiceCode)
                .where(ServiceCode.id == code_id)
                .values(scan_count=ServiceCode.scan_count + per_code[code_id])
                .returning(ServiceCode.scan_count)
            )
        ).scalar_one_or_none()
        if total is not None:
            totals[code_id] = total - per_code[code_id]
    for scan in scans:
        if scan.code_id not in totals:
            continue
        totals[scan.code_id] += 1
        await add_event(
            session,
            "gateway",
            ServiceCodeScanned(
                code_id=str(scan.code_id),
                kind=scan.kind,
                target=scan.target,
                name=scan.name,
                scan_count=totals[scan.code_id],
            ),
            subject=str(scan.code_id),
        )


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, title="昆e服")
    return out.getvalue()


async def covered_targets(session: AsyncSession, targets: list[str]) -> set[str]:
    """Which of ``targets`` already have a 昆e服 code that is not revoked."""
    if not targets:
        return set()
    query = select(ServiceCode.target).where(
        ServiceCode.target.in_(targets), ServiceCode.revoked_at.is_(None)
    )
    return set((await session.scalars(query)).all())


def parse_bulk_lines(text: str) -> tuple[list[tuple[int, ServiceCodeCreate]], list[str]]:
    """Lines of ``统一社会信用代码 名称 [产业链]`` (tab, comma or spaces between) → the codes to issue, and each
    bad line named with its number and reason (a sheet pasted from Excel arrives tab-separated)."""
    wanted: list[tuple[int, ServiceCodeCreate]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"\t|,|，|\s{2,}| ", line, maxsplit=2) if p.strip()]
        if len(parts) < 2:
            problems.append(f"第 {number} 行：需要“统一社会信用代码 名称”，缺少名称")
            continue
        try:
            uscc = parse_uscc(parts[0]).code
        except InvalidIdentifier as exc:
            problems.append(f"第 {number} 行：统一社会信用代码 {parts[0]} 无效（{exc.message}）")
            continue
        if uscc in seen:
            problems.append(f"第 {number} 行：{uscc} 与第 {seen[uscc]} 行重复")
            continue
        seen[uscc] = number
        chain = parts[2] if len(parts) > 2 else None
        if chain is not None and TAXONOMY.industry_chains.lookup(chain) is None:
            problems.append(f"第 {number} 行：产业链“{chain}”不在分类表中")
            continue
        wanted.append(
            (
                number,
                ServiceCodeCreate(kind="enterprise", target=uscc, name=parts[1][:200], industry_chain=chain),
            )
        )
    return wanted, problems

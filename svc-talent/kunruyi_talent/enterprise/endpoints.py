from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from kunruyi_common.auth import CurrentPrincipal, Principal
from kunruyi_common.clock import local_today
from kunruyi_common.db import SessionDep
from kunruyi_common.idempotency import IdempotencyKey, idempotent
from kunruyi_common.pagination import decode_cursor, encode_cursor
from sqlalchemy import select

from kunruyi_talent.access import can_read_registry, can_see_contacts, ensure_can_read_enterprise
from kunruyi_talent.deps import PersonalDataDep
from kunruyi_talent.enterprise import ladder, service
from kunruyi_talent.enterprise.auth import WritePartnerOrOfficer
from kunruyi_talent.enterprise.reference import (
    DISTRICTS,
    FRONTIER_CHAINS,
    PILLAR_CHAINS,
    PLATFORMS,
    QUALIFICATIONS,
    STRATEGIC_CHAINS,
)
from kunruyi_talent.enterprise.repository import EnterpriseBundle, load_bundle
from kunruyi_talent.enterprise.schemas import (
    ContactOut,
    EnterpriseCreate,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseReference,
    EnterpriseSummary,
    EnterpriseUpdate,
    FiguresIn,
    FiguresOut,
    GrowthOut,
    QualificationIn,
    QualificationOut,
)
from kunruyi_talent.exceptions import EnterpriseForbidden
from kunruyi_talent.models import Enterprise, EnterpriseQualification

router = APIRouter(prefix="/api/v1", tags=["一企一档 enterprises"])


def to_read(bundle: EnterpriseBundle, principal: Principal) -> EnterpriseRead:
    on = local_today()
    e = bundle.enterprise
    valid_ids = {q.id for q in bundle.valid_qualifications(on)}
    growth = bundle.growth(on)
    return EnterpriseRead(
        id=e.id,
        uscc=e.uscc,
        name=e.name,
        district=e.district,
        industry_chain=e.industry_chain,
        founded_on=e.founded_on,
        employees=e.employees,
        invention_patents=e.invention_patents,
        platforms=bundle.platform_facts(on)["platforms"],
        figures=[
            FiguresOut(
                year=f.year,
                revenue_fen=f.revenue_fen,
                rd_expense_fen=f.rd_expense_fen,
                tax_paid_fen=f.tax_paid_fen,
                high_tech_revenue_ratio=f.high_tech_revenue_ratio,
                rd_ratio=ladder.rd_ratio(f.rd_expense_fen, f.revenue_fen),
            )
            for f in bundle.figures
        ],
        qualifications=[
            QualificationOut(
                kind=q.kind,
                level=q.level,
                certificate_number=q.certificate_number,
                granted_on=q.granted_on,
                expires_on=q.expires_on,
                label=QUALIFICATIONS.get(q.kind, q.kind),
                valid=q.id in valid_ids,
            )
            for q in bundle.qualifications
        ],
        contacts=[ContactOut(name=c.name, role=c.role, phone=c.phone_masked) for c in bundle.contacts]
        if can_see_contacts(principal)
        else None,
        growth=GrowthOut(**growth.__dict__),
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


@router.get("/enterprises/reference", summary="企业档案参考目录：区镇、“2+6+X”产业链、资质、平台")
async def reference() -> EnterpriseReference:
    return EnterpriseReference.model_validate(
        {
            "districts": list(DISTRICTS),
            "industry_chains": {
                "pillar": list(PILLAR_CHAINS),
                "strategic": list(STRATEGIC_CHAINS),
                "frontier": list(FRONTIER_CHAINS),
            },
            "qualifications": QUALIFICATIONS,
            "platforms": PLATFORMS,
            "growth_ladder": [{"stage": s, "label": ladder.STAGE_LABELS[s]} for s in ladder.LADDER],
        }
    )


@router.post("/enterprises", status_code=201, response_model=EnterpriseRead, summary="企业建档")
async def create_enterprise(
    body: EnterpriseCreate,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: WritePartnerOrOfficer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> tuple[int, EnterpriseRead]:
        return 201, to_read(await service.register(session, pii, body), principal)

    return await idempotent(session, idempotency_key, principal, "enterprises", body, produce, sealer=pii)


@router.get("/enterprises", response_model=EnterprisePage, summary="企业档案列表")
async def list_enterprises(
    session: SessionDep,
    principal: CurrentPrincipal,
    district: str | None = None,
    industry_chain: str | None = None,
    qualification: str | None = None,
    q: Annotated[str | None, Query(max_length=100, description="名称包含")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: str | None = None,
) -> EnterprisePage:
    if not can_read_registry(principal):
        raise EnterpriseForbidden("无权查看企业档案列表")
    stmt = select(Enterprise).order_by(Enterprise.uscc).limit(limit + 1)
    after = decode_cursor(cursor, 1)
    if after:
        stmt = stmt.where(Enterprise.uscc > str(after[0]))
    if district:
        stmt = stmt.where(Enterprise.district == district)
    if industry_chain:
        stmt = stmt.where(Enterprise.industry_chain == industry_chain)
    if q:
        stmt = stmt.where(Enterprise.name.contains(q, autoescape=True))
    if qualification:
        stmt = stmt.where(
            select(EnterpriseQualification.id)
            .where(
                EnterpriseQualification.enterprise_id == Enterprise.id,
                EnterpriseQualification.kind == qualification,
            )
            .exists()
        )
    rows = list((await session.scalars(stmt)).all())
    page, more = rows[:limit], len(rows) > limit
    quals: dict[object, list[str]] = {}
    if page:
        on = local_today()
        for ent_id, kind, granted, expires in (
            await session.execute(
                select(
                    EnterpriseQualification.enterprise_id,
                    EnterpriseQualification.kind,
                    EnterpriseQualification.granted_on,
                    EnterpriseQualification.expires_on,
                ).where(EnterpriseQualification.enterprise_id.in_([e.id for e in page]))
            )
        ).all():
            if granted <= on and (expires is None or expires >= on):
                quals.setdefault(ent_id, []).append(kind)
    items = [
        EnterpriseSummary(
            id=e.id,
            uscc=e.uscc,
            name=e.name,
            district=e.district,
            industry_chain=e.industry_chain,
            employees=e.employees,
            qualifications=sorted(quals.get(e.id, [])),
            growth_stage=ladder.stage_of(frozenset(quals.get(e.id, []))),
        )
        for e in page
    ]
    return EnterprisePage(items=items, next_cursor=encode_cursor(page[-1].uscc) if more else None)


@router.get("/enterprises/{uscc}", response_model=EnterpriseRead, summary="一企一档：企业档案与成长阶梯")
async def get_enterprise(uscc: str, session: SessionDep, principal: CurrentPrincipal) -> EnterpriseRead:
    # Access is decided before the lookup so a QR caller cannot probe which other codes are on file.
    ensure_can_read_enterprise(principal, service.validate_uscc(uscc, "path.uscc"))
    enterprise = await service.get_by_uscc(session, uscc)
    return to_read(await load_bundle(session, enterprise), principal)


@router.patch("/enterprises/{uscc}", response_model=EnterpriseRead, summary="更新企业档案")
async def patch_enterprise(
    uscc: str,
    body: EnterpriseUpdate,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: WritePartnerOrOfficer,
) -> EnterpriseRead:
    enterprise = await service.get_by_uscc(session, uscc, for_update=True)
    bundle, _ = await service.update(session, pii, enterprise, body)
    return to_read(bundle, principal)


@router.put("/enterprises/{uscc}/figures/{year}", response_model=EnterpriseRead, summary="登记某年度经营数据")
async def put_figures(
    uscc: str, year: int, body: FiguresIn, session: SessionDep, principal: WritePartnerOrOfficer
) -> EnterpriseRead:
    enterprise = await service.get_by_uscc(session, uscc, for_update=True)
    bundle = await service.put_figures(session, enterprise, year, body)
    assert bundle is not None
    return to_read(bundle, principal)


@router.post(
    "/enterprises/{uscc}/qualifications",
    status_code=201,
    response_model=EnterpriseRead,
    summary="登记资质认定",
)
async def add_qualification(
    uscc: str,
    body: QualificationIn,
    session: SessionDep,
    pii: PersonalDataDep,
    principal: WritePartnerOrOfficer,
) -> EnterpriseRead:
    enterprise = await service.get_by_uscc(session, uscc, for_update=True)
    bundle = await service.add_qualification(session, pii, enterprise, body)
    assert bundle is not None
    return to_read(bundle, principal)


@router.delete("/enterprises/{uscc}/qualifications/{kind}", status_code=204, summary="删除资质记录")
async def delete_qualification(
    uscc: str, kind: str, session: SessionDep, pii: PersonalDataDep, principal: WritePartnerOrOfficer
) -> Response:
    enterprise = await service.get_by_uscc(session, uscc, for_update=True)
    await service.remove_qualification(session, pii, enterprise, kind)
    return Response(status_code=204)

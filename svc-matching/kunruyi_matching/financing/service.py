"""科技金融 (拨·投·保·贷·贴): financing demands, financial products, matching with reasons, and the pipeline
对接 → 尽调 → 授信/投资 → 放款/交割 recorded by the institution (partner key with ``finance:write``) or staff.

Recording 放款/交割 writes the closing's terms and a ``kunruyi.matching.financing.closed`` event in the request's
unit of work; svc-policy reads it for 贴息, 担保费补贴 and 保费补贴 (免申即享). A refused closing writes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import InvalidTransition, NotOwnEntity
from kunruyi_common.events.outbox import add_event
from kunruyi_common.pii_text import TextCipher, protect_text
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.events import FinancingClosed
from kunruyi_matching.financing import repository
from kunruyi_matching.financing.criteria import (
    COLLATERAL_KINDS,
    INSTITUTION_KINDS,
    INSURANCE_KINDS,
    LOAN_KINDS,
    PRODUCT_KINDS,
    fit,
)
from kunruyi_matching.financing.criteria import STAGES as COMPANY_STAGES
from kunruyi_matching.financing.exceptions import (
    AmountAboveDemand,
    ClosingTermRequired,
    FinancingDemandNotFound,
    LoanNumberTaken,
    NotYourProduct,
    PipelineExists,
    PipelineNotFound,
    UnknownProduct,
)
from kunruyi_matching.financing.models import (
    FinancialProduct,
    FinancingDemand,
    FinancingPipeline,
    FinancingStageRecord,
)
from kunruyi_matching.financing.schemas import (
    FinancingDemandCreate,
    FinancingDemandOut,
    MatchOut,
    MatchPage,
    PipelineCreate,
    PipelineOut,
    ProductCreate,
    ProductOut,
    StageCreate,
    StageRecordOut,
    Term,
    Vocabularies,
)

FILE_DEMAND_ENDPOINT = "financing/demands"
STAGES = ("contact", "due_diligence", "approved", "closed")
STAGE_LABELS = {"contact": "对接", "due_diligence": "尽调", "approved": "授信/投资", "closed": "放款/交割"}


def allowed_next(stage: str) -> list[str]:
    i = STAGES.index(stage)
    return list(STAGES[i + 1 : i + 2])


def first_year_interest_fen(amount_fen: int, rate_percent: Decimal, term_months: int) -> int:
    """amount × rate × min(term, 12) / 12, half-up to a whole fen (2,000,000 元 at 3.45 % for 12 months = 69,000 元)."""
    interest = Decimal(amount_fen) * rate_percent / Decimal(100) * Decimal(min(term_months, 12)) / Decimal(12)
    return int(interest.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _protect(
    cipher: TextCipher, table: str, column: str, row_id: object, text: str
) -> tuple[str, str | None]:
    protected = protect_text(text, cipher, associated_data=f"{table}.{column}:{row_id}".encode())
    return protected.masked, protected.encrypted


def _chain_name(code: str | None) -> str | None:
    return TAXONOMY.industry_chains.display(code) if code else None


async def file_demand(
    session: AsyncSession, cipher: TextCipher, body: FinancingDemandCreate, principal: Principal
) -> FinancingDemand:
    ensure_files_for(principal, body.enterprise_uscc)
    demand_id = uuid.uuid4()
    purpose, purpose_encrypted = _protect(cipher, "financing_demands", "purpose", demand_id, body.purpose)
    demand = FinancingDemand(
        id=demand_id,
        enterprise_uscc=body.enterprise_uscc,
        enterprise_name=body.enterprise_name,
        amount_fen=body.amount_fen,
        stage=body.stage,
        purpose=purpose,
        purpose_encrypted=purpose_encrypted,
        collateral_kinds=list(body.collateral_kinds),
        preferred_kinds=list(body.preferred_kinds),
        industry_chain=body.industry_chain,
        term_months=body.term_months,
        submitted_by=principal.subject,
    )
    session.add(demand)
    await session.flush()
    return demand


def ensure_files_for(principal: Principal, enterprise_uscc: str) -> None:
    """A signed-in company files financing needs for itself only (403 ``not_own_entity``)."""
    own = principal.signed_in_enterprise
    if own is not None and enterprise_uscc != own:
        raise NotOwnEntity("只能为本企业提交、查看融资需求", field="enterprise_uscc")


def ensure_reads_demand(principal: Principal, demand: FinancingDemand) -> None:
    """A signed-in company reads its own financing needs only; banks (partners) and staff read every need — the
    needs are what the institutions answer."""
    ensure_files_for(principal, demand.enterprise_uscc)


def reads_pipeline(principal: Principal, demand: FinancingDemand, product: FinancialProduct) -> bool:
    """Who reads a 对接 (its loan number, rate, amounts): staff; the company whose need it answers; the institution
    whose product it is (``partner_app_key``) — not the other institutions."""
    if principal.kind == "staff":
        return True
    own = principal.signed_in_enterprise
    if own is not None:
        return demand.enterprise_uscc == own
    return principal.kind == "partner" and product.partner_app_key == principal.subject


async def ensure_reads_pipeline(
    session: AsyncSession, principal: Principal, pipeline: FinancingPipeline
) -> None:
    demand = await demand_or_404(session, pipeline.demand_id)
    product = await repository.product(session, pipeline.product_id)
    assert product is not None
    if not reads_pipeline(principal, demand, product):
        if principal.signed_in_enterprise is not None:
            raise NotOwnEntity("只能查看本企业融资需求的对接流程")
        raise NotYourProduct("合作方只能查看本机构产品的对接流程")


async def pipelines_read_by(
    session: AsyncSession, principal: Principal, demand: FinancingDemand
) -> list[FinancingPipeline]:
    """The 对接 of ``demand`` that ``principal`` reads (an institution: those of its own products)."""
    found = []
    for pipeline in await repository.pipelines_of(session, demand.id):
        product = await repository.product(session, pipeline.product_id)
        assert product is not None
        if reads_pipeline(principal, demand, product):
            found.append(pipeline)
    return found


async def demand_or_404(
    session: AsyncSession, demand_id: uuid.UUID, *, lock: bool = False
) -> FinancingDemand:
    found = await repository.demand(session, demand_id, lock=lock)
    if found is None:
        raise FinancingDemandNotFound(f"融资需求 {demand_id} 不存在")
    return found


def demand_view(demand: FinancingDemand) -> FinancingDemandOut:
    out = FinancingDemandOut.model_validate(demand)
    out.stage_label = COMPANY_STAGES.get(demand.stage, demand.stage)
    out.collateral_labels = [COLLATERAL_KINDS.get(k, k) for k in demand.collateral_kinds]
    out.preferred_labels = [PRODUCT_KINDS.get(k, k) for k in demand.preferred_kinds]
    return out


def vocabularies() -> Vocabularies:
    def terms(labels: dict[str, str]) -> list[Term]:
        return [Term(code=code, label=label) for code, label in labels.items()]

    return Vocabularies(
        stages=terms(COMPANY_STAGES),
        collateral_kinds=terms(COLLATERAL_KINDS),
        product_kinds=terms(PRODUCT_KINDS),
        institution_kinds=terms(INSTITUTION_KINDS),
    )


async def register_product(
    session: AsyncSession, body: ProductCreate, principal: Principal
) -> FinancialProduct:
    # A partner registers its own products: they are recorded through its own key, whatever the body says.
    partner = principal.subject if principal.kind == "partner" else body.partner_app_key
    product = FinancialProduct(
        **body.model_dump(exclude={"partner_app_key"}), partner_app_key=partner, created_by=principal.subject
    )
    session.add(product)
    await session.flush()
    return product


def product_view(product: FinancialProduct) -> ProductOut:
    out = ProductOut.model_validate(product)
    out.product_kind_label = PRODUCT_KINDS.get(product.product_kind, product.product_kind)
    out.institution_kind_label = INSTITUTION_KINDS.get(product.institution_kind, product.institution_kind)
    return out


async def matches(session: AsyncSession, demand: FinancingDemand, include_unmatched: bool) -> MatchPage:
    scored = []
    for product in await repository.products(session):
        result = fit(
            amount_fen=demand.amount_fen,
            stage=demand.stage,
            collateral=list(demand.collateral_kinds),
            chain=demand.industry_chain,
            chain_name=_chain_name(demand.industry_chain),
            preferred=list(demand.preferred_kinds),
            product_min_fen=product.min_amount_fen,
            product_max_fen=product.max_amount_fen,
            product_stages=list(product.stages),
            product_collateral=list(product.collateral_kinds),
            product_chains=list(product.industry_chains),
            product_kind=product.product_kind,
            term_months=demand.term_months,
            product_max_term_months=product.max_term_months,
        )
        scored.append(
            MatchOut(
                product=product_view(product),
                matched=result.matched,
                score=result.score,
                reasons=result.reasons,
                unmet=result.unmet,
            )
        )
    scored.sort(key=lambda m: (not m.matched, -m.score, m.product.institution, m.product.name))
    excluded = sum(1 for m in scored if not m.matched)
    items = scored if include_unmatched else [m for m in scored if m.matched]
    return MatchPage(demand_id=demand.id, items=items, excluded=excluded)


def _check_partner(principal: Principal, product: FinancialProduct) -> None:
    if principal.kind == "partner" and product.partner_app_key != principal.subject:
        raise NotYourProduct("合作方只能登记本机构产品的对接流程")


async def _record(
    session: AsyncSession,
    cipher: TextCipher,
    pipeline: FinancingPipeline,
    stage: str,
    previous: str | None,
    actor: str,
    note: str | None,
) -> None:
    record = FinancingStageRecord(
        pipeline_id=pipeline.id, stage=stage, previous_stage=previous, actor=actor, at=datetime.now(UTC)
    )
    session.add(record)
    await session.flush()
    if note is not None:
        record.note, record.note_encrypted = _protect(
            cipher, "financing_stage_records", "note", record.id, note
        )


async def start_pipeline(
    session: AsyncSession,
    cipher: TextCipher,
    demand: FinancingDemand,
    body: PipelineCreate,
    principal: Principal,
) -> FinancingPipeline:
    product = await repository.product(session, body.product_id)
    if product is None or not product.active:
        raise UnknownProduct(f"金融产品 {body.product_id} 不存在或已下架", field="product_id")
    _check_partner(principal, product)
    if await repository.pipeline_of(session, demand.id, product.id) is not None:
        raise PipelineExists(f"需求已与产品“{product.name}”对接")
    pipeline = FinancingPipeline(
        demand_id=demand.id,
        product_id=product.id,
        institution=product.institution,
        stage="contact",
        created_by=principal.subject,
    )
    session.add(pipeline)
    await session.flush()
    await _record(session, cipher, pipeline, "contact", None, principal.subject, body.note)
    return pipeline


async def pipeline_or_404(
    session: AsyncSession, pipeline_id: uuid.UUID, *, lock: bool = False
) -> FinancingPipeline:
    found = await repository.pipeline(session, pipeline_id, lock=lock)
    if found is None:
        raise PipelineNotFound(f"融资对接 {pipeline_id} 不存在")
    return found


def _require(value: object, field: str, what: str) -> None:
    if value is None:
        raise ClosingTermRequired(f"放款/交割需要{what}", field=field)


async def change_stage(
    session: AsyncSession,
    cipher: TextCipher,
    pipeline: FinancingPipeline,
    body: StageCreate,
    principal: Principal,
) -> FinancingPipeline:
    product = await repository.product(session, pipeline.product_id)
    assert product is not None  # a foreign key
    _check_partner(principal, product)
    nexts = allowed_next(pipeline.stage)
    if body.stage not in nexts:
        labels = "、".join(f"{s}（{STAGE_LABELS[s]}）" for s in nexts) or "无"
        raise InvalidTransition(
            f"不能从“{STAGE_LABELS[pipeline.stage]}”进入“{STAGE_LABELS[body.stage]}”；允许的下一阶段：{labels}",
            title="阶段变更顺序不正确",
            allowed_next=nexts,
        )
    if body.stage == "closed":
        await _close(session, pipeline, product, body, principal)
    previous = pipeline.stage
    pipeline.stage = body.stage
    await _record(session, cipher, pipeline, body.stage, previous, principal.subject, body.note)
    return pipeline


async def _close(
    session: AsyncSession,
    pipeline: FinancingPipeline,
    product: FinancialProduct,
    body: StageCreate,
    principal: Principal,
) -> None:
    """Check every term first (a refusal writes nothing), then record them and stage the closed event."""
    _require(body.loan_number, "loan_number", "贷款合同/交割编号")
    _require(body.amount_fen, "amount_fen", "金额（分）")
    assert body.loan_number is not None and body.amount_fen is not None
    is_loan = product.product_kind in LOAN_KINDS
    if is_loan:
        _require(body.annual_rate_percent, "annual_rate_percent", "年利率（%）")
        _require(body.term_months, "term_months", "期限（月）")
    if product.product_kind == "guarantee":
        _require(body.guarantee_fee_fen, "guarantee_fee_fen", "担保费（分）")
    if product.product_kind in INSURANCE_KINDS:
        _require(body.premium_fen, "premium_fen", "保费（分）")
    demand = await demand_or_404(session, pipeline.demand_id, lock=True)
    if body.amount_fen > demand.amount_fen:
        raise AmountAboveDemand(
            f"金额 {body.amount_fen} 分超过融资需求 {demand.amount_fen} 分", field="amount_fen"
        )
    if await repository.loan_number_used(session, pipeline.institution, body.loan_number, pipeline.id):
        raise LoanNumberTaken(
            f"{pipeline.institution} 的编号 {body.loan_number} 已登记过放款/交割", field="loan_number"
        )
    interest = (
        first_year_interest_fen(body.amount_fen, body.annual_rate_percent, body.term_months)
        if body.annual_rate_percent is not None and body.term_months is not None
        else None
    )
    pipeline.loan_number = body.loan_number
    pipeline.amount_fen = body.amount_fen
    pipeline.annual_rate_percent = body.annual_rate_percent
    pipeline.term_months = body.term_months
    pipeline.first_year_interest_fen = interest
    pipeline.guarantee_fee_fen = body.guarantee_fee_fen
    pipeline.premium_fen = body.premium_fen
    pipeline.closed_on = body.closed_on or local_today()
    demand.status = "financed"
    await session.flush()
    await add_event(
        session,
        "matching",
        FinancingClosed(
            pipeline_id=str(pipeline.id),
            demand_id=str(demand.id),
            enterprise_uscc=demand.enterprise_uscc,
            institution=product.institution,
            institution_kind=product.institution_kind,
            product_id=str(product.id),
            product_kind=product.product_kind,
            product_name=product.name,
            loan_number=body.loan_number,
            amount_fen=body.amount_fen,
            annual_rate_percent=body.annual_rate_percent,
            term_months=body.term_months,
            first_year_interest_fen=interest,
            guarantee_fee_fen=body.guarantee_fee_fen,
            premium_fen=body.premium_fen,
            closed_on=pipeline.closed_on,
            collateral_kinds=list(demand.collateral_kinds),
            recorded_by=principal.subject,
        ),
        subject=str(pipeline.id),
    )


async def pipeline_view(session: AsyncSession, pipeline: FinancingPipeline) -> PipelineOut:
    product = await repository.product(session, pipeline.product_id)
    assert product is not None
    history = [
        StageRecordOut(
            stage=r.stage,
            label=STAGE_LABELS.get(r.stage, r.stage),
            previous_stage=r.previous_stage,
            actor=r.actor,
            note=r.note,
            at=r.at,
        )
        for r in await repository.history(session, pipeline.id)
    ]
    return PipelineOut(
        id=pipeline.id,
        demand_id=pipeline.demand_id,
        product_id=pipeline.product_id,
        institution=pipeline.institution,
        product_kind=product.product_kind,
        stage=pipeline.stage,
        stage_label=STAGE_LABELS[pipeline.stage],
        allowed_next=allowed_next(pipeline.stage),
        loan_number=pipeline.loan_number,
        amount_fen=pipeline.amount_fen,
        annual_rate_percent=pipeline.annual_rate_percent,
        term_months=pipeline.term_months,
        first_year_interest_fen=pipeline.first_year_interest_fen,
        guarantee_fee_fen=pipeline.guarantee_fee_fen,
        premium_fen=pipeline.premium_fen,
        closed_on=pipeline.closed_on,
        history=history,
    )

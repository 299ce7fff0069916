"""The published dictionary of profile variables rules may read, and the profile models that enforce it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from kunruyi_common.taxonomy import TAXONOMY
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

EntityType = Literal["enterprise", "talent", "team"]
VariableType = Literal["number", "integer", "string", "boolean", "list"]


@dataclass(frozen=True)
class VariableSpec:
    name: str
    type: VariableType
    label: str
    entity_type: EntityType
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] | None = None
    default: Any = None
    # how a derived variable is computed (profiles/derived.py); None for a figure given as is
    description: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "unit": self.unit,
            "label": self.label,
            "entity_type": self.entity_type,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "values": list(self.values) if self.values else None,
            "default": self.default,
            "description": self.description,
        }


# The vocabularies svc-talent's profiles use, from the platform's one taxonomy (kunruyi_common/taxonomy):
# qualifications and platforms by code, districts and the "2+6+X" chains by the names svc-talent publishes.
ENTERPRISE_QUALIFICATIONS = TAXONOMY.qualifications.codes()
PLATFORMS = TAXONOMY.platform_kinds.codes()
DISTRICTS = TAXONOMY.districts.names()
INDUSTRY_CHAINS = tuple(
    t.name for t in TAXONOMY.industry_chains if TAXONOMY.industry_chains.parent_in_vocabulary(t.code) is None
)
TALENT_PROGRAMS = (
    "national_major",
    "provincial_innovation",
    "gusu_leading",
    "shuangchuang",
    "toupyan",
    "excellent_engineer",
    "high_skill",
)
# svc-talent's events carry program names; rules use these codes.
TALENT_PROGRAM_CODES = {
    "国家重大人才工程": "national_major",
    "国家级领军人才": "national_major",
    "省双创": "provincial_innovation",
    "省双创人才": "provincial_innovation",
    "江苏特聘教授": "provincial_innovation",
    "姑苏领军": "gusu_leading",
    "姑苏领军人才": "gusu_leading",
    "昆山双创": "shuangchuang",
    "昆山双创人才": "shuangchuang",
    "双创人才": "shuangchuang",
    "头雁人才": "toupyan",
    "卓越工程师": "excellent_engineer",
    "高技能人才": "high_skill",
}

E: EntityType = "enterprise"
T: EntityType = "talent"
TM: EntityType = "team"
VARIABLES: tuple[VariableSpec, ...] = (
    VariableSpec("district", "string", "所在区镇", E, values=DISTRICTS, default=""),
    VariableSpec("industry_chain", "string", "所属产业链", E, values=INDUSTRY_CHAINS, default=""),
    VariableSpec(
        "founded_years",
        "integer",
        "成立年限",
        E,
        "年",
        0,
        200,
        default=0,
        description="由 founded_on（成立日期，YYYY-MM-DD）按上海时区当日计算的整年数；未提供 founded_on 时按提交值",
    ),
    VariableSpec("employees", "integer", "职工人数", E, "人", 0, None, default=0),
    VariableSpec("revenue_fen", "integer", "上年度营业收入", E, "分", 0, None, default=0),
    VariableSpec("rd_expense_fen", "integer", "上年度研发费用", E, "分", 0, None, default=0),
    VariableSpec(
        "rd_ratio",
        "number",
        "研发费用占营业收入比例",
        E,
        "比例",
        0,
        1,
        default=0,
        description=(
            "由 rd_expense_fen / revenue_fen 计算（上限 1；营业收入为 0 而有研发费用时为 1）；"
            "同时提交且与计算值相差超过 0.005 时返回 422 derived_value_mismatch；未提供两项原始数据时按提交值"
        ),
    ),
    VariableSpec("high_tech_revenue_ratio", "number", "高新技术产品收入占比", E, "比例", 0, 1, default=0),
    VariableSpec("tax_paid_fen", "integer", "上年度纳税额", E, "分", 0, None, default=0),
    VariableSpec("qualifications", "list", "企业资质", E, values=ENTERPRISE_QUALIFICATIONS, default=[]),
    VariableSpec(
        "new_qualifications",
        "list",
        "本年度首次获得的资质",
        E,
        values=ENTERPRISE_QUALIFICATIONS,
        default=[],
        description="由 qualification_dates 计算：首次认定日期（first_granted_on，缺省为 granted_on）在评估年度内",
    ),
    VariableSpec(
        "renewed_qualifications",
        "list",
        "本年度重新认定的资质",
        E,
        values=ENTERPRISE_QUALIFICATIONS,
        default=[],
        description="由 qualification_dates 计算：本次认定日期（granted_on）在评估年度内且早于此已首次认定",
    ),
    VariableSpec("invention_patents", "integer", "有效发明专利数", E, "件", 0, None, default=0),
    VariableSpec("new_invention_patents", "integer", "本年度新授权发明专利数", E, "件", 0, None, default=0),
    VariableSpec("platforms", "list", "创新平台", E, values=PLATFORMS, default=[]),
    VariableSpec(
        "new_platforms",
        "list",
        "本年度新认定的创新平台",
        E,
        values=PLATFORMS,
        default=[],
        description="由 platform_dates（平台 → 认定日期）计算：认定日期在评估年度内（且未过 platform_expiry）",
    ),
    VariableSpec(
        "total_assets_fen", "integer", "上年度资产总额（全年季度平均值）", E, "分", 0, None, default=0
    ),
    VariableSpec("taxable_income_fen", "integer", "上年度应纳税所得额", E, "分", 0, None, default=0),
    VariableSpec("loan_interest_fen", "integer", "上年度科技贷款实付利息", E, "分", 0, None, default=0),
    VariableSpec(
        "ip_pledge_interest_fen", "integer", "上年度知识产权质押贷款实付利息", E, "分", 0, None, default=0
    ),
    VariableSpec(
        "ip_pledge_interest_in_period_fen",
        "integer",
        "本年度放款的知识产权质押贷款首年利息",
        E,
        "分",
        0,
        None,
        default=0,
        description=(
            "由 financings（svc-matching 的 financing.closed 事件）计算：评估年度内放款的知识产权质押贷款"
            "（ip_pledge_loan）首年利息之和，首年利息 = 金额 × 年利率 × min(期限, 12) / 12；每笔贷款只计入其放款年度"
        ),
    ),
    VariableSpec(
        "ip_pledge_interest_unsubsidised_fen",
        "integer",
        "本年度放款、尚未享受贴息的知识产权质押贷款首年利息",
        E,
        "分",
        0,
        None,
        default=0,
        description=(
            "由 financings 与已认定的贴息计算：评估年度内放款的知识产权质押贷款中，贷款编号（机构|贷款编号）"
            "尚未被任何贴息兑现（含补充认定）覆盖的那些贷款的首年利息之和；同一笔贷款不重复享受贴息"
        ),
    ),
    VariableSpec(
        "guarantee_fee_in_period_fen",
        "integer",
        "本年度放款贷款的融资担保费",
        E,
        "分",
        0,
        None,
        default=0,
        description="由 financings 计算：评估年度内放款/交割的融资所付担保费之和；每笔只计入其放款年度",
    ),
    VariableSpec(
        "insurance_premium_in_period_fen",
        "integer",
        "本年度投保的人才创业保、科技保险保费",
        E,
        "分",
        0,
        None,
        default=0,
        description="由 financings 计算：评估年度内承保的人才创业保（talent_startup_insurance）与科技保险"
        "（tech_insurance）保费之和；每张保单只计入其承保年度",
    ),
    VariableSpec(
        "smart_investment_fen", "integer", "智能化改造设备与软件投资额", E, "分", 0, None, default=0
    ),
    VariableSpec("green_investment_fen", "integer", "节能降碳改造投资额", E, "分", 0, None, default=0),
    VariableSpec("first_set_sales_fen", "integer", "首台（套）装备首年销售额", E, "分", 0, None, default=0),
    VariableSpec(
        "first_set_level",
        "string",
        "首台（套）认定级别",
        E,
        values=("national", "provincial", ""),
        default="",
    ),
    VariableSpec("export_value_fen", "integer", "上年度进出口额", E, "分", 0, None, default=0),
    VariableSpec("export_growth", "number", "上年度进出口额增长率", E, "比例", -1, 100, default=0),
    VariableSpec("cross_border_sales_fen", "integer", "上年度跨境电商交易额", E, "分", 0, None, default=0),
    VariableSpec("tech_contract_fen", "integer", "上年度登记技术合同成交额", E, "分", 0, None, default=0),
    VariableSpec("fixed_investment_fen", "integer", "新落户项目固定资产投资额", E, "分", 0, None, default=0),
    VariableSpec("trainees", "integer", "上年度组织职工职业技能培训人数", E, "人", 0, None, default=0),
    VariableSpec("incubated_firms", "integer", "在孵科技企业数", E, "家", 0, None, default=0),
    VariableSpec("postdocs", "integer", "在站博士后人数", E, "人", 0, None, default=0),
    VariableSpec(
        "quality_award",
        "string",
        "质量奖级别",
        E,
        values=("national", "provincial", "suzhou", "kunshan", ""),
        default="",
    ),
    VariableSpec(
        "listing_stage",
        "string",
        "上市进程",
        E,
        values=("shareholding", "neeq", "filed", "listed", ""),
        default="",
    ),
    VariableSpec(
        "age",
        "integer",
        "年龄",
        T,
        "岁",
        0,
        120,
        default=0,
        description="由 birth_date（出生日期，YYYY-MM-DD）按上海时区当日计算的周岁；未提供 birth_date 时按提交值",
    ),
    VariableSpec(
        "education", "string", "学历", T, values=("bachelor", "master", "doctor", "other"), default="other"
    ),
    VariableSpec("overseas", "boolean", "有海外经历", T, default=False),
    VariableSpec("title", "string", "职称", T, default=""),
    VariableSpec("skill_level", "string", "职业技能等级", T, default=""),
    VariableSpec("talent_programs", "list", "入选人才计划", T, values=TALENT_PROGRAMS, default=[]),
    VariableSpec(
        "talent_class", "string", "人才层次（A–E）", T, values=("A", "B", "C", "D", "E", ""), default=""
    ),
    VariableSpec(
        "years_in_kunshan",
        "integer",
        "在昆工作年限",
        T,
        "年",
        0,
        80,
        default=0,
        description="由 arrival_date（来昆工作日期）按评估日计算的整年数；未提供 arrival_date 时按提交值",
    ),
    VariableSpec(
        "arrived_in_period",
        "boolean",
        "本年度来昆工作",
        T,
        default=False,
        description="由 arrival_date 计算：来昆工作日期在评估年度内",
    ),
    VariableSpec("annual_salary_fen", "integer", "年薪", T, "分", 0, None, default=0),
    VariableSpec(
        "employer_qualifications", "list", "所在单位资质", T, values=ENTERPRISE_QUALIFICATIONS, default=[]
    ),
    VariableSpec("industry_chain", "string", "从事产业链", T, values=INDUSTRY_CHAINS, default=""),
    VariableSpec(
        "program_award_codes",
        "list",
        "已获人才计划资助（计划代码）",
        T,
        default=[],
        description="svc-disbursement 的入选事件（program.selected，撤销入选时移除）：该人才入选过的计划代码",
    ),
    VariableSpec(
        "years_since_program_award",
        "integer",
        "距首次获人才计划资助年数",
        T,
        "年",
        0,
        100,
        default=0,
        description="评估年度减去最早一次入选年度；未获资助为 0（与 program_award_codes 同读）",
    ),
    # 创新创业团队 (双创团队): svc-talent's team records (kunruyi.talent.team.registered|updated), counts only
    VariableSpec(
        "member_count", "integer", "团队成员人数", TM, "人", 0, 1000, default=0, description="含带头人"
    ),
    VariableSpec(
        "core_member_count",
        "integer",
        "团队核心成员人数",
        TM,
        "人",
        0,
        1000,
        default=0,
        description="带头人与核心成员（svc-talent 团队名单中角色为 lead 或 core 的成员）",
    ),
    VariableSpec(
        "lead_talent_class",
        "string",
        "团队带头人人才层次（A–E）",
        TM,
        values=("A", "B", "C", "D", "E", ""),
        default="",
    ),
    VariableSpec("doctorate_members", "integer", "具有博士学历的成员人数", TM, "人", 0, 1000, default=0),
    VariableSpec("overseas_members", "integer", "有海外经历的成员人数", TM, "人", 0, 1000, default=0),
    VariableSpec("program_members", "integer", "入选人才计划的成员人数", TM, "人", 0, 1000, default=0),
    VariableSpec(
        "company_in_kunshan",
        "boolean",
        "团队所在企业在昆山注册",
        TM,
        default=False,
        description="所在企业在人才企业库（一企一档）中建档即为在昆山注册；未建档时未知，按 false",
    ),
)


def variables_for(entity_type: str) -> dict[str, VariableSpec]:
    return {v.name: v for v in VARIABLES if v.entity_type == entity_type}


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("须为日期（YYYY-MM-DD）") from exc
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date)]


def _qualification_keys(value: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in value if k not in ENTERPRISE_QUALIFICATIONS]
    if unknown:
        raise ValueError(f"未知资质 {unknown[0]!r}，可用取值：{'、'.join(ENTERPRISE_QUALIFICATIONS)}")
    return value


def _platform_keys(value: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in value if k not in PLATFORMS]
    if unknown:
        raise ValueError(f"未知创新平台 {unknown[0]!r}，可用取值：{'、'.join(PLATFORMS)}")
    return value


class QualificationDates(BaseModel):
    """When a qualification's current certificate was granted, when it was first granted, when it expires."""

    model_config = ConfigDict(extra="forbid")

    granted_on: IsoDate
    first_granted_on: IsoDate | None = None
    expires_on: IsoDate | None = None


class FinancingFact(BaseModel):
    """One closed financing as svc-policy keeps it (from ``kunruyi.matching.financing.closed``): rules never read
    it directly, the period variables are computed from it (profiles/period.py)."""

    model_config = ConfigDict(extra="forbid")

    product_kind: str
    closed_on: IsoDate
    amount_fen: int = Field(ge=0)
    first_year_interest_fen: int | None = Field(default=None, ge=0)
    guarantee_fee_fen: int | None = Field(default=None, ge=0)
    premium_fen: int | None = Field(default=None, ge=0)


class EnterpriseProfile(BaseModel):
    """An enterprise profile as rules see it. Missing values take neutral defaults (0, "", [])."""

    model_config = ConfigDict(extra="forbid")

    district: str = ""
    industry_chain: str = ""
    founded_years: int = Field(0, ge=0, le=200)
    employees: int = Field(0, ge=0)
    revenue_fen: int = Field(0, ge=0)
    rd_expense_fen: int = Field(0, ge=0)
    rd_ratio: float = Field(0, ge=0, le=1, allow_inf_nan=False)
    high_tech_revenue_ratio: float = Field(0, ge=0, le=1, allow_inf_nan=False)
    tax_paid_fen: int = Field(0, ge=0)
    qualifications: list[str] = Field(default_factory=list)
    new_qualifications: list[str] = Field(default_factory=list)
    renewed_qualifications: list[str] = Field(default_factory=list)
    invention_patents: int = Field(0, ge=0)
    new_invention_patents: int = Field(0, ge=0)
    platforms: list[str] = Field(default_factory=list)
    new_platforms: list[str] = Field(default_factory=list)
    total_assets_fen: int = Field(0, ge=0)
    taxable_income_fen: int = Field(0, ge=0)
    loan_interest_fen: int = Field(0, ge=0)
    ip_pledge_interest_fen: int = Field(0, ge=0)
    smart_investment_fen: int = Field(0, ge=0)
    green_investment_fen: int = Field(0, ge=0)
    first_set_sales_fen: int = Field(0, ge=0)
    first_set_level: Literal["national", "provincial", ""] = ""
    export_value_fen: int = Field(0, ge=0)
    export_growth: float = Field(0, ge=-1, le=100, allow_inf_nan=False)
    cross_border_sales_fen: int = Field(0, ge=0)
    tech_contract_fen: int = Field(0, ge=0)
    fixed_investment_fen: int = Field(0, ge=0)
    trainees: int = Field(0, ge=0)
    incubated_firms: int = Field(0, ge=0)
    postdocs: int = Field(0, ge=0)
    quality_award: Literal["national", "provincial", "suzhou", "kunshan", ""] = ""
    listing_stage: Literal["shareholding", "neeq", "filed", "listed", ""] = ""
    # dated facts the period variables are computed from (profiles/period.py); rules never read them directly
    qualification_dates: Annotated[dict[str, QualificationDates], AfterValidator(_qualification_keys)] = (
        Field(default_factory=dict)
    )
    platform_dates: Annotated[dict[str, IsoDate], AfterValidator(_platform_keys)] = Field(
        default_factory=dict
    )
    # platform → its expiry (null: none): an expired platform no longer counts as held (svc-talent's records)
    platform_expiry: Annotated[dict[str, IsoDate | None], AfterValidator(_platform_keys)] = Field(
        default_factory=dict
    )
    # platform → the highest level held (国家/省/苏州/昆山), kept with the profile for display and future rules
    platform_levels: Annotated[
        dict[str, Literal["国家", "省", "苏州", "昆山"]], AfterValidator(_platform_keys)
    ] = Field(default_factory=dict)
    ip_pledge_interest_in_period_fen: int = Field(0, ge=0)
    ip_pledge_interest_unsubsidised_fen: int = Field(0, ge=0)
    guarantee_fee_in_period_fen: int = Field(0, ge=0)
    insurance_premium_in_period_fen: int = Field(0, ge=0)
    # closed financings by "<institution>|<loan number>" (one entry per loan however often its event arrives)
    financings: dict[str, FinancingFact] = Field(default_factory=dict)


class TalentProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: int = Field(0, ge=0, le=120)
    education: Literal["bachelor", "master", "doctor", "other"] = "other"
    overseas: bool = False
    title: str = ""
    skill_level: str = ""
    talent_programs: list[str] = Field(default_factory=list)
    talent_class: Literal["A", "B", "C", "D", "E", ""] = ""
    years_in_kunshan: int = Field(0, ge=0, le=80)
    arrived_in_period: bool = False
    arrival_date: IsoDate | None = None
    annual_salary_fen: int = Field(0, ge=0)
    employer_qualifications: list[str] = Field(default_factory=list)
    industry_chain: str = ""
    program_award_codes: list[str] = Field(default_factory=list)
    years_since_program_award: int = Field(0, ge=0, le=100)


class TeamProfile(BaseModel):
    """A 创新创业团队 as rules see it: its members counted (no names), the lead's class, the company's registration."""

    model_config = ConfigDict(extra="forbid")

    member_count: int = Field(0, ge=0, le=1000)
    core_member_count: int = Field(0, ge=0, le=1000)
    lead_talent_class: Literal["A", "B", "C", "D", "E", ""] = ""
    doctorate_members: int = Field(0, ge=0, le=1000)
    overseas_members: int = Field(0, ge=0, le=1000)
    program_members: int = Field(0, ge=0, le=1000)
    company_in_kunshan: bool = False


# Dated facts a profile may carry besides the variables (not readable by rules).
DATED_FACTS = {
    "enterprise": (
        "qualification_dates",
        "platform_dates",
        "platform_expiry",
        "platform_levels",
        "financings",
    ),
    "talent": ("arrival_date",),
    "team": (),
}
# Period figures computed from closed financings: a company with none has 0, never an unknown figure.
FINANCING_FIGURES = frozenset(
    {
        "ip_pledge_interest_in_period_fen",
        "ip_pledge_interest_unsubsidised_fen",
        "guarantee_fee_in_period_fen",
        "insurance_premium_in_period_fen",
    }
)
# The figures of 知识产权质押 interest: an entitlement of a policy reading one of them subsidises its loans' interest.
INTEREST_FIGURES = frozenset({"ip_pledge_interest_in_period_fen", "ip_pledge_interest_unsubsidised_fen"})


# Figures whose omission is "unknown" (→ needs_data), not zero: every number the dictionary lists.
def figures_of(entity_type: str) -> frozenset[str]:
    return frozenset(
        v.name
        for v in VARIABLES
        if v.entity_type == entity_type
        and v.type in ("number", "integer")
        and v.name not in FINANCING_FIGURES
    )


PROFILE_MODELS: dict[str, type[BaseModel]] = {
    "enterprise": EnterpriseProfile,
    "talent": TalentProfile,
    "team": TeamProfile,
}

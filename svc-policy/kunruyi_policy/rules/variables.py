"""The published dictionary of profile variables rules may read, and the profile models that enforce it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kunruyi_common.taxonomy import TAXONOMY
from pydantic import BaseModel, ConfigDict, Field

EntityType = Literal["enterprise", "talent"]
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
        "new_qualifications", "list", "本年度新获资质", E, values=ENTERPRISE_QUALIFICATIONS, default=[]
    ),
    VariableSpec("invention_patents", "integer", "有效发明专利数", E, "件", 0, None, default=0),
    VariableSpec("platforms", "list", "创新平台", E, values=PLATFORMS, default=[]),
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
    VariableSpec("years_in_kunshan", "integer", "在昆工作年限", T, "年", 0, 80, default=0),
    VariableSpec("annual_salary_fen", "integer", "年薪", T, "分", 0, None, default=0),
    VariableSpec(
        "employer_qualifications", "list", "所在单位资质", T, values=ENTERPRISE_QUALIFICATIONS, default=[]
    ),
    VariableSpec("industry_chain", "string", "从事产业链", T, values=INDUSTRY_CHAINS, default=""),
)


def variables_for(entity_type: str) -> dict[str, VariableSpec]:
    return {v.name: v for v in VARIABLES if v.entity_type == entity_type}


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
    invention_patents: int = Field(0, ge=0)
    platforms: list[str] = Field(default_factory=list)


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
    annual_salary_fen: int = Field(0, ge=0)
    employer_qualifications: list[str] = Field(default_factory=list)
    industry_chain: str = ""


PROFILE_MODELS: dict[str, type[BaseModel]] = {"enterprise": EnterpriseProfile, "talent": TalentProfile}

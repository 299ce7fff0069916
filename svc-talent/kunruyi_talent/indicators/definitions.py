"""The action plan's indicator system (昆山人才科创发展行动计划 2022~2025, 昆办发〔2022〕67号, §二 总体目标 and §五.2
加强监督评估: "每季度报送指标完成进度，每年组织行动计划年度监测分析").

Each indicator: code, Chinese name, unit, baseline (2021 年末, the plan's starting point), target and target year,
lead department, and how its value is obtained:

- ``computed`` — from this service's own data (qualifications, the 科创平台 records, the talent registry, housing,
  the service desk) or
  from events it consumed (payments settled by svc-disbursement); recomputed for every quarter and 区镇 on read.
- ``reported`` — a lead department submits the quarter's value with a note; a second person approves it.

``measure`` says what the value is: ``level`` (a stock at quarter end: 有效高企 3,500), ``increase`` (the net change
since the baseline date: 净增高企 1,300, 人才公寓 +1万套), ``rate`` (a percentage in the quarter: 按时答复率). For
computed ``level``/``rate`` indicators the baseline is the value the platform's data give at the baseline date; the
plan's text gives no baselines for the reported stock indicators: the figures below are the lead departments'
2021 年末 figures as entered here and are meant to be confirmed by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Kind = Literal["computed", "reported"]
Measure = Literal["level", "increase", "rate"]

BASELINE_DATE = date(2021, 12, 31)
PLAN_START_YEAR = 2022
TARGET_YEAR = 2025

UNITS = ("家", "人", "名", "个", "项", "件", "套", "%", "万元", "亿元")


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name: str
    unit: str
    target: float
    department: str
    kind: Kind
    measure: Measure
    baseline: float = 0.0
    target_year: int = TARGET_YEAR
    # The largest value a department may report (a typo guard); computed ones ignore it.
    maximum: float = 1_000_000.0
    group: str = ""
    # Computed: which computation (service.COMPUTATIONS); by 区镇 when the data carry a district.
    source: str = ""
    by_district: bool = False


INDICATORS: tuple[IndicatorDef, ...] = (
    # 人才集聚
    IndicatorDef(
        "national_experts",
        "国家重大人才工程专家",
        "名",
        200,
        "人才办",
        "reported",
        "level",
        baseline=120,
        maximum=1_000,
        group="人才集聚",
    ),
    IndicatorDef(
        "national_experts_own",
        "自主培育国家重大人才工程专家",
        "名",
        65,
        "人才办",
        "reported",
        "level",
        baseline=30,
        maximum=1_000,
        group="人才集聚",
    ),
    IndicatorDef(
        "innovation_teams",
        "各级双创人才（团队）总量",
        "个",
        1_700,
        "人才办",
        "reported",
        "level",
        baseline=1_100,
        maximum=10_000,
        group="人才集聚",
    ),
    IndicatorDef(
        "new_masters_phds",
        "新增创新创业硕博士",
        "名",
        2_000,
        "人社局",
        "reported",
        "increase",
        maximum=20_000,
        group="人才集聚",
    ),
    IndicatorDef(
        "high_skill_talent",
        "新增高技能人才",
        "人",
        40_000,
        "人社局",
        "reported",
        "increase",
        maximum=200_000,
        group="人才集聚",
    ),
    IndicatorDef(
        "high_level_talent",
        "高层次人才总量（平台登记，A–E 类）",
        "人",
        62_000,
        "人才办",
        "computed",
        "level",
        source="high_level_talent",
        by_district=True,
        group="人才集聚",
    ),
    IndicatorDef(
        "talent_total",
        "人才资源总量（平台登记）",
        "人",
        600_000,
        "人才办",
        "computed",
        "level",
        source="talent_total",
        by_district=True,
        group="人才集聚",
    ),
    # 科创平台
    IndicatorDef(
        "postdoc_stations",
        "新增博士后工作站（平台登记，各级）",
        "个",
        20,
        "人社局",
        "computed",
        "increase",
        source="platforms:postdoc_station",
        by_district=True,
        group="科创平台",
    ),
    IndicatorDef(
        "new_platforms",
        "新认定科创平台（平台登记，各类各级）",
        "个",
        200,
        "科技局",
        "computed",
        "increase",
        source="platforms",
        by_district=True,
        group="科创平台",
    ),
    IndicatorDef(
        "challenge_projects",
        "新增“揭榜挂帅”攻关项目（svc-matching 确定揭榜团队的榜单）",
        "项",
        500,
        "科技局",
        "computed",
        "increase",
        source="challenges",
        by_district=True,
        group="科创平台",
    ),
    # 科创企业
    IndicatorDef(
        "high_tech_net",
        "净增高新技术企业",
        "家",
        1_300,
        "科技局",
        "computed",
        "increase",
        source="high_tech",
        by_district=True,
        group="科创企业",
    ),
    IndicatorDef(
        "high_tech_valid",
        "有效高新技术企业",
        "家",
        3_500,
        "科技局",
        "computed",
        "level",
        source="high_tech",
        by_district=True,
        group="科创企业",
    ),
    IndicatorDef(
        "specialized_sme",
        "“专精特新”企业",
        "家",
        550,
        "工信局",
        "computed",
        "level",
        source="specialized_sme",
        by_district=True,
        group="科创企业",
    ),
    IndicatorDef(
        "gazelle",
        "瞪羚企业",
        "家",
        200,
        "科技局",
        "computed",
        "level",
        source="gazelle",
        by_district=True,
        group="科创企业",
    ),
    IndicatorDef(
        "unicorn_candidate",
        "“独角兽”培育企业",
        "家",
        50,
        "科技局",
        "computed",
        "level",
        source="unicorn_candidate",
        by_district=True,
        group="科创企业",
    ),
    IndicatorDef(
        "new_listed",
        "新增上市企业",
        "家",
        40,
        "金融监管局",
        "reported",
        "increase",
        maximum=500,
        group="科创企业",
    ),
    # 人才质效
    IndicatorDef(
        "high_value_patents",
        "新增高价值发明专利",
        "件",
        2_600,
        "市场监管局",
        "reported",
        "increase",
        maximum=100_000,
        group="人才质效",
    ),
    IndicatorDef(
        "new_standards",
        "新增主导或参与国际、国家、行业标准制（修）订",
        "项",
        120,
        "市场监管局",
        "reported",
        "increase",
        maximum=5_000,
        group="人才质效",
    ),
    IndicatorDef(
        "rd_gdp",
        "全社会研发支出占地区生产总值比重",
        "%",
        4.5,
        "科技局",
        "reported",
        "level",
        baseline=3.6,
        maximum=100,
        group="人才质效",
    ),
    IndicatorDef(
        "industrial_rd_intensity",
        "规上工业企业研发投入强度",
        "%",
        2.0,
        "工信局",
        "reported",
        "level",
        baseline=1.5,
        maximum=100,
        group="人才质效",
    ),
    # 创新生态
    IndicatorDef(
        "new_projects",
        "新引进科创项目（每年 1,000 个，四年累计）",
        "个",
        4_000,
        "科技局",
        "reported",
        "increase",
        maximum=100_000,
        group="创新生态",
    ),
    IndicatorDef(
        "tech_service_revenue",
        "科技服务业收入",
        "亿元",
        290,
        "科技局",
        "reported",
        "level",
        baseline=180,
        maximum=100_000,
        group="创新生态",
    ),
    IndicatorDef(
        "talent_apartments",
        "新增人才公寓",
        "套",
        10_000,
        "住建局",
        "computed",
        "increase",
        source="housing_units",
        by_district=True,
        group="创新生态",
    ),
    # 服务与兑现（平台运行）
    IndicatorDef(
        "desk_reply_rate",
        "服务台按期答复率（当季受理）",
        "%",
        95,
        "人才办",
        "computed",
        "rate",
        source="desk_reply_rate",
        group="服务与兑现",
    ),
    IndicatorDef(
        "desk_solve_rate",
        "服务台解决率（当季受理）",
        "%",
        90,
        "人才办",
        "computed",
        "rate",
        source="desk_solve_rate",
        group="服务与兑现",
    ),
    IndicatorDef(
        "payouts",
        "政策资金兑现累计（拨付到账）",
        "万元",
        200_000,
        "财政局",
        "computed",
        "increase",
        source="payouts",
        by_district=True,
        group="服务与兑现",
    ),
)

BY_CODE = {d.code: d for d in INDICATORS}

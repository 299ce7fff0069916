"""Reference data of the catalog: the 15 departments, 10 categories and 27 themed services of Kunshan's hub."""

from __future__ import annotations

from kunruyi_common.taxonomy import TAXONOMY

DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("talent_office", "市委人才办"),
    ("sci_tech", "科技局"),
    ("industry_it", "工信局"),
    ("hr_social", "人社局"),
    ("finance", "财政局"),
    ("commerce", "商务局"),
    ("development_reform", "发改委"),
    ("education", "教育局"),
    ("housing", "住建局"),
    ("health", "卫健委"),
    ("financial_office", "金融办"),
    ("market_regulation", "市场监管局"),
    ("natural_resources", "资源规划局"),
    ("innovation_center", "科创发展服务中心"),
    ("tax", "税务局"),
)

# category code, category name, themes (code, name)
CATEGORIES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "talent",
        "人才引育",
        (
            ("talent_top", "顶尖人才引进"),
            ("talent_innovation", "双创人才支持"),
            ("talent_youth", "青年人才集聚"),
            ("talent_postdoc", "博士后培养"),
        ),
    ),
    ("living", "人才安居", (("living_purchase", "购房安居补贴"), ("living_rental", "人才租赁住房"))),
    ("skills", "技能人才", (("skills_allowance", "高技能人才津贴"), ("skills_training", "职业技能提升"))),
    (
        "innovation",
        "科技创新",
        (
            ("innovation_rd", "研发投入奖补"),
            ("innovation_platform", "创新平台建设"),
            ("innovation_transfer", "科技成果转化"),
        ),
    ),
    (
        "ladder",
        "企业梯队培育",
        (
            ("ladder_high_tech", "高新技术企业培育"),
            ("ladder_specialized", "专精特新培育"),
            ("ladder_gazelle", "瞪羚独角兽培育"),
        ),
    ),
    ("ip", "知识产权", (("ip_patent", "专利授权奖励"), ("ip_use", "知识产权运用"))),
    (
        "industry",
        "产业发展",
        (
            ("industry_chain", "产业链协同"),
            ("industry_smart", "智能化改造"),
            ("industry_first_set", "首台套首批次"),
        ),
    ),
    (
        "finance",
        "金融与税费",
        (("finance_listing", "上市挂牌"), ("finance_loan", "科技贷款贴息"), ("finance_tax", "税费减免")),
    ),
    ("open", "开放合作", (("open_trade", "外贸稳增长"), ("open_investment", "招商引资"))),
    (
        "services",
        "公共服务",
        (("services_school", "子女入学"), ("services_health", "医疗保健"), ("services_settle", "落户服务")),
    ),
)

POLICY_TYPES = ("减免", "奖补", "权益", "资质")
MODES = ("automatic", "application", "quick")
BENEFICIARIES = ("enterprise", "talent", "team")
STATUSES = ("draft", "published", "suspended", "expired")

# Words jieba must keep whole, so that 专精特新 is found as one term rather than 专/精/特/新.
DOMAIN_TERMS = (
    "免申即享",
    "快申快享",
    "高新技术企业",
    "高企",
    "专精特新",
    "小巨人",
    "瞪羚企业",
    "瞪羚",
    "独角兽",
    "研发费用",
    "研发投入",
    "博士后工作站",
    "博士后创新实践基地",
    "双创人才",
    "双创团队",
    "头雁人才",
    "人才安居",
    "安居补贴",
    "购房补贴",
    "租房补贴",
    "人才公寓",
    "高技能人才",
    "技能津贴",
    "发明专利",
    "知识产权",
    "首台套",
    "智能化改造",
    "上市挂牌",
    "贷款贴息",
    "科技贷款",
    "揭榜挂帅",
    "卓越工程师",
    "规上企业",
    "科技型中小企业",
    "工程技术研究中心",
    "企业技术中心",
    "院士工作站",
    "新型研发机构",
    "子女入学",
    "医疗保健",
    "人才落户",
    "政策计算器",
    "一网通办",
    "产业链",
    "电子信息",
    "装备制造",
    "生物医药",
    "集成电路",
    "人工智能",
    "新型显示",
    "新能源汽车",
    "新能源新材料",
)

# Demo policies per district and per pillar/strategic chain, named as svc-talent publishes them (the shared
# taxonomy's display names).
DISTRICTS_FOR_DEMO = TAXONOMY.districts.names()
INDUSTRY_CHAINS_FOR_DEMO = tuple(
    t.name
    for t in TAXONOMY.industry_chains
    if t.tier in ("2", "6") and TAXONOMY.industry_chains.parent_in_vocabulary(t.code) is None
)

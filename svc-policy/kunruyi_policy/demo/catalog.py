"""The demo catalog (演示数据): items modelled on the seed texts and on public 免申即享 practice.

Thresholds and amounts are plausible, not official; every item is marked ``is_demo`` and tagged 演示数据.
"""

from __future__ import annotations

from typing import Any

from kunruyi_policy.catalog.taxonomy import DISTRICTS_FOR_DEMO, INDUSTRY_CHAINS_FOR_DEMO
from kunruyi_policy.demo.catalog_builders import WAN, D, M, has, item, param, var
from kunruyi_policy.demo.catalog_tables import more_items


def _enterprise_automatic() -> list[dict[str, Any]]:
    items = [
        item(
            "KS-KJ-001",
            "高新技术企业认定奖励",
            "sci_tech",
            "ladder_high_tech",
            "奖补",
            "enterprise",
            "automatic",
            [D("new_high_tech", "本年度首次认定为高新技术企业", has("high_tech", "new_qualifications"))],
            var("params.award_fen"),
            parameters=param(
                "award_fen",
                "首次认定奖励",
                "分",
                ("2022-01-01", 20 * WAN, "昆科规〔2022〕5号"),
                ("2025-01-01", 30 * WAN, "昆科规〔2024〕9号"),
            ),
            source="昆科规〔2024〕9号",
            budget=6000 * WAN,
            tags=("高企", "免申即享"),
            exclusive="high_tech_award",
            once=True,
        ),
        item(
            "KS-KJ-002",
            "高新技术企业重新认定奖励",
            "sci_tech",
            "ladder_high_tech",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "renewed_high_tech",
                    "本年度通过高新技术企业重新认定（认定日期在本年度）",
                    has("high_tech", "renewed_qualifications"),
                ),
            ],
            10 * WAN,
            source="昆科规〔2024〕9号",
            budget=3000 * WAN,
            tags=("高企",),
            exclusive="high_tech_award",
        ),
        item(
            "KS-GX-001",
            "专精特新中小企业奖励",
            "industry_it",
            "ladder_specialized",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "new_specialized",
                    "本年度新认定为省级专精特新中小企业",
                    has("specialized_sme", "new_qualifications"),
                )
            ],
            20 * WAN,
            source="昆工信〔2023〕21号",
            budget=4000 * WAN,
            tags=("专精特新",),
            once=True,
        ),
        item(
            "KS-GX-002",
            "专精特新“小巨人”企业奖励",
            "industry_it",
            "ladder_specialized",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "new_little_giant",
                    "本年度新认定为国家级专精特新“小巨人”",
                    has("little_giant", "new_qualifications"),
                )
            ],
            50 * WAN,
            source="昆工信〔2023〕21号",
            budget=3000 * WAN,
            tags=("专精特新", "小巨人"),
            once=True,
        ),
        item(
            "KS-KJ-003",
            "瞪羚企业奖励",
            "sci_tech",
            "ladder_gazelle",
            "奖补",
            "enterprise",
            "automatic",
            [D("new_gazelle", "本年度新入选瞪羚企业", has("gazelle", "new_qualifications"))],
            30 * WAN,
            source="昆科规〔2023〕4号",
            budget=2000 * WAN,
            tags=("瞪羚",),
            once=True,
        ),
        item(
            "KS-KJ-004",
            "独角兽培育企业奖励",
            "sci_tech",
            "ladder_gazelle",
            "奖补",
            "enterprise",
            "automatic",
            [D("new_unicorn", "本年度新入选独角兽培育企业", has("unicorn_candidate", "new_qualifications"))],
            100 * WAN,
            source="昆科规〔2023〕4号",
            budget=2000 * WAN,
            tags=("独角兽",),
            once=True,
        ),
        item(
            "KS-KJ-005",
            "企业研发费用补助",
            "sci_tech",
            "innovation_rd",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "rd_ratio",
                    "研发费用占营业收入比例达到标准",
                    {">=": [var("rd_ratio"), var("params.min_rd_ratio")]},
                ),
                D("rd_expense", "上年度研发费用不低于100万元", {">=": [var("rd_expense_fen"), 100 * WAN]}),
            ],
            {"*": [var("rd_expense_fen"), var("params.subsidy_rate")]},
            cap=200 * WAN,
            parameters={
                **param(
                    "min_rd_ratio",
                    "研发费用占比下限",
                    "比例",
                    ("2022-01-01", 0.03, "昆科规〔2022〕5号"),
                    ("2026-01-01", 0.035, "昆科规〔2025〕2号"),
                ),
                **param("subsidy_rate", "补助比例", "比例", ("2022-01-01", 0.05, "昆科规〔2022〕5号")),
            },
            source="昆科规〔2025〕2号",
            budget=8000 * WAN,
            tags=("研发费用", "研发投入"),
            stacking="rd_support",
        ),
        item(
            "KS-GX-003",
            "规上工业企业首次升规奖励",
            "industry_it",
            "industry_chain",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "new_above_scale",
                    "本年度首次纳入规模以上工业企业",
                    has("above_scale", "new_qualifications"),
                )
            ],
            10 * WAN,
            source="昆工信〔2022〕8号",
            budget=1500 * WAN,
            tags=("规上企业",),
            once=True,
        ),
        item(
            "KS-KJ-006",
            "科技型中小企业入库奖励",
            "sci_tech",
            "ladder_high_tech",
            "奖补",
            "enterprise",
            "automatic",
            [D("new_tech_sme", "本年度新入库科技型中小企业", has("tech_sme", "new_qualifications"))],
            2 * WAN,
            source="昆科规〔2023〕4号",
            budget=1000 * WAN,
            tags=("科技型中小企业",),
            once=True,
        ),
        item(
            "KS-JR-001",
            "企业上市奖励",
            "financial_office",
            "finance_listing",
            "奖补",
            "enterprise",
            "automatic",
            [D("new_listed", "本年度在境内外证券交易所上市", has("listed", "new_qualifications"))],
            300 * WAN,
            source="昆金发〔2022〕12号",
            budget=3000 * WAN,
            tags=("上市挂牌",),
            once=True,
        ),
        item(
            "KS-SJ-001",
            "企业知识产权奖励",
            "market_regulation",
            "ip_patent",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "new_patents",
                    "本年度新授权发明专利不少于1件",
                    {">=": [var("new_invention_patents"), 1]},
                )
            ],
            {"*": [var("new_invention_patents"), 5000 * 100]},
            cap=50 * WAN,
            source="昆市监规〔2023〕2号",
            budget=2000 * WAN,
            tags=("发明专利", "知识产权"),
        ),
        item(
            "KS-RS-001",
            "博士后工作站建站资助",
            "hr_social",
            "talent_postdoc",
            "奖补",
            "enterprise",
            "automatic",
            [D("postdoc_station", "本年度新设立博士后科研工作站", has("postdoc_station", "new_platforms"))],
            50 * WAN,
            source="昆人社规〔2022〕6号",
            budget=1000 * WAN,
            tags=("博士后工作站",),
            once=True,
        ),
        item(
            "KS-RS-002",
            "博士后创新实践基地资助",
            "hr_social",
            "talent_postdoc",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "postdoc_base",
                    "本年度新设立博士后创新实践基地",
                    has("postdoc_innovation_base", "new_platforms"),
                )
            ],
            20 * WAN,
            source="昆人社规〔2022〕6号",
            budget=600 * WAN,
            tags=("博士后创新实践基地",),
            once=True,
        ),
        item(
            "KS-KJ-007",
            "工程技术研究中心奖励",
            "sci_tech",
            "innovation_platform",
            "奖补",
            "enterprise",
            "automatic",
            [
                D(
                    "engineering_center",
                    "本年度新认定工程技术研究中心",
                    has("engineering_center", "new_platforms"),
                )
            ],
            20 * WAN,
            source="昆科规〔2023〕4号",
            budget=1000 * WAN,
            tags=("工程技术研究中心",),
            once=True,
        ),
        item(
            "KS-GX-004",
            "企业技术中心奖励",
            "industry_it",
            "innovation_platform",
            "奖补",
            "enterprise",
            "automatic",
            [D("tech_center", "本年度新认定企业技术中心", has("enterprise_tech_center", "new_platforms"))],
            30 * WAN,
            source="昆工信〔2022〕8号",
            budget=1000 * WAN,
            tags=("企业技术中心",),
            once=True,
        ),
        item(
            "KS-KC-001",
            "院士工作站建站资助",
            "innovation_center",
            "innovation_platform",
            "奖补",
            "enterprise",
            "automatic",
            [D("academician", "本年度新建立院士工作站", has("academician_station", "new_platforms"))],
            30 * WAN,
            source="昆人才〔2023〕3号",
            budget=600 * WAN,
            tags=("院士工作站",),
            once=True,
        ),
        item(
            "KS-KJ-008",
            "新型研发机构绩效奖励",
            "sci_tech",
            "innovation_platform",
            "奖补",
            "enterprise",
            "automatic",
            [
                D("new_rd", "经认定的新型研发机构", has("new_rd_institution", "platforms")),
                D("rd_expense", "年度研发投入不低于500万元", {">=": [var("rd_expense_fen"), 500 * WAN]}),
            ],
            {"*": [var("rd_expense_fen"), 0.1]},
            cap=100 * WAN,
            source="昆科规〔2023〕4号",
            budget=2000 * WAN,
            stacking="rd_support",
        ),
        item(
            "KS-CZ-001",
            "纳税贡献奖励",
            "finance",
            "finance_tax",
            "奖补",
            "enterprise",
            "automatic",
            [D("tax", "上年度纳税额达到标准", {">=": [var("tax_paid_fen"), var("params.min_tax_fen")]})],
            {"*": [var("tax_paid_fen"), 0.01]},
            cap=100 * WAN,
            parameters=param(
                "min_tax_fen", "纳税额门槛", "分", ("2022-01-01", 1000 * WAN, "昆财规〔2022〕3号")
            ),
            source="昆财规〔2022〕3号",
            budget=5000 * WAN,
        ),
        item(
            "KS-KJ-009",
            "高新技术产品收入奖励",
            "sci_tech",
            "ladder_high_tech",
            "奖补",
            "enterprise",
            "automatic",
            [
                D("is_high_tech", "是高新技术企业", has("high_tech")),
                D("ht_ratio", "高新技术产品收入占比不低于60%", {">=": [var("high_tech_revenue_ratio"), 0.6]}),
            ],
            5 * WAN,
            source="昆科规〔2023〕4号",
            budget=1500 * WAN,
        ),
        item(
            "KS-RS-003",
            "小微企业稳岗补贴",
            "hr_social",
            "skills_training",
            "奖补",
            "enterprise",
            "automatic",
            [D("size", "职工人数10至100人", {"<=": [10, var("employees"), 100]})],
            {"*": [var("employees"), 500 * 100]},
            cap=5 * WAN,
            source="昆人社规〔2023〕1号",
            budget=3000 * WAN,
            tags=("稳岗",),
        ),
    ]
    for i, chain in enumerate(INDUSTRY_CHAINS_FOR_DEMO, start=1):
        items.append(
            item(
                f"KS-FG-{i:03d}",
                f"{chain}产业链企业研发奖励",
                "development_reform",
                "industry_chain",
                "奖补",
                "enterprise",
                "automatic",
                [
                    D("chain", f"属于{chain}产业链", {"==": [var("industry_chain"), chain]}),
                    D("rd_ratio", "研发费用占比不低于5%", {">=": [var("rd_ratio"), 0.05]}),
                ],
                {"*": [var("rd_expense_fen"), 0.03]},
                cap=80 * WAN,
                source="昆发改〔2023〕15号",
                budget=1500 * WAN,
                tags=("产业链", chain),
                stacking="rd_support",
            )
        )
    for i, district in enumerate(DISTRICTS_FOR_DEMO, start=1):
        items.append(
            item(
                f"KS-QZ-{i:03d}",
                f"{district}高新技术企业配套奖励",
                "innovation_center",
                "ladder_high_tech",
                "奖补",
                "enterprise",
                "automatic",
                [
                    D("district", f"注册在{district}", {"==": [var("district"), district]}),
                    D(
                        "new_high_tech",
                        "本年度首次认定为高新技术企业",
                        has("high_tech", "new_qualifications"),
                    ),
                ],
                10 * WAN,
                source="昆办发〔2022〕67号",
                budget=300 * WAN,
                tags=("高企", "区镇配套"),
                once=True,
            )
        )
    return items


def _talent() -> list[dict[str, Any]]:
    class_amount = {
        "if": [
            {"==": [var("talent_class"), "A"]},
            100 * WAN,
            {"==": [var("talent_class"), "B"]},
            60 * WAN,
            {"==": [var("talent_class"), "C"]},
            30 * WAN,
            15 * WAN,
        ]
    }
    return [
        item(
            "KS-RS-010",
            "高技能人才津贴",
            "hr_social",
            "skills_allowance",
            "奖补",
            "talent",
            "automatic",
            [D("level", "取得技师或高级技师职业资格", {"in": [var("skill_level"), ["技师", "高级技师"]]})],
            {
                "if": [
                    {"==": [var("skill_level"), "高级技师"]},
                    var("params.senior_fen"),
                    var("params.technician_fen"),
                ]
            },
            parameters={
                **param(
                    "senior_fen", "高级技师年度津贴", "分", ("2022-01-01", 2 * WAN, "昆人社规〔2022〕4号")
                ),
                **param(
                    "technician_fen", "技师年度津贴", "分", ("2022-01-01", 1 * WAN, "昆人社规〔2022〕4号")
                ),
            },
            source="昆人社规〔2022〕4号",
            budget=3000 * WAN,
            tags=("高技能人才",),
        ),
        item(
            "KS-ZJ-001",
            "人才安居补贴",
            "housing",
            "living_purchase",
            "奖补",
            "talent",
            "automatic",
            [
                D("class", "经认定的A–D类人才", {"in": [var("talent_class"), ["A", "B", "C", "D"]]}),
                D("arrived", "本年度来昆工作（来昆日期在本年度）", {"!!": var("arrived_in_period")}),
            ],
            class_amount,
            source="昆人才〔2022〕2号",
            budget=10000 * WAN,
            tags=("人才安居", "购房补贴"),
            once=True,
        ),
        item(
            "KS-RC-001",
            "博士人才生活补贴",
            "talent_office",
            "talent_youth",
            "奖补",
            "talent",
            "automatic",
            [
                D("doctor", "博士研究生学历", {"==": [var("education"), "doctor"]}),
                D("age", "年龄不超过40周岁", {"<=": [var("age"), 40]}),
            ],
            3 * WAN,
            source="昆人才〔2022〕2号",
            budget=2000 * WAN,
            tags=("青年人才",),
            exclusive="youth_living",
        ),
        item(
            "KS-RC-002",
            "硕士人才生活补贴",
            "talent_office",
            "talent_youth",
            "奖补",
            "talent",
            "automatic",
            [
                D("master", "硕士研究生学历", {"==": [var("education"), "master"]}),
                D("age", "年龄不超过35周岁", {"<=": [var("age"), 35]}),
            ],
            1 * WAN,
            source="昆人才〔2022〕2号",
            budget=2000 * WAN,
            tags=("青年人才",),
            exclusive="youth_living",
        ),
        item(
            "KS-RC-003",
            "海外留学人才来昆补贴",
            "talent_office",
            "talent_top",
            "奖补",
            "talent",
            "automatic",
            [
                D("overseas", "具有海外学习或工作经历", {"!!": var("overseas")}),
                D("degree", "硕士及以上学历", {"in": [var("education"), ["master", "doctor"]]}),
                D("arrived", "本年度来昆工作", {"!!": var("arrived_in_period")}),
            ],
            2 * WAN,
            source="昆人才〔2023〕3号",
            budget=1000 * WAN,
            tags=("海外人才",),
            once=True,
        ),
        item(
            "KS-ZJ-002",
            "青年人才租房补贴",
            "housing",
            "living_rental",
            "奖补",
            "talent",
            "automatic",
            [
                D("new", "来昆工作不满3年", {"<": [var("years_in_kunshan"), 3]}),
                D("degree", "本科及以上学历", {"in": [var("education"), ["bachelor", "master", "doctor"]]}),
                D("age", "年龄不超过35周岁", {"<=": [var("age"), 35]}),
            ],
            {"*": [600 * 100, 12]},
            source="昆住建〔2023〕6号",
            budget=3000 * WAN,
            tags=("租房补贴",),
            exclusive="rental_allowance",
        ),
        item(
            "KS-RS-012",
            "高技能人才引进奖励",
            "hr_social",
            "skills_allowance",
            "奖补",
            "talent",
            "automatic",
            [
                D("level", "取得高级技师职业资格", {"==": [var("skill_level"), "高级技师"]}),
                D("arrived", "本年度引进来昆工作", {"!!": var("arrived_in_period")}),
            ],
            5 * WAN,
            source="昆人社规〔2022〕4号",
            budget=500 * WAN,
            tags=("高技能人才",),
            once=True,
        ),
        item(
            "KS-RC-004",
            "A类人才薪酬奖励",
            "talent_office",
            "talent_top",
            "奖补",
            "talent",
            "automatic",
            [
                D("class", "经认定的A类人才", {"==": [var("talent_class"), "A"]}),
                D("salary", "年薪不低于100万元", {">=": [var("annual_salary_fen"), 100 * WAN]}),
            ],
            {"*": [var("annual_salary_fen"), 0.1]},
            cap=50 * WAN,
            source="昆人才〔2023〕3号",
            budget=3000 * WAN,
        ),
        item(
            "KS-RC-005",
            "省双创人才配套资助",
            "talent_office",
            "talent_innovation",
            "奖补",
            "talent",
            "automatic",
            [D("program", "入选江苏省双创计划", has("provincial_innovation", "talent_programs"))],
            20 * WAN,
            source="昆人才〔2022〕2号",
            budget=2000 * WAN,
            tags=("双创人才",),
            once=True,
        ),
        item(
            "KS-RC-010",
            "双创人才项目资助",
            "talent_office",
            "talent_innovation",
            "奖补",
            "talent",
            "application",
            [
                D("program", "入选昆山双创人才计划", has("shuangchuang", "talent_programs")),
                M("review", "项目通过专家评审与现场考察"),
            ],
            200 * WAN,
            source="昆人才〔2022〕2号",
            budget=20000 * WAN,
            tags=("双创人才",),
        ),
        item(
            "KS-RC-011",
            "头雁人才专项资助",
            "talent_office",
            "talent_top",
            "奖补",
            "talent",
            "application",
            [
                D("program", "入选头雁人才计划", has("toupyan", "talent_programs")),
                M("equivalent", "其他经认定相当于头雁人才层次"),
            ],
            500 * WAN,
            source="昆人才〔2023〕3号",
            budget=10000 * WAN,
            tags=("头雁人才",),
        ),
        item(
            "KS-RC-012",
            "卓越工程师奖励",
            "talent_office",
            "talent_top",
            "奖补",
            "talent",
            "application",
            [
                D("title", "具有高级工程师职称", {"in": ["高级工程师", var("title")]}),
                D("employer", "所在单位为高新技术企业", has("high_tech", "employer_qualifications")),
                M("contribution", "近三年主持重大技术攻关项目"),
            ],
            5 * WAN,
            source="昆人才〔2023〕3号",
            budget=500 * WAN,
            tags=("卓越工程师",),
        ),
        item(
            "KS-RC-013",
            "国家重大人才工程入选者配套资助",
            "talent_office",
            "talent_top",
            "奖补",
            "talent",
            "application",
            [D("program", "入选国家重大人才工程", has("national_major", "talent_programs"))],
            300 * WAN,
            source="昆人才〔2022〕2号",
            budget=6000 * WAN,
        ),
        item(
            "KS-JY-001",
            "高层次人才子女入学服务",
            "education",
            "services_school",
            "权益",
            "talent",
            "application",
            [
                D("class", "A–C类人才", {"in": [var("talent_class"), ["A", "B", "C"]]}),
                M("child", "子女符合入学年龄"),
            ],
            0,
            source="昆教〔2022〕11号",
            budget=1,
            tags=("子女入学",),
        ),
        item(
            "KS-WJ-001",
            "高层次人才医疗保健服务",
            "health",
            "services_health",
            "权益",
            "talent",
            "quick",
            [D("class", "A–C类人才", {"in": [var("talent_class"), ["A", "B", "C"]]})],
            0,
            source="昆卫健〔2022〕5号",
            budget=1,
            tags=("医疗保健",),
        ),
        item(
            "KS-GA-001",
            "人才落户快办",
            "talent_office",
            "services_settle",
            "权益",
            "talent",
            "quick",
            [D("degree", "本科及以上学历", {"in": [var("education"), ["bachelor", "master", "doctor"]]})],
            0,
            source="昆人才〔2022〕2号",
            budget=1,
            tags=("人才落户",),
        ),
        item(
            "KS-RS-011",
            "技能等级提升补贴",
            "hr_social",
            "skills_training",
            "奖补",
            "talent",
            "quick",
            [
                D(
                    "level",
                    "取得高级工及以上等级",
                    {"in": [var("skill_level"), ["高级工", "技师", "高级技师"]]},
                )
            ],
            3000 * 100,
            source="昆人社规〔2023〕1号",
            budget=800 * WAN,
            tags=("职业技能",),
        ),
        item(
            "KS-ZJ-003",
            "人才租赁住房配租",
            "housing",
            "living_rental",
            "权益",
            "talent",
            "application",
            [
                D("years", "在昆工作满1年", {">=": [var("years_in_kunshan"), 1]}),
                M("no_house", "本人及配偶在昆无自有住房"),
            ],
            0,
            source="昆住建〔2023〕6号",
            budget=1,
            tags=("人才公寓",),
        ),
    ]


def _tiers(
    number: int,
    stem: str,
    department: str,
    theme: str,
    policy_type: str,
    tiers: list[tuple[str, str, list[dict[str, Any]], Any, int | None]],
    *,
    source: str,
    mode: str = "application",
    group: str | None = None,
    kind: str | None = None,
    once: bool = False,
    tags: tuple[str, ...] = (),
    budget: int = 0,
    codes: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """One topic's items (``KS-SB-<topic><tier>`` unless ``codes`` name them); tiers of a topic share an exclusion
    group (就高不重复).

    Each tier: (title suffix, mode or "", criteria, amount, cap)."""
    out = []
    for j, (suffix, tier_mode, criteria, amount, cap) in enumerate(tiers, start=1):
        chosen = tier_mode or mode
        out.append(
            item(
                codes[j - 1] if codes else f"KS-SB-{number:02d}{j}",
                f"{stem}{suffix}",
                department,
                theme,
                policy_type,
                "enterprise",
                chosen,
                criteria,
                amount,
                cap=cap,
                source=source,
                budget=budget or (cap or 100 * WAN) * 20,
                days=30 if chosen == "application" else 10,
                kind=kind,
                exclusive=group if len(tiers) > 1 else None,
                once=once,
                tags=tags,
            )
        )
    return out


def _share(variable: str, rate: float) -> dict[str, Any]:
    return {"*": [var(variable), rate]}


def _enterprise_application() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    smart = var("smart_investment_fen")
    items += _tiers(
        1,
        "智能化改造和数字化转型项目补助",
        "industry_it",
        "industry_smart",
        "奖补",
        [
            (
                "（一档）",
                "quick",
                [D("invest", "智能化改造设备和软件投资不低于500万元", {">=": [smart, 500 * WAN]})],
                _share("smart_investment_fen", 0.08),
                200 * WAN,
            ),
            (
                "（二档）",
                "",
                [
                    D("invest", "智能化改造设备和软件投资不低于2000万元", {">=": [smart, 2000 * WAN]}),
                    M("workshop", "项目建成并认定为市级智能车间"),
                ],
                _share("smart_investment_fen", 0.1),
                500 * WAN,
            ),
            (
                "（三档）",
                "",
                [
                    D("invest", "智能化改造设备和软件投资不低于5000万元", {">=": [smart, 5000 * WAN]}),
                    D("scale", "规模以上工业企业", has("above_scale")),
                    M("factory", "认定为省级及以上智能工厂"),
                ],
                _share("smart_investment_fen", 0.12),
                1000 * WAN,
            ),
        ],
        source="昆工信〔2023〕21号",
        group="smart_upgrade",
        tags=("智改数转",),
        codes=("KS-SB-011", "KS-SB-013", "KS-SB-014"),
    )
    # KS-SB-012 (the code svc-disbursement's demo applications use): 工信局's R&D post-subsidy, by R&D spend
    items += _tiers(
        1,
        "工业企业研发投入后补助",
        "industry_it",
        "innovation_rd",
        "奖补",
        [
            (
                "",
                "",
                [
                    D("rd", "上年度研发费用不低于100万元", {">=": [var("rd_expense_fen"), 100 * WAN]}),
                    M("project", "研发项目经工信局立项并通过验收"),
                ],
                _share("rd_expense_fen", 0.25),
                100 * WAN,
            )
        ],
        source="昆工信〔2023〕21号",
        tags=("研发投入",),
        codes=("KS-SB-012",),
    )
    items += _tiers(
        2,
        "首台（套）重大装备奖励",
        "industry_it",
        "industry_first_set",
        "奖补",
        [
            (
                "（省级）",
                "",
                [
                    D("level", "装备认定为省级首台（套）", {"==": [var("first_set_level"), "provincial"]}),
                    D("sales", "首台（套）已实现销售", {">": [var("first_set_sales_fen"), 0]}),
                    M("contract", "提供销售合同与发票"),
                ],
                _share("first_set_sales_fen", 0.2),
                200 * WAN,
            ),
            (
                "（国家级）",
                "",
                [
                    D("level", "装备认定为国家级首台（套）", {"==": [var("first_set_level"), "national"]}),
                    D("sales", "首台（套）已实现销售", {">": [var("first_set_sales_fen"), 0]}),
                    M("contract", "提供销售合同与发票"),
                ],
                _share("first_set_sales_fen", 0.3),
                500 * WAN,
            ),
        ],
        source="昆工信〔2023〕21号",
        group="first_set",
        once=True,
        tags=("首台套",),
    )
    contract = var("tech_contract_fen")
    items += _tiers(
        3,
        "科技成果转化项目资助",
        "sci_tech",
        "innovation_transfer",
        "奖补",
        [
            (
                "（一档）",
                "quick",
                [D("contract", "上年度技术合同成交额不低于100万元", {">=": [contract, 100 * WAN]})],
                _share("tech_contract_fen", 0.05),
                50 * WAN,
            ),
            (
                "（二档）",
                "",
                [
                    D("contract", "上年度技术合同成交额不低于1000万元", {">=": [contract, 1000 * WAN]}),
                    M("project", "转化项目经科技局立项并通过验收"),
                ],
                _share("tech_contract_fen", 0.05),
                100 * WAN,
            ),
        ],
        source="昆科规〔2023〕4号",
        group="tech_transfer",
        tags=("成果转化",),
    )
    items += _tiers(
        4,
        "揭榜挂帅项目资助",
        "sci_tech",
        "innovation_rd",
        "奖补",
        [
            (
                "",
                "",
                [
                    D("rd", "研发费用占营业收入比例不低于3%", {">=": [var("rd_ratio"), 0.03]}),
                    M("award", "揭榜成功并与发榜方签订攻关合同"),
                ],
                {"min": [_share("rd_expense_fen", 0.3), 300 * WAN]},
                300 * WAN,
            )
        ],
        source="昆科规〔2025〕2号",
        tags=("揭榜挂帅",),
    )
    items += _tiers(
        5,
        "知识产权质押融资贴息",
        "market_regulation",
        "ip_use",
        "奖补",
        [
            (
                "",
                "quick",
                [
                    D(
                        "interest",
                        "上年度知识产权质押贷款已付利息",
                        {">": [var("ip_pledge_interest_fen"), 0]},
                    ),
                    # a loan a partner bank recorded is subsidised without an application (KS-JR-122): not twice,
                    # decided from the loan numbers (the period's loans no 贴息 entitlement covers yet)
                    D(
                        "not_auto_subsidised",
                        "本年度放款的知识产权质押贷款中有尚未享受贴息的（按贷款编号核对，同一笔贷款不重复享受）",
                        {">": [var("ip_pledge_interest_unsubsidised_fen"), 0]},
                    ),
                ],
                # never more than the interest of the loans not yet subsidised
                {
                    "*": [
                        {"min": [var("ip_pledge_interest_fen"), var("ip_pledge_interest_unsubsidised_fen")]},
                        0.5,
                    ]
                },
                50 * WAN,
            )
        ],
        source="昆市监规〔2023〕2号",
        tags=("知识产权", "贴息"),
    )
    interest = var("loan_interest_fen")
    items += _tiers(
        6,
        "科技贷款贴息",
        "financial_office",
        "finance_loan",
        "奖补",
        [
            (
                "（科技型中小企业）",
                "quick",
                [
                    D("tech_sme", "入库科技型中小企业", has("tech_sme")),
                    D("interest", "上年度科技贷款已付利息", {">": [interest, 0]}),
                ],
                _share("loan_interest_fen", 0.3),
                50 * WAN,
            ),
            (
                "（高新技术企业）",
                "quick",
                [
                    D("high_tech", "有效期内的高新技术企业", has("high_tech")),
                    D("interest", "上年度科技贷款已付利息", {">": [interest, 0]}),
                ],
                _share("loan_interest_fen", 0.5),
                100 * WAN,
            ),
        ],
        source="昆金发〔2022〕12号",
        group="tech_loan_interest",
        tags=("科技金融", "贴息"),
    )
    items += _tiers(
        7,
        "研发费用加计扣除",
        "tax",
        "finance_tax",
        "减免",
        [
            (
                "",
                "quick",
                [D("rd", "上年度发生研发费用", {">": [var("rd_expense_fen"), 0]})],
                # 按实际发生额100%在税前加计扣除：按25%税率估算少缴的企业所得税
                _share("rd_expense_fen", 0.25),
                None,
            )
        ],
        source="财政部 税务总局公告2023年第7号",
        kind="tax",
        tags=("税费减免", "研发费用"),
        budget=1,
    )
    items += _tiers(
        8,
        "外贸稳增长奖励",
        "commerce",
        "open_trade",
        "奖补",
        [
            (
                "",
                "quick",
                [
                    D("value", "上年度进出口额不低于1000万元", {">=": [var("export_value_fen"), 1000 * WAN]}),
                    D("growth", "上年度进出口额增长不低于10%", {">=": [var("export_growth"), 0.1]}),
                ],
                _share("export_value_fen", 0.002),
                100 * WAN,
            )
        ],
        source="昆商务〔2023〕9号",
        tags=("外贸",),
    )
    invest = var("fixed_investment_fen")
    items += _tiers(
        9,
        "重大招商项目落户奖励",
        "commerce",
        "open_investment",
        "奖补",
        [
            (
                f"（固定资产投资{threshold}亿元以上）",
                "",
                [
                    D(
                        "invest",
                        f"新落户项目固定资产投资不低于{threshold}亿元",
                        {">=": [invest, threshold * 100 * WAN]},
                    ),
                    M("agreement", "签订投资协议并按期开工"),
                ],
                award,
                award,
            )
            for threshold, award in ((1, 100 * WAN), (5, 500 * WAN), (10, 1000 * WAN))
        ],
        source="昆商务〔2023〕9号",
        group="major_investment",
        once=True,
        tags=("招商引资",),
    )
    items += _tiers(
        10,
        "产业链协同创新项目",
        "development_reform",
        "industry_chain",
        "奖补",
        [
            (
                "",
                "",
                [
                    D("chain", "属于重点产业链", {"!!": var("industry_chain")}),
                    D("rd", "上年度研发费用不低于200万元", {">=": [var("rd_expense_fen"), 200 * WAN]}),
                    M("consortium", "与链主企业组成创新联合体并通过项目评审"),
                ],
                100 * WAN,
                100 * WAN,
            )
        ],
        source="昆发改〔2023〕15号",
        tags=("产业链",),
    )
    items += _tiers(
        11,
        "质量品牌奖励",
        "market_regulation",
        "ladder_specialized",
        "资质",
        [
            (
                f"（{label}）",
                "",
                [
                    D("award", f"上年度获{label}", {"==": [var("quality_award"), level]}),
                    M("year", "获奖文件日期在上年度"),
                ],
                amount,
                amount,
            )
            for level, label, amount in (
                ("kunshan", "昆山市市长质量奖", 10 * WAN),
                ("suzhou", "苏州市市长质量奖", 20 * WAN),
                ("provincial", "江苏省质量奖", 50 * WAN),
                ("national", "中国质量奖", 100 * WAN),
            )
        ],
        source="昆市监规〔2023〕2号",
        group="quality_award",
        tags=("质量品牌",),
    )
    items += _tiers(
        12,
        "产业用地保障",
        "natural_resources",
        "industry_chain",
        "权益",
        [
            (
                "",
                "",
                [
                    D("invest", "项目固定资产投资不低于1亿元", {">=": [invest, 100 * WAN * 100]}),
                    D("chain", "属于重点产业链", {"!!": var("industry_chain")}),
                    M("land", "项目通过用地预审与亩均效益评估"),
                ],
                0,
                None,
            )
        ],
        source="昆自然资规〔2023〕3号",
        kind="land",
        tags=("产业用地",),
        budget=1,
    )
    items += _tiers(
        13,
        "博士后科研项目资助",
        "hr_social",
        "talent_postdoc",
        "奖补",
        [
            (
                "",
                "",
                [
                    D(
                        "station",
                        "设有博士后科研工作站或创新实践基地",
                        {
                            "or": [
                                has("postdoc_station", "platforms"),
                                has("postdoc_innovation_base", "platforms"),
                            ]
                        },
                    ),
                    D("postdocs", "在站博士后不少于1人", {">=": [var("postdocs"), 1]}),
                    M("project", "科研项目通过专家评审"),
                ],
                {"*": [var("postdocs"), 10 * WAN]},
                50 * WAN,
            )
        ],
        source="昆人社规〔2022〕6号",
        tags=("博士后",),
    )
    items += _tiers(
        14,
        "跨境电商发展奖励",
        "commerce",
        "open_trade",
        "奖补",
        [
            (
                "",
                "quick",
                [
                    D(
                        "sales",
                        "上年度跨境电商交易额不低于500万元",
                        {">=": [var("cross_border_sales_fen"), 500 * WAN]},
                    )
                ],
                _share("cross_border_sales_fen", 0.01),
                100 * WAN,
            )
        ],
        source="昆商务〔2023〕9号",
        tags=("跨境电商",),
    )
    items += _tiers(
        15,
        "科技孵化器绩效奖励",
        "innovation_center",
        "innovation_platform",
        "奖补",
        [
            (
                f"（在孵企业{firms}家以上）",
                "",
                [
                    D("firms", f"在孵科技企业不少于{firms}家", {">=": [var("incubated_firms"), firms]}),
                    M("rating", "年度绩效评价良好及以上"),
                ],
                amount,
                amount,
            )
            for firms, amount in ((20, 30 * WAN), (50, 80 * WAN))
        ],
        source="昆科规〔2023〕4号",
        group="incubator",
        tags=("孵化器",),
    )
    items += _tiers(
        16,
        "企业股改挂牌奖励",
        "financial_office",
        "finance_listing",
        "奖补",
        [
            (
                f"（{label}）",
                "quick",
                [D("stage", f"本年度完成{label}", {"==": [var("listing_stage"), stage]})],
                amount,
                amount,
            )
            for stage, label, amount in (
                ("shareholding", "股份制改造", 30 * WAN),
                ("neeq", "新三板挂牌", 50 * WAN),
                ("filed", "上市辅导备案", 100 * WAN),
            )
        ],
        source="昆金发〔2022〕12号",
        once=True,
        tags=("上市挂牌",),
    )
    items += _tiers(
        17,
        "绿色低碳改造补助",
        "development_reform",
        "industry_smart",
        "奖补",
        [
            (
                "",
                "",
                [
                    D(
                        "invest",
                        "节能降碳改造投资不低于300万元",
                        {">=": [var("green_investment_fen"), 300 * WAN]},
                    ),
                    M("audit", "节能量经第三方审核"),
                ],
                _share("green_investment_fen", 0.1),
                300 * WAN,
            )
        ],
        source="昆发改〔2023〕15号",
        tags=("绿色低碳",),
    )
    items += _tiers(
        18,
        "高价值专利培育项目",
        "market_regulation",
        "ip_patent",
        "奖补",
        [
            (
                "",
                "",
                [
                    D("patents", "有效发明专利不少于10件", {">=": [var("invention_patents"), 10]}),
                    D("rd", "研发费用占营业收入比例不低于3%", {">=": [var("rd_ratio"), 0.03]}),
                    M("plan", "专利培育方案通过评审"),
                ],
                50 * WAN,
                50 * WAN,
            )
        ],
        source="昆市监规〔2023〕2号",
        tags=("发明专利",),
    )
    items += _tiers(
        19,
        "企业职工技能培训补贴",
        "hr_social",
        "skills_training",
        "奖补",
        [
            (
                "",
                "quick",
                [D("trainees", "上年度组织职工参加职业技能培训并取证", {">=": [var("trainees"), 1]})],
                {"*": [var("trainees"), 800 * 100]},
                50 * WAN,
            )
        ],
        source="昆人社规〔2023〕1号",
        tags=("职业技能",),
    )
    items += _tiers(
        20,
        "人才公寓建设用地保障",
        "natural_resources",
        "living_purchase",
        "权益",
        [
            (
                "",
                "",
                [
                    D("employees", "职工人数不少于500人", {">=": [var("employees"), 500]}),
                    M("plan", "配建人才公寓方案经住建、资规部门审核"),
                ],
                0,
                None,
            )
        ],
        source="昆自然资规〔2023〕3号",
        kind="land",
        tags=("人才公寓",),
        budget=1,
    )
    items += _tiers(
        21,
        "技术合同登记奖励",
        "innovation_center",
        "innovation_transfer",
        "奖补",
        [
            (
                "",
                "quick",
                [D("contract", "上年度登记技术合同成交额不低于50万元", {">=": [contract, 50 * WAN]})],
                _share("tech_contract_fen", 0.02),
                50 * WAN,
            )
        ],
        source="昆科规〔2023〕4号",
        tags=("技术合同",),
    )
    items.append(
        item(
            "KS-SW-001",
            "小型微利企业所得税减免",
            "tax",
            "finance_tax",
            "减免",
            "enterprise",
            "quick",
            [
                D("size", "从业人数不超过300人", {"<=": [var("employees"), 300]}),
                D("assets", "资产总额不超过5000万元", {"<=": [var("total_assets_fen"), 5000 * WAN]}),
                D(
                    "income",
                    "年度应纳税所得额不超过300万元",
                    {"<=": [var("taxable_income_fen"), 300 * WAN]},
                ),
            ],
            # 减按25%计入应纳税所得额、按20%税率缴纳（实际税负5%），较法定25%税率少缴应纳税所得额的20%
            {"*": [var("taxable_income_fen"), 0.2]},
            source="财政部 税务总局公告2023年第12号",
            budget=50000 * WAN,
            tags=("税费减免",),
            kind="tax",
            conditions="从业人数不超过300人、资产总额不超过5000万元、年度应纳税所得额不超过300万元（三项同时满足）",
        )
    )
    items.append(
        item(
            "KS-RS-020",
            "企业新型学徒制培训补贴",
            "hr_social",
            "skills_training",
            "奖补",
            "team",
            "application",
            [M("apprentices", "与院校合作开展新型学徒制培训")],
            4000 * 100,
            source="昆人社规〔2023〕1号",
        )
    )
    items.append(
        item(
            "KS-RC-020",
            "双创团队项目资助",
            "talent_office",
            "talent_innovation",
            "奖补",
            "team",
            "application",
            [
                D("core", "团队核心成员（含带头人）不少于3人", {">=": [var("core_member_count"), 3]}),
                M("review", "团队项目通过评审"),
            ],
            500 * WAN,
            source="昆人才〔2022〕2号",
        )
    )
    return items


# Stacking groups: a cap per entity per year across the items in the group (同一事项不重复享受).
DEMO_GROUPS: tuple[tuple[str, str, int | None], ...] = (
    ("rd_support", "研发投入类奖补（同一笔研发投入各项合计封顶）", 200 * WAN),
    ("interest_support", "贷款贴息类（同一笔贷款利息各项贴息合计封顶）", 200 * WAN),
    ("exhibition", "展会补贴（境内外展会展位费补贴年度合计封顶）", 30 * WAN),
)


def demo_catalog() -> list[dict[str, Any]]:
    return _enterprise_automatic() + _talent() + _enterprise_application() + more_items()

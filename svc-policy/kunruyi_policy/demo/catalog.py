"""The demo catalog (演示数据): items modelled on the seed texts and on public 免申即享 practice.

Thresholds and amounts are plausible, not official; every item is marked ``is_demo`` and tagged 演示数据.
"""

from __future__ import annotations

from typing import Any

from kunruyi_policy.catalog.taxonomy import CATEGORIES, DISTRICTS_FOR_DEMO, INDUSTRY_CHAINS_FOR_DEMO

WAN = 1_000_000  # 1 万元 in fen
THEME_CATEGORY = {theme: category for category, _, themes in CATEGORIES for theme, _ in themes}


def D(cid: str, label: str, rule: Any) -> dict[str, Any]:
    return {"id": cid, "label": label, "kind": "data", "rule": rule}


def M(cid: str, label: str) -> dict[str, Any]:
    return {"id": cid, "label": label, "kind": "manual"}


def var(name: str) -> dict[str, Any]:
    return {"var": name}


def has(qualification: str, variable: str = "qualifications") -> dict[str, Any]:
    return {"in": [qualification, var(variable)]}


def param(name: str, label: str, unit: str, *values: tuple[str, Any, str]) -> dict[str, Any]:
    return {
        name: {
            "label": label,
            "unit": unit,
            "values": [{"effective_from": d, "value": v, "reference": r} for d, v, r in values],
        }
    }


def item(
    code: str,
    title: str,
    department: str,
    theme: str,
    policy_type: str,
    beneficiary: str,
    mode: str,
    criteria: list[dict[str, Any]],
    amount: Any,
    *,
    cap: int | None = None,
    parameters: dict[str, Any] | None = None,
    source: str = "昆办发〔2022〕67号",
    target: str = "",
    conditions: str = "",
    days: int = 20,
    budget: int = 0,
    tags: tuple[str, ...] = (),
    kind: str = "cash",
    exclusive: str | None = None,
    stacking: str | None = None,
    once: bool = False,
) -> dict[str, Any]:
    return {
        "benefit_kind": kind,
        "exclusion_group": exclusive,
        "stacking_group": stacking,
        "once_per_entity": once,
        "code": code,
        "title": title,
        "legal_source": source,
        "department_code": department,
        "category_code": THEME_CATEGORY[theme],
        "theme_code": theme,
        "policy_type": policy_type,
        "beneficiary": beneficiary,
        "mode": mode,
        "target_description": target
        or ("在昆注册的企业" if beneficiary == "enterprise" else "在昆工作的人才"),
        "conditions_text": conditions or "；".join(c["label"] for c in criteria),
        "payout_days": days,
        "annual_budget_fen": budget or 500 * WAN,
        "tags": ["演示数据", *tags],
        "criteria": criteria,
        "amount": amount,
        "amount_cap_fen": cap,
        "parameters": parameters or {},
    }


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
                D("years", "在昆工作", {">=": [var("years_in_kunshan"), 0]}),
                M("no_house", "本人及配偶在昆无自有住房"),
            ],
            0,
            source="昆住建〔2023〕6号",
            budget=1,
            tags=("人才公寓",),
        ),
    ]


_APPLICATION_THEMES: tuple[tuple[str, str, str, str], ...] = (
    # (theme, department, title stem, policy type)
    ("industry_smart", "industry_it", "智能化改造和数字化转型项目补助", "奖补"),
    ("industry_first_set", "industry_it", "首台（套）重大装备奖励", "奖补"),
    ("innovation_transfer", "sci_tech", "科技成果转化项目资助", "奖补"),
    ("innovation_rd", "sci_tech", "揭榜挂帅项目资助", "奖补"),
    ("ip_use", "market_regulation", "知识产权质押融资贴息", "奖补"),
    ("finance_loan", "financial_office", "科技贷款贴息", "奖补"),
    ("finance_tax", "tax", "研发费用加计扣除", "减免"),
    ("open_trade", "commerce", "外贸稳增长奖励", "奖补"),
    ("open_investment", "commerce", "重大招商项目落户奖励", "奖补"),
    ("industry_chain", "development_reform", "产业链协同创新项目", "奖补"),
    ("ladder_specialized", "market_regulation", "质量品牌奖励", "资质"),
    ("industry_chain", "natural_resources", "产业用地保障", "权益"),
    ("talent_postdoc", "hr_social", "博士后科研项目资助", "奖补"),
    ("open_trade", "commerce", "跨境电商发展奖励", "奖补"),
    ("innovation_platform", "innovation_center", "科技孵化器绩效奖励", "奖补"),
    ("finance_listing", "financial_office", "企业股改挂牌奖励", "奖补"),
    ("industry_smart", "development_reform", "绿色低碳改造补助", "奖补"),
    ("ip_patent", "market_regulation", "高价值专利培育项目", "奖补"),
    ("skills_training", "hr_social", "企业职工技能培训补贴", "奖补"),
    ("living_purchase", "natural_resources", "人才公寓建设用地保障", "权益"),
    ("innovation_transfer", "innovation_center", "技术合同登记奖励", "奖补"),
)


def _enterprise_application() -> list[dict[str, Any]]:
    items = []
    tiers = (("一档", 5 * WAN, 50 * WAN), ("二档", 20 * WAN, 100 * WAN), ("三档", 100 * WAN, 300 * WAN))
    for i, (theme, department, stem, policy_type) in enumerate(_APPLICATION_THEMES, start=1):
        for j, (tier, threshold, cap) in enumerate(tiers, start=1):
            mode = "quick" if j == 1 else "application"
            items.append(
                item(
                    f"KS-SB-{i:02d}{j}",
                    f"{stem}（{tier}）",
                    department,
                    theme,
                    policy_type,
                    "enterprise",
                    mode,
                    [
                        D(
                            "revenue",
                            f"上年度营业收入不低于{threshold * 10 // WAN}万元",
                            {">=": [var("revenue_fen"), threshold * 10]},
                        ),
                        D("tax", "上年度依法纳税", {">": [var("tax_paid_fen"), 0]}),
                        M("project", "项目经主管部门立项并通过验收"),
                    ],
                    {"min": [{"*": [var("revenue_fen"), 0.01]}, cap]},
                    cap=cap,
                    source=f"昆政规〔2023〕{10 + i}号",
                    budget=cap * 20,
                    days=30 if mode == "application" else 10,
                )
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
            [M("team", "团队核心成员不少于3人且通过评审")],
            500 * WAN,
            source="昆人才〔2022〕2号",
        )
    )
    return items


# Stacking groups: a cap per entity per year across the items in the group (同一事项不重复享受).
DEMO_GROUPS: tuple[tuple[str, str, int | None], ...] = (
    ("rd_support", "研发投入类奖补（同一笔研发投入各项合计封顶）", 200 * WAN),
)


def demo_catalog() -> list[dict[str, Any]]:
    return _enterprise_automatic() + _talent() + _enterprise_application()

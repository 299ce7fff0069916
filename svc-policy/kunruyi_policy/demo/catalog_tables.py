"""The rest of the demo catalog, written down per department (演示数据): each department's topics as a table.

A topic is one measure of one document with its tiers (档次); the tiers of a topic are an exclusion group
(就高不重复) when ``group`` is given. Every tier states its own conditions and the figure its amount is computed
from (a share of the relevant expense with a cap, a fixed award per level, a standard per head or per month).
Thresholds and amounts are plausible, not official. Services (入学、医疗、配租), land and tax measures are not
cash: they carry ``kind`` and an amount of 0, or, for tax, the estimated tax saved.
"""

from __future__ import annotations

from typing import Any

from kunruyi_policy.catalog.taxonomy import DISTRICTS_FOR_DEMO
from kunruyi_policy.demo.catalog_builders import WAN, D, M, has, item, var

YUAN = 100  # 1 元 in fen
Tier = tuple[str, list[dict[str, Any]], Any, int | None]

PREFIX = {
    "talent_office": "RC",
    "sci_tech": "KJ",
    "industry_it": "GX",
    "hr_social": "RS",
    "finance": "CZ",
    "commerce": "SH",
    "development_reform": "FG",
    "education": "JY",
    "housing": "ZJ",
    "health": "WJ",
    "financial_office": "JR",
    "market_regulation": "SJ",
    "natural_resources": "ZY",
    "innovation_center": "KC",
    "tax": "SW",
}


class Catalog:
    """Collects topics and numbers their items per department from 101 (the hand-written items use 001–099)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.numbers: dict[str, int] = {}

    def topic(
        self,
        department: str,
        theme: str,
        title: str,
        source: str,
        tiers: list[Tier],
        *,
        policy_type: str = "奖补",
        beneficiary: str = "enterprise",
        mode: str = "application",
        kind: str | None = None,
        group: str | None = None,
        once: bool = False,
        stacking: str | None = None,
        tags: tuple[str, ...] = (),
        budget: int = 0,
    ) -> None:
        for suffix, criteria, amount, cap in tiers:
            n = self.numbers.get(department, 100) + 1
            self.numbers[department] = n
            not_cash = kind in ("service", "land", "qualification")
            self.items.append(
                item(
                    f"KS-{PREFIX[department]}-{n:03d}",
                    f"{title}{suffix}",
                    department,
                    theme,
                    policy_type,
                    beneficiary,
                    mode,
                    criteria,
                    amount,
                    cap=cap,
                    source=source,
                    days={"automatic": 15, "quick": 10}.get(mode, 30),
                    budget=1 if not_cash else budget or max(cap or amount_hint(amount), 10 * WAN) * 30,
                    kind=kind,
                    exclusive=group if group and len(tiers) > 1 else None,
                    stacking=stacking,
                    once=once,
                    tags=tags,
                )
            )


def amount_hint(amount: Any) -> int:
    return amount if isinstance(amount, int) else 50 * WAN


def share(variable: str, rate: float) -> dict[str, Any]:
    return {"*": [var(variable), rate]}


def at_least(variable: str, value: Any) -> dict[str, Any]:
    return {">=": [var(variable), value]}


def equals(variable: str, value: Any) -> dict[str, Any]:
    return {"==": [var(variable), value]}


def one_of(variable: str, values: list[str]) -> dict[str, Any]:
    return {"in": [var(variable), values]}


def wan(n: float) -> int:
    return int(n * WAN)


# ---------------------------------------------------------------------------------------------- 市委人才办
# 人才分类 A–E: 安家补贴 (once, the year of arrival), 生活补贴 (monthly for the first three years), 薪酬补贴
# (a share of the salary above a floor); 引才奖励 to the employer per talent recruited, by class.
TALENT_CLASSES = (
    # class, 安家补贴, 生活补贴 per month, salary floor, salary share, salary-subsidy cap, 引才奖励
    ("A", wan(300), 10000 * YUAN, wan(100), 0.2, wan(100), wan(50)),
    ("B", wan(150), 6000 * YUAN, wan(60), 0.15, wan(50), wan(20)),
    ("C", wan(80), 4000 * YUAN, wan(40), 0.12, wan(30), wan(10)),
    ("D", wan(40), 2500 * YUAN, wan(30), 0.1, wan(15), wan(5)),
    ("E", wan(20), 1500 * YUAN, wan(20), 0.08, wan(8), wan(2)),
)
# 重点产业链紧缺人才薪酬补贴: each chain's own salary floor and rate (the chain's 人才白皮书)
CHAIN_SALARY = {
    "电子信息": (wan(30), 0.06, wan(8)),
    "装备制造": (wan(25), 0.06, wan(6)),
    "集成电路": (wan(40), 0.1, wan(15)),
    "新型显示": (wan(35), 0.08, wan(10)),
    "新能源汽车": (wan(30), 0.08, wan(10)),
    "智能制造": (wan(25), 0.07, wan(6)),
    "生物医药": (wan(35), 0.1, wan(12)),
    "新能源新材料": (wan(28), 0.07, wan(8)),
    "元宇宙": (wan(30), 0.05, wan(5)),
    "人工智能": (wan(45), 0.1, wan(20)),
    "商业航天": (wan(40), 0.08, wan(12)),
    "低空经济": (wan(32), 0.06, wan(8)),
    "量子科技": (wan(50), 0.12, wan(20)),
    "人形机器人": (wan(38), 0.09, wan(12)),
}
# 昆山双创人才 / 姑苏领军 / 头雁 by grade: (grade, label, project funding)
PROGRAM_GRADES = (
    ("shuangchuang", "昆山双创人才", "昆人才〔2022〕2号", (("（领军类）", wan(300)), ("（重点类）", wan(150)), ("（青年类）", wan(60)))),
    ("gusu_leading", "姑苏领军人才", "昆人才〔2023〕3号", (("（重大创新团队）", wan(1000)), ("（创新领军）", wan(250)), ("（青年领军）", wan(100)))),
    ("toupyan", "头雁人才", "昆人才〔2023〕3号", (("（顶尖人才）", wan(2000)), ("（领军人才）", wan(800)))),
)  # fmt: skip


def _talent_office(c: Catalog) -> None:
    src = "昆人才〔2024〕1号"
    c.topic(
        "talent_office",
        "living_purchase",
        "人才安家补贴",
        src,
        [
            (
                f"（{cls}类人才）",
                [
                    D("class", f"经认定的{cls}类人才", equals("talent_class", cls)),
                    D("arrived", "本年度全职来昆工作（来昆日期在本年度）", {"!!": var("arrived_in_period")}),
                ],
                settle,
                None,
            )
            for cls, settle, *_ in TALENT_CLASSES
        ],
        beneficiary="talent",
        mode="automatic",
        group="talent_settle",
        once=True,
        tags=("人才分类", "安家补贴", "免申即享"),
    )
    c.topic(
        "talent_office",
        "talent_youth",
        "人才生活补贴",
        src,
        [
            (
                f"（{cls}类人才）",
                [
                    D("class", f"经认定的{cls}类人才", equals("talent_class", cls)),
                    D("years", "来昆工作未满3年（前三年按月发放）", {"<": [var("years_in_kunshan"), 3]}),
                ],
                {"*": [monthly, 12]},
                None,
            )
            for cls, _, monthly, *_ in TALENT_CLASSES
        ],
        beneficiary="talent",
        mode="automatic",
        group="talent_living",
        tags=("人才分类", "生活补贴", "免申即享"),
    )
    c.topic(
        "talent_office",
        "talent_top",
        "高层次人才薪酬补贴",
        src,
        [
            (
                f"（{cls}类人才）",
                [
                    D("class", f"经认定的{cls}类人才", equals("talent_class", cls)),
                    D("salary", f"年薪不低于{floor // WAN}万元", at_least("annual_salary_fen", floor)),
                    M("tax", "提供上年度个人所得税完税证明"),
                ],
                share("annual_salary_fen", rate),
                cap,
            )
            for cls, _, _, floor, rate, cap, _ in TALENT_CLASSES
        ],
        beneficiary="talent",
        mode="quick",
        group="talent_salary",
        tags=("人才分类", "薪酬补贴"),
    )
    c.topic(
        "talent_office",
        "talent_top",
        "用人单位引才奖励",
        src,
        [
            (
                f"（引进{cls}类人才）",
                [
                    D("employees", "在昆参保职工不少于10人", at_least("employees", 10 + i)),
                    M("hired", f"上年度全职引进经认定的{cls}类人才并签订3年以上劳动合同"),
                ],
                award,
                award,
            )
            for i, (cls, *_, award) in enumerate(TALENT_CLASSES)
        ],
        group="recruit_award",
        tags=("引才奖励",),
    )
    for chain, (floor, rate, cap) in CHAIN_SALARY.items():
        c.topic(
            "talent_office",
            "talent_youth",
            f"{chain}产业紧缺人才薪酬补贴",
            "昆人才〔2022〕2号",
            [
                (
                    "",
                    [
                        D("chain", f"从事{chain}产业链工作", equals("industry_chain", chain)),
                        D("salary", f"年薪不低于{floor // WAN}万元", at_least("annual_salary_fen", floor)),
                        D("degree", "本科及以上学历", one_of("education", ["bachelor", "master", "doctor"])),
                    ],
                    share("annual_salary_fen", rate),
                    cap,
                )
            ],
            beneficiary="talent",
            mode="automatic",
            tags=("产业紧缺人才", chain, "免申即享"),
        )
    for program, label, source, grades in PROGRAM_GRADES:
        c.topic(
            "talent_office",
            "talent_innovation" if program == "shuangchuang" else "talent_top",
            f"{label}项目资助",
            source,
            [
                (
                    suffix,
                    [
                        D("program", f"入选{label}计划", has(program, "talent_programs")),
                        M("grade", f"入选类别为{suffix.strip('（）')}"),
                        M("contract", "与用人单位签订项目合同并全职在昆"),
                    ],
                    amount,
                    amount,
                )
                for suffix, amount in grades
            ],
            beneficiary="talent",
            group=f"{program}_grade",
            once=True,
            tags=(label,),
        )
    c.topic(
        "talent_office",
        "talent_top",
        "姑苏领军人才配套资助",
        "昆人才〔2023〕3号",
        [
            (
                "",
                [
                    D("program", "入选姑苏领军人才计划", has("gusu_leading", "talent_programs")),
                    D("arrived", "本年度入选后全职来昆", {"!!": var("arrived_in_period")}),
                ],
                wan(50),
                None,
            )
        ],
        beneficiary="talent",
        mode="automatic",
        once=True,
        tags=("姑苏领军", "免申即享"),
    )
    c.topic(
        "talent_office",
        "talent_innovation",
        "双创团队项目资助",
        "昆人才〔2022〕2号",
        [
            (
                f"（{label}）",
                [
                    D(
                        "core",
                        f"团队核心成员（含带头人）不少于{members}人",
                        {">=": [var("core_member_count"), members]},
                    ),
                    M("program", f"入选{label}"),
                ],
                amount,
                amount,
            )
            for label, members, amount in (
                ("国家级创新创业团队", 5, wan(2000)),
                ("省双创团队", 4, wan(800)),
                ("昆山双创团队", 3, wan(300)),
            )
        ],
        beneficiary="team",
        group="team_grade",
        tags=("双创团队",),
    )
    c.topic(
        "talent_office",
        "services_settle",
        "高层次人才一站式服务专员",
        src,
        [
            (
                "",
                [D("class", "A–D类人才", one_of("talent_class", ["A", "B", "C", "D"]))],
                0,
                None,
            )
        ],
        policy_type="权益",
        beneficiary="talent",
        mode="quick",
        kind="service",
        tags=("一站式服务",),
    )
    c.topic(
        "talent_office",
        "services_settle",
        "外籍高层次人才工作许可与居留便利",
        "昆人才〔2023〕3号",
        [
            (
                "",
                [
                    D("overseas", "具有海外学习或工作经历", {"!!": var("overseas")}),
                    D("class", "A–C类人才", one_of("talent_class", ["A", "B", "C"])),
                    M("foreign", "持外国护照"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        beneficiary="talent",
        kind="service",
        tags=("外籍人才",),
    )


# ---------------------------------------------------------------------------------------------- 人社局
# 职业技能等级证书补贴 by level (取证当年按证书发放，就高不重复)
SKILL_CERTIFICATES = (("初级工", 800), ("中级工", 1200), ("高级工", 2000), ("技师", 3000), ("高级技师", 4000))
# 就业补贴 by kind: (title, target, conditions, standard per person in 元)
EMPLOYMENT_SUBSIDIES = (
    ("吸纳高校毕业生一次性就业补贴", "招用毕业年度或离校2年内未就业高校毕业生并缴纳社保满6个月", 1500),
    ("吸纳就业困难人员社保补贴", "招用就业困难人员并按时足额缴纳社会保险费", 6000),
    ("吸纳脱贫人口就业补贴", "招用脱贫人口并签订1年以上劳动合同", 2000),
    ("招用退役军人就业补贴", "招用自主就业退役士兵并签订1年以上劳动合同", 3000),
    ("招用残疾人岗位补贴", "招用残疾人并按时缴纳社会保险费", 4000),
    ("企业吸纳登记失业半年以上人员补贴", "招用登记失业半年以上人员并缴纳社保满6个月", 1000),
)
# 技能竞赛获奖奖励: level → (一等奖/金牌, 二等奖/银牌, 三等奖/铜牌) in 元
COMPETITIONS = (
    ("世界技能大赛", (50 * WAN, 30 * WAN, 20 * WAN)),
    ("全国职业技能大赛", (20 * WAN, 10 * WAN, 5 * WAN)),
    ("江苏省职业技能大赛", (5 * WAN, 3 * WAN, 2 * WAN)),
)
# 技能大师工作室 by level
MASTER_STUDIOS = (("国家级", wan(50)), ("省级", wan(20)), ("苏州市级", wan(10)), ("昆山市级", wan(5)))


def _hr_social(c: Catalog) -> None:
    src = "昆人社规〔2024〕2号"
    c.topic(
        "hr_social",
        "skills_training",
        "职业技能等级证书补贴",
        src,
        [
            (
                f"（{level}）",
                [D("level", f"本年度取得{level}职业技能等级证书", equals("skill_level", level))],
                amount * YUAN,
                None,
            )
            for level, amount in SKILL_CERTIFICATES
        ],
        beneficiary="talent",
        mode="automatic",
        group="skill_certificate",
        once=True,
        tags=("技能提升补贴", "免申即享"),
    )
    for i, (title, conditions, standard) in enumerate(EMPLOYMENT_SUBSIDIES):
        c.topic(
            "hr_social",
            "skills_training",
            f"{title}（按人计发）",
            src,
            [
                (
                    "",
                    [
                        D("employees", "在昆依法参保的用人单位", at_least("employees", 1)),
                        M("hired", conditions),
                    ],
                    standard * YUAN,
                    None,
                )
            ],
            mode="quick" if i % 2 == 0 else "application",
            tags=("就业补贴",),
        )
    c.topic(
        "hr_social",
        "skills_training",
        "高校毕业生就业见习补贴",
        src,
        [
            (
                "（见习生活补贴，每人每月）",
                [M("base", "经认定的就业见习基地"), M("trainee", "见习期3–12个月并签订见习协议")],
                2000 * YUAN,
                None,
            ),
            (
                "（见习期满留用奖励，每人）",
                [M("base", "经认定的就业见习基地"), M("kept", "见习期满留用并签订1年以上劳动合同")],
                3000 * YUAN,
                None,
            ),
        ],
        tags=("见习补贴",),
    )
    c.topic(
        "hr_social",
        "skills_training",
        "企业稳岗返还（大中型企业）",
        "昆人社规〔2023〕1号",
        [
            (
                "",
                [D("size", "职工人数超过100人", {">": [var("employees"), 100]})],
                {"*": [var("employees"), 300 * YUAN]},
                wan(50),
            )
        ],
        mode="automatic",
        tags=("稳岗", "免申即享"),
    )
    c.topic(
        "hr_social",
        "skills_training",
        "企业职工培训补贴",
        src,
        [
            (
                f"（年培训{low}人以上）",
                [D("trainees", f"上年度组织职工培训取证不少于{low}人", at_least("trainees", low))],
                {"*": [var("trainees"), per * YUAN]},
                cap,
            )
            for low, per, cap in ((50, 600, wan(10)), (200, 700, wan(30)), (500, 900, wan(80)))
        ],
        mode="automatic",
        group="staff_training",
        tags=("职业技能", "免申即享"),
    )
    c.topic(
        "hr_social",
        "skills_allowance",
        "职业技能竞赛获奖奖励",
        src,
        [
            (
                f"（{contest}{place}）",
                [M("award", f"代表昆山获{contest}{place}")]
                + (
                    [D("level", "取得技师及以上等级", one_of("skill_level", ["技师", "高级技师"]))]
                    if j == 0
                    else []
                ),
                amount,
                None,
            )
            for contest, amounts in COMPETITIONS
            for j, (place, amount) in enumerate(zip(("一等奖", "二等奖", "三等奖"), amounts, strict=True))
        ],
        beneficiary="talent",
        group="skill_contest",
        once=True,
        tags=("技能竞赛",),
    )
    c.topic(
        "hr_social",
        "skills_allowance",
        "技能大师工作室建设资助",
        src,
        [
            (
                f"（{level}）",
                [
                    D("trainees", "上年度带徒培训不少于10人", at_least("trainees", 10)),
                    M("level", f"新认定为{level}技能大师工作室"),
                ],
                amount,
                amount,
            )
            for level, amount in MASTER_STUDIOS
        ],
        group="master_studio",
        once=True,
        tags=("技能大师工作室",),
    )
    c.topic(
        "hr_social",
        "skills_allowance",
        "首席技师年度津贴",
        "昆人社规〔2022〕4号",
        [
            (
                "",
                [
                    D("level", "高级技师", equals("skill_level", "高级技师")),
                    D("years", "在昆工作满5年", at_least("years_in_kunshan", 5)),
                    M("chief", "经评选为昆山市首席技师"),
                ],
                wan(3),
                None,
            )
        ],
        beneficiary="talent",
        tags=("高技能人才",),
    )
    c.topic(
        "hr_social",
        "talent_postdoc",
        "博士后进站生活补贴",
        "昆人社规〔2022〕6号",
        [
            (
                "",
                [
                    D("doctor", "博士研究生学历", equals("education", "doctor")),
                    D("age", "年龄不超过40周岁", {"<=": [var("age"), 40]}),
                    M("station", "本年度进入在昆博士后工作站或创新实践基地"),
                ],
                {"*": [5000 * YUAN, 24]},
                None,
            )
        ],
        beneficiary="talent",
        mode="quick",
        once=True,
        tags=("博士后",),
    )
    c.topic(
        "hr_social",
        "talent_postdoc",
        "博士后出站留昆奖励",
        "昆人社规〔2022〕6号",
        [
            (
                "",
                [
                    D("doctor", "博士研究生学历", equals("education", "doctor")),
                    D("arrived", "本年度出站后在昆就业", {"!!": var("arrived_in_period")}),
                    M("contract", "与在昆单位签订3年以上劳动合同"),
                ],
                wan(20),
                None,
            )
        ],
        beneficiary="talent",
        once=True,
        tags=("博士后",),
    )
    c.topic(
        "hr_social",
        "skills_training",
        "一次性创业补贴",
        src,
        [
            (
                "",
                [
                    D("age", "年龄不超过45周岁", {"<=": [var("age"), 45]}),
                    M("business", "首次创办小微企业且正常经营满1年"),
                ],
                wan(1.2),
                None,
            )
        ],
        beneficiary="talent",
        once=True,
        tags=("创业补贴",),
    )
    c.topic(
        "hr_social",
        "skills_training",
        "企业新型学徒制培训补贴（按人计发）",
        src,
        [
            (
                f"（{level}）",
                [M("apprentice", f"学徒培训期满取得{level}证书")],
                amount * YUAN,
                None,
            )
            for level, amount in (("中级工", 5000), ("高级工", 6000), ("技师", 8000))
        ],
        group="new_apprentice",
        tags=("新型学徒制",),
    )
    c.topic(
        "hr_social",
        "skills_training",
        "和谐劳动关系企业奖励",
        src,
        [
            (
                f"（{level}）",
                [
                    D("employees", f"职工人数不少于{staff}人", at_least("employees", staff)),
                    M("level", f"本年度新获评{level}和谐劳动关系企业"),
                ],
                amount,
                amount,
            )
            for level, staff, amount in (("省级", 300, wan(10)), ("苏州市级", 200, wan(5)))
        ],
        group="harmony",
        once=True,
        tags=("劳动关系",),
    )


# ---------------------------------------------------------------------------------------------- 科技局
# 研发机构 by level: platform kind, label, amounts per level (国家级, 省级, 苏州市级)
RD_PLATFORMS = (
    ("engineering_center", "工程技术研究中心", (wan(300), wan(50), wan(20))),
    ("key_lab", "重点实验室", (wan(500), wan(100), wan(30))),
    ("new_rd_institution", "新型研发机构", (wan(1000), wan(300), wan(100))),
)
SCIENCE_AWARDS = (
    ("国家科学技术奖一等奖", wan(300)),
    ("国家科学技术奖二等奖", wan(150)),
    ("江苏省科学技术奖一等奖", wan(50)),
    ("江苏省科学技术奖二等奖", wan(30)),
    ("江苏省科学技术奖三等奖", wan(15)),
)
INCUBATORS = (
    (
        "incubator_tech",
        "科技企业孵化器",
        (("国家级", 50, wan(100)), ("省级", 30, wan(50)), ("苏州市级", 15, wan(20))),
    ),
    ("maker_space", "众创空间", (("国家级", 30, wan(30)), ("省级", 20, wan(15)))),
)
RD_INCREMENT = ((wan(500), 0.04, wan(50)), (wan(2000), 0.05, wan(150)), (wan(10000), 0.06, wan(300)))


def _sci_tech(c: Catalog) -> None:
    src = "昆科规〔2024〕3号"
    for kind, label, amounts in RD_PLATFORMS:
        c.topic(
            "sci_tech",
            "innovation_platform",
            f"{label}建设奖励",
            src,
            [
                (
                    f"（{level}）",
                    [
                        D("new", f"本年度新认定{label}", has(kind, "new_platforms")),
                        *(
                            [D("rd", "上年度研发费用不低于1000万元", at_least("rd_expense_fen", wan(1000)))]
                            if j == 0
                            else []
                        ),
                        M("level", f"认定级别为{level}"),
                    ],
                    amount,
                    amount,
                )
                for j, (level, amount) in enumerate(zip(("国家级", "省级", "苏州市级"), amounts, strict=True))
            ],
            group=f"{kind}_level",
            once=True,
            tags=("研发机构", label),
        )
    c.topic(
        "sci_tech",
        "innovation_transfer",
        "科学技术奖获奖奖励",
        src,
        [
            (f"（{award}）", [M("award", f"作为第一完成单位获{award}")], amount, amount)
            for award, amount in SCIENCE_AWARDS
        ],
        group="science_award",
        once=True,
        tags=("科技奖",),
    )
    for code, carrier, levels in INCUBATORS:
        c.topic(
            "sci_tech",
            "innovation_platform",
            f"{carrier}认定奖励",
            src,
            [
                (
                    f"（{level}）",
                    [
                        D("firms", f"在孵企业不少于{firms}家", at_least("incubated_firms", firms)),
                        M("level", f"本年度新认定为{level}{carrier}"),
                    ],
                    amount,
                    amount,
                )
                for level, firms, amount in levels
            ],
            group=f"{code}_level",
            once=True,
            tags=("孵化载体",),
        )
    c.topic(
        "sci_tech",
        "innovation_rd",
        "企业研发投入增量奖励",
        "昆科规〔2025〕2号",
        [
            (
                f"（研发费用{low // WAN}万元以上）",
                [
                    D("rd", f"上年度研发费用不低于{low // WAN}万元", at_least("rd_expense_fen", low)),
                    D("ratio", "研发费用占营业收入比例不低于3%", at_least("rd_ratio", 0.03 + j * 0.005)),
                ],
                share("rd_expense_fen", rate),
                cap,
            )
            for j, (low, rate, cap) in enumerate(RD_INCREMENT)
        ],
        mode="automatic",
        group="rd_increment",
        stacking="rd_support",
        tags=("研发投入", "免申即享"),
    )
    c.topic(
        "sci_tech",
        "innovation_rd",
        "科技型中小企业研发费用补助",
        "昆科规〔2025〕2号",
        [
            (
                "",
                [
                    D("tech_sme", "入库科技型中小企业", has("tech_sme")),
                    D("rd", "上年度研发费用不低于50万元", at_least("rd_expense_fen", wan(50))),
                ],
                share("rd_expense_fen", 0.03),
                wan(30),
            )
        ],
        mode="automatic",
        stacking="rd_support",
        tags=("科技型中小企业", "免申即享"),
    )
    c.topic(
        "sci_tech",
        "ladder_gazelle",
        "瞪羚企业研发加速补助",
        "昆科规〔2023〕4号",
        [
            (
                "",
                [
                    D("gazelle", "有效期内的瞪羚企业", has("gazelle")),
                    D("ratio", "研发费用占营业收入比例不低于5%", at_least("rd_ratio", 0.05)),
                ],
                share("rd_expense_fen", 0.04),
                wan(100),
            )
        ],
        mode="automatic",
        stacking="rd_support",
        tags=("瞪羚", "免申即享"),
    )
    c.topic(
        "sci_tech",
        "ladder_high_tech",
        "高新技术企业培育入库奖励",
        "昆科规〔2023〕4号",
        [
            (
                "",
                [
                    D("tech_sme", "本年度新入库科技型中小企业", has("tech_sme", "new_qualifications")),
                    D("patents", "拥有有效发明专利", at_least("invention_patents", 1)),
                    D("ratio", "研发费用占营业收入比例不低于4%", at_least("rd_ratio", 0.04)),
                ],
                wan(5),
                None,
            )
        ],
        mode="automatic",
        once=True,
        tags=("高企培育", "免申即享"),
    )
    c.topic(
        "sci_tech",
        "innovation_transfer",
        "产学研合作项目资助",
        "昆科规〔2025〕2号",
        [
            (
                f"（{label}）",
                [
                    D(
                        "contract",
                        f"上年度技术合同成交额不低于{low // WAN}万元",
                        at_least("tech_contract_fen", low),
                    ),
                    M("partner", f"与{label}签订产学研合作协议并实际支付"),
                ],
                share("tech_contract_fen", rate),
                cap,
            )
            for label, low, rate, cap in (
                ("国内高校院所", wan(50), 0.1, wan(50)),
                ("境外高校院所", wan(100), 0.15, wan(100)),
            )
        ],
        group="university_cooperation",
        tags=("产学研",),
    )
    c.topic(
        "sci_tech",
        "innovation_rd",
        "国际科技合作项目资助",
        "昆科规〔2025〕2号",
        [
            (
                "",
                [
                    D("rd", "上年度研发费用不低于300万元", at_least("rd_expense_fen", wan(300))),
                    M("partner", "与境外机构联合研发并签订合作协议"),
                ],
                {"min": [share("rd_expense_fen", 0.1), wan(100)]},
                wan(100),
            )
        ],
        tags=("国际合作",),
    )
    c.topic(
        "sci_tech",
        "innovation_transfer",
        "科技创新券",
        "昆科规〔2024〕3号",
        [
            (
                f"（{label}）",
                [
                    D("size", f"职工人数不超过{staff}人", {"<=": [var("employees"), staff]}),
                    M("service", "向服务机构购买检验检测、研发设计等科技服务"),
                ],
                amount,
                amount,
            )
            for label, staff, amount in (("小微企业", 100, wan(10)), ("中型企业", 300, wan(20)))
        ],
        mode="quick",
        group="innovation_voucher",
        tags=("创新券",),
    )
    c.topic(
        "sci_tech",
        "innovation_rd",
        "揭榜挂帅发榜企业配套资助",
        "昆科规〔2025〕2号",
        [
            (
                "",
                [
                    D("scale", "规模以上工业企业", has("above_scale")),
                    M("challenge", "发布技术榜单并与揭榜方签约"),
                ],
                wan(50),
                wan(50),
            )
        ],
        tags=("揭榜挂帅",),
    )
    c.topic(
        "sci_tech",
        "finance_loan",
        "科技保险保费补贴",
        "昆科规〔2024〕3号",
        [
            (
                "",
                [
                    D(
                        "high_tech",
                        "高新技术企业或科技型中小企业",
                        {"or": [has("high_tech"), has("tech_sme")]},
                    ),
                    M("premium", "投保科技保险并提供保费发票"),
                ],
                wan(10),
                wan(10),
            )
        ],
        mode="quick",
        tags=("科技金融",),
    )


# ---------------------------------------------------------------------------------------------- 工信局
# 示范认定 by level (title, levels with awards)
INDUSTRY_DEMONSTRATIONS = (
    ("smart_workshop", "智能车间", "industry_smart", (("省级", wan(50)), ("苏州市级", wan(30)), ("昆山市级", wan(10)))),
    ("smart_factory", "智能工厂", "industry_smart", (("国家级", wan(300)), ("省级", wan(150)))),
    ("iiot", "工业互联网标杆工厂", "industry_smart", (("国家级", wan(200)), ("省级", wan(80)), ("苏州市级", wan(30)))),
    ("green_factory", "绿色工厂", "industry_smart", (("国家级", wan(100)), ("省级", wan(50)), ("苏州市级", wan(20)))),
    ("design_center", "工业设计中心", "innovation_platform", (("国家级", wan(200)), ("省级", wan(50)), ("苏州市级", wan(20)))),
    ("champion", "制造业单项冠军", "ladder_specialized", (("国家级", wan(300)), ("省级", wan(100)))),
    ("specialized_local", "专精特新企业（市级）", "ladder_specialized", (("苏州市级", wan(10)), ("昆山市级", wan(5)))),
)  # fmt: skip
REVENUE_MILESTONES = ((wan(20000), wan(20)), (wan(100000), wan(50)), (wan(500000), wan(100)))


def _industry_it(c: Catalog) -> None:
    src = "昆工信〔2024〕5号"
    for code, label, theme, levels in INDUSTRY_DEMONSTRATIONS:
        c.topic(
            "industry_it",
            theme,
            f"{label}认定奖励",
            src,
            [
                (
                    f"（{level}）",
                    [
                        D("scale", "规模以上工业企业", has("above_scale")),
                        *(
                            [
                                D(
                                    "smart",
                                    "智能化改造投资不低于1000万元",
                                    at_least("smart_investment_fen", wan(1000)),
                                )
                            ]
                            if theme == "industry_smart" and j == 0
                            else []
                        ),
                        M("level", f"本年度新认定为{level}{label}"),
                    ],
                    amount,
                    amount,
                )
                for j, (level, amount) in enumerate(levels)
            ],
            group=f"{code}_level",
            once=True,
            tags=(label,),
        )
    c.topic(
        "industry_it",
        "industry_chain",
        "规上工业企业营收跨越奖励",
        src,
        [
            (
                f"（营业收入首超{low // WAN // 10000}亿元）"
                if low >= wan(10000)
                else f"（营业收入首超{low // WAN}万元）",
                [
                    D("scale", "规模以上工业企业", has("above_scale")),
                    D("revenue", f"上年度营业收入不低于{low // WAN}万元", at_least("revenue_fen", low)),
                    D(
                        "tax",
                        "上年度纳税额不低于营业收入的1%",
                        {">=": [var("tax_paid_fen"), {"*": [var("revenue_fen"), 0.01]}]},
                    ),
                ],
                award,
                None,
            )
            for low, award in REVENUE_MILESTONES
        ],
        mode="automatic",
        group="revenue_milestone",
        once=True,
        tags=("规上企业", "免申即享"),
    )
    c.topic(
        "industry_it",
        "industry_first_set",
        "首批次新材料、首版次软件奖励",
        src,
        [
            (
                "（首批次新材料）",
                [
                    D("chain", "属于新能源新材料产业链", equals("industry_chain", "新能源新材料")),
                    M("list", "产品列入省首批次新材料目录并实现销售"),
                ],
                wan(100),
                wan(100),
            ),
            (
                "（首版次软件）",
                [
                    D(
                        "chain",
                        "属于电子信息或人工智能产业链",
                        one_of("industry_chain", ["电子信息", "人工智能"]),
                    ),
                    M("list", "产品认定为省首版次软件并实现销售"),
                ],
                wan(50),
                wan(50),
            ),
        ],
        once=True,
        tags=("首台套",),
    )
    c.topic(
        "industry_it",
        "industry_smart",
        "工业企业技术改造设备投资补助",
        src,
        [
            (
                f"（设备投资{low // WAN}万元以上）",
                [
                    D(
                        "invest",
                        f"技改设备和软件投资不低于{low // WAN}万元",
                        at_least("smart_investment_fen", low),
                    ),
                    D("scale", "规模以上工业企业", has("above_scale")),
                    M("acceptance", "项目竣工并通过验收"),
                ],
                share("smart_investment_fen", rate),
                cap,
            )
            for low, rate, cap in ((wan(1000), 0.05, wan(300)), (wan(5000), 0.06, wan(800)))
        ],
        group="tech_renovation",
        tags=("技术改造",),
    )
    c.topic(
        "industry_it",
        "industry_smart",
        "数字化转型诊断服务",
        src,
        [("", [D("size", "职工人数不超过1000人", {"<=": [var("employees"), 1000]})], 0, None)],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("智改数转",),
    )
    c.topic(
        "industry_it",
        "ladder_specialized",
        "专精特新“小巨人”企业研发补助",
        src,
        [
            (
                "",
                [
                    D("giant", "有效期内的国家级专精特新“小巨人”", has("little_giant")),
                    D("rd", "上年度研发费用不低于500万元", at_least("rd_expense_fen", wan(500))),
                ],
                share("rd_expense_fen", 0.05),
                wan(100),
            )
        ],
        mode="automatic",
        stacking="rd_support",
        tags=("小巨人", "免申即享"),
    )
    c.topic(
        "industry_it",
        "industry_chain",
        "软件和信息服务业企业营收奖励",
        src,
        [
            (
                "",
                [
                    D("chain", "属于电子信息产业链", equals("industry_chain", "电子信息")),
                    D("revenue", "上年度营业收入不低于5000万元", at_least("revenue_fen", wan(5000))),
                    M("software", "软件和信息技术服务收入占比不低于50%"),
                ],
                {"min": [share("revenue_fen", 0.002), wan(50)]},
                wan(50),
            )
        ],
        tags=("软件企业",),
    )


# ---------------------------------------------------------------------------------------------- 商务局
EXPORT_TIERS = ((wan(10000), 0.1, wan(30)), (wan(50000), 0.08, wan(80)), (wan(100000), 0.05, wan(150)))
EXHIBITIONS = (
    ("境外展会", "参加境外重点展会", 0.7, wan(20)),
    ("境内国际性展会", "参加境内国际性专业展会", 0.5, wan(10)),
    ("线上展会", "参加商务部门组织的线上展会", 0.5, wan(3)),
)
HEADQUARTERS = (
    ("跨国公司地区总部", wan(500)),
    ("跨国公司功能性机构", wan(200)),
    ("民营企业总部", wan(100)),
)
FOREIGN_CAPITAL = ((wan(3000), wan(30)), (wan(10000), wan(100)), (wan(50000), wan(300)))


def _commerce(c: Catalog) -> None:
    src = "昆商务〔2024〕4号"
    c.topic(
        "commerce",
        "open_trade",
        "外贸进出口增量奖励",
        src,
        [
            (
                f"（进出口额{low // WAN // 10000}亿元以上）",
                [
                    D(
                        "value",
                        f"上年度进出口额不低于{low // WAN // 10000}亿元",
                        at_least("export_value_fen", low),
                    ),
                    D("growth", f"进出口额增长不低于{int(growth * 100)}%", at_least("export_growth", growth)),
                ],
                {"min": [share("export_value_fen", growth * 0.01), cap]},
                cap,
            )
            for low, growth, cap in EXPORT_TIERS
        ],
        mode="automatic",
        group="export_growth",
        tags=("外贸", "免申即享"),
    )
    for label, condition, rate, cap in EXHIBITIONS:
        c.topic(
            "commerce",
            "open_trade",
            f"{label}展位费补贴",
            src,
            [
                (
                    "",
                    [
                        D("exporter", "有进出口实绩", {">": [var("export_value_fen"), 0]}),
                        M("booth", f"{condition}并提供展位费发票（补贴{int(rate * 100)}%）"),
                    ],
                    cap,
                    cap,
                )
            ],
            mode="quick",
            stacking="exhibition",
            tags=("展会补贴",),
        )
    c.topic(
        "commerce",
        "open_trade",
        "跨境电商海外仓建设补助",
        src,
        [
            (
                f"（{label}）",
                [
                    D(
                        "sales",
                        f"上年度跨境电商交易额不低于{low // WAN}万元",
                        at_least("cross_border_sales_fen", low),
                    ),
                    M("warehouse", f"自建或租用{label}海外仓面积达标"),
                ],
                amount,
                amount,
            )
            for label, low, amount in (
                ("1000平方米以上", wan(1000), wan(30)),
                ("5000平方米以上", wan(5000), wan(100)),
            )
        ],
        group="overseas_warehouse",
        once=True,
        tags=("跨境电商",),
    )
    c.topic(
        "commerce",
        "open_trade",
        "跨境电商交易额增量奖励",
        src,
        [
            (
                "",
                [
                    D(
                        "sales",
                        "上年度跨境电商交易额不低于2000万元",
                        at_least("cross_border_sales_fen", wan(2000)),
                    ),
                    D("growth", "进出口额增长不低于20%", at_least("export_growth", 0.2)),
                ],
                share("cross_border_sales_fen", 0.005),
                wan(80),
            )
        ],
        mode="automatic",
        tags=("跨境电商", "免申即享"),
    )
    c.topic(
        "commerce",
        "open_trade",
        "出口信用保险保费补贴",
        src,
        [
            (
                f"（{label}）",
                [D("value", f"上年度进出口额{cond}", rule), M("premium", "投保短期出口信用保险并提供保单")],
                cap,
                cap,
            )
            for label, cond, rule, cap in (
                ("小微外贸企业", "不超过500万美元", {"<=": [var("export_value_fen"), wan(3500)]}, wan(5)),
                ("其他外贸企业", "超过500万美元", {">": [var("export_value_fen"), wan(3500)]}, wan(30)),
            )
        ],
        mode="quick",
        group="export_insurance",
        tags=("出口信保",),
    )
    c.topic(
        "commerce",
        "open_investment",
        "总部企业认定奖励",
        src,
        [
            (
                f"（{label}）",
                [
                    D(
                        "tax",
                        "上年度纳税额不低于1000万元",
                        at_least("tax_paid_fen", wan(1000) + i * wan(500)),
                    ),
                    M("level", f"本年度新认定为{label}"),
                ],
                amount,
                amount,
            )
            for i, (label, amount) in enumerate(HEADQUARTERS)
        ],
        group="headquarters",
        once=True,
        tags=("总部经济",),
    )
    c.topic(
        "commerce",
        "open_investment",
        "外资实际到账奖励",
        src,
        [
            (
                f"（到账{low // WAN // 10000 if low >= wan(10000) else low // WAN}{'亿' if low >= wan(10000) else '万'}元以上）",
                [
                    D("invest", "新落户项目固定资产投资达标", at_least("fixed_investment_fen", low)),
                    M("fdi", "外资注册资本实际到账并经外汇登记"),
                ],
                award,
                award,
            )
            for low, award in FOREIGN_CAPITAL
        ],
        group="foreign_capital",
        once=True,
        tags=("外资",),
    )
    c.topic(
        "commerce",
        "open_investment",
        "外资研发中心认定奖励",
        src,
        [
            (
                "",
                [
                    D("rd", "上年度研发费用不低于2000万元", at_least("rd_expense_fen", wan(2000))),
                    M("foreign", "外商投资企业设立的独立研发中心并经商务部门认定"),
                ],
                wan(100),
                wan(100),
            )
        ],
        once=True,
        tags=("外资",),
    )
    c.topic(
        "commerce",
        "open_trade",
        "电子商务示范企业奖励",
        src,
        [
            (
                f"（{level}）",
                [
                    D(
                        "sales",
                        "上年度跨境电商或网络零售额不低于1000万元",
                        at_least("cross_border_sales_fen", wan(1000) * (3 - j)),
                    ),
                    M("level", f"本年度新认定为{level}电子商务示范企业"),
                ],
                amount,
                amount,
            )
            for j, (level, amount) in enumerate(
                (("国家级", wan(50)), ("省级", wan(20)), ("苏州市级", wan(10)))
            )
        ],
        group="ecommerce_demo",
        once=True,
        tags=("电子商务",),
    )
    c.topic(
        "commerce",
        "open_trade",
        "服务外包企业奖励",
        src,
        [
            (
                "",
                [
                    D("value", "上年度进出口额不低于1000万元", at_least("export_value_fen", wan(1000))),
                    M("outsourcing", "离岸服务外包执行额经商务部门系统确认"),
                ],
                {"min": [share("export_value_fen", 0.01), wan(50)]},
                wan(50),
            )
        ],
        tags=("服务外包",),
    )


# ---------------------------------------------------------------------------------------------- 发改委
SERVICE_CLUSTERS = (("省级", wan(100)), ("苏州市级", wan(50)), ("昆山市级", wan(20)))
GREEN_TIERS = ((wan(1000), 0.08, wan(150)), (wan(3000), 0.1, wan(500)))


def _development_reform(c: Catalog) -> None:
    src = "昆发改〔2024〕7号"
    c.topic(
        "development_reform",
        "industry_chain",
        "现代服务业集聚区奖励",
        src,
        [
            (
                f"（{level}）",
                [
                    M("level", f"本年度新认定为{level}现代服务业集聚区"),
                    M("operator", "集聚区运营主体在昆注册"),
                ],
                amount,
                amount,
            )
            for level, amount in SERVICE_CLUSTERS
        ],
        group="service_cluster",
        once=True,
        tags=("现代服务业",),
    )
    c.topic(
        "development_reform",
        "industry_smart",
        "节能降碳重点项目补助",
        src,
        [
            (
                f"（投资{low // WAN}万元以上）",
                [
                    D(
                        "invest",
                        f"节能降碳改造投资不低于{low // WAN}万元",
                        at_least("green_investment_fen", low),
                    ),
                    M("saving", f"年节能量不低于{500 * (j + 2)}吨标准煤并经第三方审核"),
                ],
                share("green_investment_fen", rate),
                cap,
            )
            for j, (low, rate, cap) in enumerate(GREEN_TIERS)
        ],
        group="green_major",
        tags=("绿色低碳",),
    )
    c.topic(
        "development_reform",
        "industry_smart",
        "分布式光伏项目补助",
        src,
        [
            (
                "",
                [
                    D("invest", "光伏等节能投资不低于100万元", at_least("green_investment_fen", wan(100))),
                    M("grid", "项目并网发电满1年"),
                ],
                {"min": [share("green_investment_fen", 0.05), wan(50)]},
                wan(50),
            )
        ],
        mode="quick",
        tags=("绿色低碳", "光伏"),
    )
    c.topic(
        "development_reform",
        "open_investment",
        "省市重大项目入选奖励",
        src,
        [
            (
                f"（{level}）",
                [
                    D(
                        "invest",
                        f"项目固定资产投资不低于{low // WAN // 10000}亿元",
                        at_least("fixed_investment_fen", low),
                    ),
                    M("list", f"本年度列入{level}重大项目清单"),
                ],
                amount,
                amount,
            )
            for level, low, amount in (("省级", wan(100000), wan(100)), ("苏州市级", wan(50000), wan(50)))
        ],
        group="major_project",
        once=True,
        tags=("重大项目",),
    )
    c.topic(
        "development_reform",
        "industry_chain",
        "重点产业链链主企业奖励",
        src,
        [
            (
                f"（{chain}）",
                [
                    D("chain", f"属于{chain}产业链", equals("industry_chain", chain)),
                    D(
                        "revenue",
                        f"上年度营业收入不低于{low // WAN // 10000}亿元",
                        at_least("revenue_fen", low),
                    ),
                    M("leader", "经市产业链专班认定为链主企业"),
                ],
                award,
                award,
            )
            for chain, low, award in (
                ("电子信息", wan(500000), wan(200)),
                ("装备制造", wan(300000), wan(150)),
                ("集成电路", wan(100000), wan(200)),
                ("新型显示", wan(200000), wan(150)),
                ("新能源汽车", wan(200000), wan(150)),
                ("生物医药", wan(50000), wan(100)),
            )
        ],
        once=True,
        tags=("链主企业",),
    )
    c.topic(
        "development_reform",
        "industry_chain",
        "重大项目前期工作经费补助",
        src,
        [
            (
                "",
                [
                    D("invest", "项目固定资产投资不低于5亿元", at_least("fixed_investment_fen", wan(50000))),
                    M("feasibility", "完成可行性研究并通过发改部门评审"),
                ],
                wan(30),
                wan(30),
            )
        ],
        tags=("重大项目",),
    )
    c.topic(
        "development_reform",
        "industry_chain",
        "碳达峰碳中和示范项目",
        src,
        [
            (
                "",
                [
                    D("invest", "节能降碳投资不低于500万元", at_least("green_investment_fen", wan(500))),
                    D("scale", "规模以上工业企业", has("above_scale")),
                    M("demo", "入选省级碳达峰碳中和试点示范"),
                ],
                wan(80),
                wan(80),
            )
        ],
        once=True,
        tags=("绿色低碳",),
    )


# ---------------------------------------------------------------------------------------------- 财政局
TAX_CONTRIBUTION = ((wan(5000), wan(30)), (wan(20000), wan(80)), (wan(50000), wan(150)))


def _finance(c: Catalog) -> None:
    src = "昆财规〔2024〕2号"
    c.topic(
        "finance",
        "finance_tax",
        "纳税大户贡献奖励",
        src,
        [
            (
                f"（纳税{low // WAN // 10000 if low >= wan(10000) else low // WAN}{'亿' if low >= wan(10000) else '万'}元以上）",
                [D("tax", f"上年度纳税额不低于{low // WAN}万元", at_least("tax_paid_fen", low))],
                award,
                None,
            )
            for low, award in TAX_CONTRIBUTION
        ],
        mode="automatic",
        group="tax_contribution",
        tags=("纳税贡献", "免申即享"),
    )
    c.topic(
        "finance",
        "finance_loan",
        "中小企业首贷贴息",
        src,
        [
            (
                "",
                [
                    D("size", "职工人数不超过300人", {"<=": [var("employees"), 300]}),
                    D("interest", "上年度首次获得银行贷款并付息", {">": [var("loan_interest_fen"), 0]}),
                    M("first", "人民银行征信报告显示为首次贷款"),
                ],
                share("loan_interest_fen", 0.4),
                wan(20),
            )
        ],
        mode="quick",
        once=True,
        tags=("贴息",),
    )
    c.topic(
        "finance",
        "finance_loan",
        "应急转贷资金服务",
        src,
        [
            (
                "",
                [
                    D("size", "职工人数不超过1000人", {"<=": [var("employees"), 1000]}),
                    M("bank", "合作银行出具续贷承诺"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        kind="service",
        tags=("转贷",),
    )
    c.topic(
        "finance",
        "finance_loan",
        "政府采购合同融资",
        src,
        [
            (
                "",
                [
                    D("size", "中小企业（职工人数不超过300人）", {"<=": [var("employees"), 300]}),
                    M("contract", "持有政府采购中标合同"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("政府采购",),
    )
    c.topic(
        "finance",
        "finance_tax",
        "中小企业政府采购价格评审优惠",
        src,
        [
            (
                "",
                [
                    D("size", "小微企业（职工人数不超过100人）", {"<=": [var("employees"), 100]}),
                    D("revenue", "上年度营业收入不超过1亿元", {"<=": [var("revenue_fen"), wan(10000)]}),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("政府采购",),
    )
    c.topic(
        "finance",
        "finance_loan",
        "技术改造项目贷款贴息",
        src,
        [
            (
                "",
                [
                    D("invest", "技改设备投资不低于500万元", at_least("smart_investment_fen", wan(500))),
                    D("interest", "上年度项目贷款已付利息", {">": [var("loan_interest_fen"), 0]}),
                ],
                share("loan_interest_fen", 0.35),
                wan(100),
            )
        ],
        mode="quick",
        tags=("贴息", "技术改造"),
    )


# ---------------------------------------------------------------------------------------------- 教育局
SCHOOL_SERVICES = (
    ("A", "在全市优质公办学校中自主选择就读"),
    ("B", "在户籍或居住地所在区镇优质公办学校中选择就读"),
    ("C", "由教育局统筹安排公办学校就读"),
    ("D", "在居住地学区公办学校优先安排"),
    ("E", "享受积分入学加分"),
)


def _education(c: Catalog) -> None:
    src = "昆教〔2024〕2号"
    c.topic(
        "education",
        "services_school",
        "人才子女入学服务",
        src,
        [
            (
                f"（{cls}类人才）",
                [
                    D("class", f"经认定的{cls}类人才", equals("talent_class", cls)),
                    M("child", f"子女符合入学年龄，{service}"),
                ],
                0,
                None,
            )
            for cls, service in SCHOOL_SERVICES
        ],
        policy_type="权益",
        beneficiary="talent",
        kind="service",
        group="school_service",
        tags=("子女入学",),
    )
    c.topic(
        "education",
        "services_school",
        "外籍人才子女国际学校学费补贴",
        src,
        [
            (
                f"（{cls}类人才）",
                [
                    D("class", f"经认定的{cls}类人才", equals("talent_class", cls)),
                    D("overseas", "具有海外经历", {"!!": var("overseas")}),
                    M("school", "子女在昆国际学校就读并提供学费发票"),
                ],
                amount,
                amount,
            )
            for cls, amount in (("A", wan(10)), ("B", wan(6)))
        ],
        beneficiary="talent",
        group="intl_school",
        tags=("子女入学",),
    )
    c.topic(
        "education",
        "services_school",
        "人才子女入园服务",
        src,
        [
            (
                "",
                [
                    D("class", "A–C类人才", one_of("talent_class", ["A", "B", "C"])),
                    M("years", "在昆工作并在昆缴纳社会保险"),
                    M("child", "子女年满3周岁"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        beneficiary="talent",
        mode="quick",
        kind="service",
        tags=("子女入学",),
    )
    c.topic(
        "education",
        "skills_training",
        "产教融合型企业奖励",
        src,
        [
            (
                f"（{level}）",
                [
                    D("trainees", "上年度接收职业院校学生实习不少于30人", at_least("trainees", 30 + 20 * j)),
                    M("level", f"本年度入选{level}产教融合型企业"),
                ],
                amount,
                amount,
            )
            for j, (level, amount) in enumerate((("国家级", wan(50)), ("省级", wan(20))))
        ],
        group="industry_education",
        once=True,
        tags=("产教融合",),
    )
    c.topic(
        "education",
        "skills_training",
        "校企共建实训基地补助",
        src,
        [
            (
                "",
                [
                    D("employees", "职工人数不少于200人", at_least("employees", 200)),
                    M("base", "与在昆职业院校共建实训基地并投入设备"),
                ],
                wan(30),
                wan(30),
            )
        ],
        tags=("产教融合",),
    )
    c.topic(
        "education",
        "talent_youth",
        "青年教师（博士）引进安家补贴",
        src,
        [
            (
                "",
                [
                    D("doctor", "博士研究生学历", equals("education", "doctor")),
                    D("age", "年龄不超过35周岁", {"<=": [var("age"), 35]}),
                    D("arrived", "本年度来昆任教", {"!!": var("arrived_in_period")}),
                    M("school", "受聘于在昆高校或职业院校"),
                ],
                wan(20),
                None,
            )
        ],
        beneficiary="talent",
        once=True,
        tags=("青年人才",),
    )


# ---------------------------------------------------------------------------------------------- 住建局
RENTAL_BY_DEGREE = (("doctor", "博士", 1500), ("master", "硕士", 1000))
APARTMENT_BY_CLASS = (("A", "免租入住180平方米以上人才公寓"), ("B", "免租入住120平方米人才公寓"), ("C", "租金减半入住人才公寓"), ("D", "按市场租金七折配租"))  # fmt: skip


def _housing(c: Catalog) -> None:
    src = "昆住建〔2023〕6号"
    c.topic(
        "housing",
        "living_rental",
        "高学历人才租房补贴",
        src,
        [
            (
                f"（{label}）",
                [
                    D("degree", f"{label}研究生学历", equals("education", degree)),
                    D("new", "来昆工作不满3年", {"<": [var("years_in_kunshan"), 3]}),
                ],
                {"*": [monthly * YUAN, 12]},
                None,
            )
            for degree, label, monthly in RENTAL_BY_DEGREE
        ],
        beneficiary="talent",
        mode="automatic",
        group="rental_allowance",
        tags=("租房补贴", "免申即享"),
    )
    c.topic(
        "housing",
        "living_rental",
        "人才公寓配租",
        src,
        [
            (
                f"（{cls}类人才）",
                [
                    D("class", f"经认定的{cls}类人才", equals("talent_class", cls)),
                    M("no_house", f"本人及配偶在昆无自有住房；{how}"),
                ],
                0,
                None,
            )
            for cls, how in APARTMENT_BY_CLASS
        ],
        policy_type="权益",
        beneficiary="talent",
        kind="service",
        group="apartment",
        tags=("人才公寓",),
    )
    c.topic(
        "housing",
        "living_purchase",
        "人才购房公积金贷款额度上浮",
        src,
        [
            (
                "",
                [
                    D("class", "A–E类人才", one_of("talent_class", ["A", "B", "C", "D", "E"])),
                    M("first", "在昆购买首套自住住房"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        beneficiary="talent",
        mode="quick",
        kind="service",
        tags=("公积金",),
    )
    c.topic(
        "housing",
        "living_purchase",
        "青年人才首套购房补贴",
        src,
        [
            (
                "",
                [
                    D("age", "年龄不超过35周岁", {"<=": [var("age"), 35]}),
                    D("degree", "硕士及以上学历", one_of("education", ["master", "doctor"])),
                    D("years", "在昆工作满1年", at_least("years_in_kunshan", 1)),
                    M("first", "本年度在昆购买首套住房并网签"),
                ],
                wan(5),
                None,
            )
        ],
        beneficiary="talent",
        once=True,
        tags=("购房补贴",),
    )
    src = "昆住建〔2024〕3号"
    c.topic(
        "housing",
        "industry_chain",
        "建筑业企业资质升级奖励",
        src,
        [
            (
                f"（{level}）",
                [
                    D(
                        "revenue",
                        f"上年度营业收入不低于{low // WAN // 10000}亿元",
                        at_least("revenue_fen", low),
                    ),
                    M("level", f"本年度首次取得施工总承包{level}资质"),
                ],
                amount,
                amount,
            )
            for level, low, amount in (("特级", wan(100000), wan(200)), ("一级", wan(20000), wan(50)))
        ],
        group="construction_grade",
        once=True,
        tags=("建筑业",),
    )
    c.topic(
        "housing",
        "industry_smart",
        "绿色建筑标识奖励",
        src,
        [
            (
                f"（{star}）",
                [
                    D(
                        "invest",
                        "节能降碳投资不低于100万元",
                        at_least("green_investment_fen", wan(100) * (j + 1)),
                    ),
                    M("label", f"项目取得{star}绿色建筑标识"),
                ],
                amount,
                amount,
            )
            for j, (star, amount) in enumerate((("二星级", wan(20)), ("三星级", wan(50))))
        ],
        group="green_building",
        once=True,
        tags=("绿色建筑",),
    )
    c.topic(
        "housing",
        "industry_smart",
        "装配式建筑示范项目补助",
        src,
        [
            (
                "",
                [
                    D("invest", "项目固定资产投资不低于1亿元", at_least("fixed_investment_fen", wan(10000))),
                    M("rate", "装配率不低于50%"),
                ],
                wan(40),
                wan(40),
            )
        ],
        once=True,
        tags=("建筑业",),
    )


# ---------------------------------------------------------------------------------------------- 卫健委
HEALTH_BY_CLASS = (
    ("A", "一对一家庭医生、年度健康体检与就医绿色通道"),
    ("B", "年度健康体检与就医绿色通道"),
    ("C", "就医绿色通道"),
)
CLINICAL_PHASES = (("I期", wan(100)), ("II期", wan(200)), ("III期", wan(500)))
DEVICE_CERTIFICATES = (("第二类", wan(30)), ("第三类", wan(100)))


def _health(c: Catalog) -> None:
    src = "昆卫健〔2024〕2号"
    c.topic(
        "health",
        "services_health",
        "人才医疗保健服务",
        src,
        [
            (
                f"（{cls}类人才）",
                [D("class", f"经认定的{cls}类人才", equals("talent_class", cls))],
                0,
                None,
            )
            for cls, _ in HEALTH_BY_CLASS
        ],
        policy_type="权益",
        beneficiary="talent",
        mode="automatic",
        kind="service",
        group="health_service",
        tags=("医疗保健", "免申即享"),
    )
    c.topic(
        "health",
        "industry_chain",
        "创新药临床试验补助",
        src,
        [
            (
                f"（{phase}）",
                [
                    D("chain", "属于生物医药产业链", equals("industry_chain", "生物医药")),
                    D("rd", "上年度研发费用不低于1000万元", at_least("rd_expense_fen", wan(1000) * (j + 1))),
                    M("trial", f"本年度完成{phase}临床试验"),
                ],
                amount,
                amount,
            )
            for j, (phase, amount) in enumerate(CLINICAL_PHASES)
        ],
        group="clinical_trial",
        tags=("生物医药",),
    )
    c.topic(
        "health",
        "industry_chain",
        "医疗器械注册证奖励",
        src,
        [
            (
                f"（{cls}）",
                [
                    D("chain", "属于生物医药产业链", equals("industry_chain", "生物医药")),
                    M("cert", f"本年度首次取得{cls}医疗器械注册证"),
                ],
                amount,
                amount,
            )
            for cls, amount in DEVICE_CERTIFICATES
        ],
        group="device_certificate",
        tags=("生物医药",),
    )
    c.topic(
        "health",
        "talent_top",
        "卫生健康高层次人才引进补贴",
        src,
        [
            (
                f"（{label}）",
                [
                    D("degree", label, rule),
                    D("arrived", "本年度来昆工作", {"!!": var("arrived_in_period")}),
                    M("hospital", "受聘于在昆公立医疗卫生机构"),
                ],
                amount,
                None,
            )
            for label, rule, amount in (
                ("博士研究生学历", equals("education", "doctor"), wan(30)),
                ("正高级职称", {"in": ["主任医师", var("title")]}, wan(20)),
            )
        ],
        beneficiary="talent",
        group="health_talent",
        once=True,
        tags=("卫生人才",),
    )
    c.topic(
        "health",
        "talent_top",
        "医学重点学科建设资助",
        src,
        [
            (
                f"（{level}）",
                [M("level", f"本年度新获批{level}医学重点学科"), M("leader", "学科带头人在昆全职工作")],
                amount,
                amount,
            )
            for level, amount in (("省级", wan(200)), ("苏州市级", wan(80)))
        ],
        group="medical_discipline",
        once=True,
        tags=("卫生人才",),
    )
    c.topic(
        "health",
        "services_health",
        "企业职工健康服务（健康企业）",
        src,
        [
            (
                "",
                [
                    D("employees", "职工人数不少于100人", at_least("employees", 100)),
                    M("healthy", "通过健康企业评估"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("健康企业",),
    )


# ---------------------------------------------------------------------------------------------- 金融办
LISTING_BOARDS = (
    ("上海证券交易所科创板", wan(200)),
    ("深圳证券交易所创业板", wan(150)),
    ("北京证券交易所", wan(100)),
    ("沪深主板", wan(120)),
    ("境外主要证券交易所", wan(80)),
)
BOND_KINDS = (("科创债", 0.01, wan(100)), ("公司债", 0.005, wan(50)), ("中期票据", 0.004, wan(40)))
EQUITY_FUNDS = (("10亿元以上", wan(200)), ("5亿元以上", wan(100)), ("1亿元以上", wan(30)))


def _financial_office(c: Catalog) -> None:
    src = "昆金发〔2024〕3号"
    c.topic(
        "financial_office",
        "finance_listing",
        "上市板块额外奖励",
        src,
        [
            (
                f"（{board}）",
                [
                    D("listed", "本年度首发上市", has("listed", "new_qualifications")),
                    M("board", f"在{board}上市"),
                ],
                amount,
                amount,
            )
            for board, amount in LISTING_BOARDS
        ],
        group="listing_board",
        once=True,
        tags=("上市挂牌",),
    )
    c.topic(
        "financial_office",
        "finance_listing",
        "上市申报受理奖励",
        src,
        [
            (
                "",
                [
                    D("stage", "上市进程为已辅导备案", equals("listing_stage", "filed")),
                    M("accepted", "本年度首发申请获证券交易所受理"),
                ],
                wan(100),
                wan(100),
            )
        ],
        once=True,
        tags=("上市挂牌",),
    )
    c.topic(
        "financial_office",
        "finance_loan",
        "融资担保费补贴",
        src,
        [
            (
                f"（{label}）",
                [
                    D("size", f"职工人数不超过{staff}人", {"<=": [var("employees"), staff]}),
                    M("fee", f"担保费率不超过{rate}%并提供担保合同"),
                ],
                cap,
                cap,
            )
            for label, staff, rate, cap in (("小微企业", 100, 1, wan(20)), ("科技型企业", 300, 1.5, wan(30)))
        ],
        mode="quick",
        group="guarantee_fee",
        tags=("担保费",),
    )
    c.topic(
        "financial_office",
        "finance_loan",
        "信用贷款贴息",
        src,
        [
            (
                "",
                [
                    D(
                        "specialized",
                        "专精特新中小企业或小巨人企业",
                        {"or": [has("specialized_sme"), has("little_giant")]},
                    ),
                    D("interest", "上年度信用贷款已付利息", {">": [var("loan_interest_fen"), 0]}),
                ],
                share("loan_interest_fen", 0.4),
                wan(60),
            )
        ],
        mode="automatic",
        stacking="interest_support",
        tags=("贴息", "免申即享"),
    )
    c.topic(
        "financial_office",
        "finance_loan",
        "瞪羚独角兽企业贷款贴息",
        src,
        [
            (
                "",
                [
                    D("ladder", "瞪羚或独角兽培育企业", {"or": [has("gazelle"), has("unicorn_candidate")]}),
                    D("interest", "上年度科技贷款已付利息", {">": [var("loan_interest_fen"), 0]}),
                ],
                share("loan_interest_fen", 0.6),
                wan(150),
            )
        ],
        mode="automatic",
        stacking="interest_support",
        tags=("贴息", "免申即享"),
    )
    c.topic(
        "financial_office",
        "finance_loan",
        "债券融资奖励",
        src,
        [
            (
                f"（{kind}）",
                [
                    D("revenue", "上年度营业收入不低于1亿元", at_least("revenue_fen", wan(10000) * (j + 1))),
                    M("bond", f"本年度成功发行{kind}，按发行额{rate * 100:g}%奖励"),
                ],
                cap,
                cap,
            )
            for j, (kind, rate, cap) in enumerate(BOND_KINDS)
        ],
        group="bond",
        tags=("债券融资",),
    )
    c.topic(
        "financial_office",
        "finance_listing",
        "股权投资机构落户奖励",
        src,
        [
            (
                f"（实缴规模{scale}）",
                [M("fund", f"在昆新设股权投资基金实缴规模{scale}"), M("record", "完成基金业协会备案")],
                award,
                award,
            )
            for scale, award in EQUITY_FUNDS
        ],
        group="equity_fund",
        once=True,
        tags=("股权投资",),
    )
    c.topic(
        "financial_office",
        "finance_loan",
        "天使投资风险补偿",
        src,
        [
            (
                "",
                [
                    D("young", "成立不满5年", {"<": [var("founded_years"), 5]}),
                    D("tech", "入库科技型中小企业", has("tech_sme")),
                    M("loss", "天使投资机构投资损失经核定"),
                ],
                wan(200),
                wan(200),
            )
        ],
        tags=("天使投资",),
    )
    c.topic(
        "financial_office",
        "finance_loan",
        "融资租赁设备补贴",
        src,
        [
            (
                "",
                [
                    D(
                        "invest",
                        "通过融资租赁购置设备不低于500万元",
                        at_least("smart_investment_fen", wan(500)),
                    ),
                    M("lease", "提供融资租赁合同与租金支付凭证"),
                ],
                {"min": [share("smart_investment_fen", 0.02), wan(50)]},
                wan(50),
            )
        ],
        mode="quick",
        tags=("融资租赁",),
    )


# ---------------------------------------------------------------------------------------------- 市场监管局
STANDARDS = (
    ("国际标准", (wan(100), wan(30))),
    ("国家标准", (wan(50), wan(15))),
    ("行业标准", (wan(30), wan(8))),
    ("地方标准", (wan(20), wan(5))),
    ("团体标准", (wan(10), wan(3))),
)
IP_DEMONSTRATION = (
    ("国家知识产权示范企业", wan(50)),
    ("国家知识产权优势企业", wan(30)),
    ("省知识产权示范企业", wan(20)),
)


def _market_regulation(c: Catalog) -> None:
    src = "昆市监规〔2024〕1号"
    for role_index, role in enumerate(("主导制定", "参与制定")):
        c.topic(
            "market_regulation",
            "ip_use",
            f"{role}标准奖励",
            src,
            [
                (
                    f"（{kind}）",
                    [
                        M("standard", f"上年度{role}并发布{kind}"),
                        M("rank", "起草单位排名" + ("第一" if role_index == 0 else "前五")),
                    ],
                    amounts[role_index],
                    amounts[role_index],
                )
                for kind, amounts in STANDARDS
            ],
            group=f"standard_{role_index}",
            tags=("标准化",),
        )
    c.topic(
        "market_regulation",
        "ip_use",
        "商标品牌奖励",
        src,
        [
            ("（新认定驰名商标）", [M("mark", "本年度经国家知识产权局认定为驰名商标")], wan(50), wan(50)),
            (
                "（马德里国际注册）",
                [
                    D("exporter", "有进出口实绩", {">": [var("export_value_fen"), 0]}),
                    M("madrid", "本年度通过马德里体系注册，每件按指定国家数计"),
                ],
                wan(5),
                wan(5),
            ),
            ("（地理标志证明商标）", [M("gi", "本年度注册地理标志证明商标")], wan(20), wan(20)),
        ],
        once=True,
        tags=("商标",),
    )
    c.topic(
        "market_regulation",
        "ip_patent",
        "PCT国际专利申请资助",
        src,
        [
            (
                "",
                [
                    D("patents", "本年度新授权发明专利不少于1件", at_least("new_invention_patents", 1)),
                    M("pct", "提交PCT国际专利申请并进入国家阶段"),
                ],
                {"min": [{"*": [var("new_invention_patents"), wan(1)]}, wan(30)]},
                wan(30),
            )
        ],
        mode="quick",
        tags=("知识产权", "PCT"),
    )
    c.topic(
        "market_regulation",
        "ip_patent",
        "发明专利授权量跃升奖励",
        src,
        [
            (
                f"（年授权{low}件以上）",
                [D("patents", f"本年度新授权发明专利不少于{low}件", at_least("new_invention_patents", low))],
                award,
                None,
            )
            for low, award in ((10, wan(10)), (30, wan(30)), (100, wan(80)))
        ],
        mode="automatic",
        group="patent_leap",
        tags=("发明专利", "免申即享"),
    )
    c.topic(
        "market_regulation",
        "ip_use",
        "知识产权示范优势企业奖励",
        src,
        [
            (
                f"（{label}）",
                [
                    D("patents", "有效发明专利不少于5件", at_least("invention_patents", 5 + 5 * (2 - j))),
                    M("level", f"本年度新认定为{label}"),
                ],
                amount,
                amount,
            )
            for j, (label, amount) in enumerate(IP_DEMONSTRATION)
        ],
        group="ip_demo",
        once=True,
        tags=("知识产权",),
    )
    c.topic(
        "market_regulation",
        "ip_use",
        "知识产权管理规范贯标补贴",
        src,
        [
            (
                "",
                [
                    D("patents", "拥有有效发明专利", at_least("invention_patents", 1)),
                    M("cert", "本年度通过GB/T 29490认证"),
                ],
                wan(3),
                wan(3),
            )
        ],
        mode="quick",
        once=True,
        tags=("知识产权",),
    )
    c.topic(
        "market_regulation",
        "ip_use",
        "专利导航项目资助",
        src,
        [
            (
                "",
                [
                    D("patents", "有效发明专利不少于20件", at_least("invention_patents", 20)),
                    M("report", "完成产业专利导航报告并通过评审"),
                ],
                wan(20),
                wan(20),
            )
        ],
        tags=("知识产权",),
    )
    c.topic(
        "market_regulation",
        "ladder_specialized",
        "计量与检验检测能力建设补助",
        src,
        [
            (
                f"（{label}）",
                [D("scale", "规模以上工业企业", has("above_scale")), M("cert", label)],
                amount,
                amount,
            )
            for label, amount in (("通过测量管理体系AAA认证", wan(5)), ("新建CNAS认可实验室", wan(20)))
        ],
        once=True,
        tags=("质量基础设施",),
    )


# ---------------------------------------------------------------------------------------------- 资源规划局 (land)
LAND_MEASURES = (
    ("industry_chain", "工业用地弹性年期出让", [D("invest", "项目固定资产投资不低于2亿元", at_least("fixed_investment_fen", wan(20000))), M("term", "按不超过20年弹性年期出让")]),
    ("industry_chain", "工业用地先租后让", [D("young", "成立不满3年", {"<": [var("founded_years"), 3]}), D("chain", "属于重点产业链", {"!!": var("industry_chain")}), M("lease", "租赁期满达产验收后转为出让")]),
    ("industry_smart", "工业上楼容积率奖励", [D("scale", "规模以上工业企业", has("above_scale")), M("plot", "新建厂房容积率不低于2.0")]),
    ("innovation_platform", "研发用地（M0）供应", [D("rd", "上年度研发费用不低于2000万元", at_least("rd_expense_fen", wan(2000))), M("plan", "研发总部项目方案通过评审")]),
    ("industry_chain", "低效用地再开发支持", [D("revenue", "上年度营业收入不低于5000万元", at_least("revenue_fen", wan(5000))), M("redevelop", "在自有工业用地上提高容积率不增收土地价款")]),
    ("open_investment", "重大项目用地预审快办", [D("invest", "项目固定资产投资不低于10亿元", at_least("fixed_investment_fen", wan(100000))), M("list", "列入省市重大项目清单")]),
)  # fmt: skip


def _natural_resources(c: Catalog) -> None:
    for theme, title, criteria in LAND_MEASURES:
        c.topic(
            "natural_resources",
            theme,
            title,
            "昆自然资规〔2024〕2号",
            [("", criteria, 0, None)],
            policy_type="权益",
            kind="land",
            tags=("产业用地",),
        )
    c.topic(
        "natural_resources",
        "services_settle",
        "企业不动产登记“交地即交证”服务",
        "昆自然资规〔2024〕2号",
        [
            (
                "",
                [
                    D(
                        "invest",
                        "新落户项目固定资产投资不低于5000万元",
                        at_least("fixed_investment_fen", wan(5000)),
                    )
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("不动产登记",),
    )


# ---------------------------------------------------------------------------------------------- 科创中心
CONTEST_PRIZES = (("一等奖", wan(50)), ("二等奖", wan(30)), ("三等奖", wan(15)), ("优胜奖", wan(5)))
INNOVATION_SERVICES = (
    ("innovation_transfer", "技术经纪人撮合服务", [D("contract", "有技术需求（已登记技术合同或研发投入）", {"or": [{">": [var("tech_contract_fen"), 0]}, {">": [var("rd_expense_fen"), 0]}]})]),
    ("innovation_rd", "揭榜挂帅榜单发布服务", [D("rd", "上年度研发费用不低于100万元", at_least("rd_expense_fen", wan(100))), M("demand", "提交技术难题")]),
    ("finance_loan", "科技金融对接服务", [D("tech", "科技型中小企业或高新技术企业", {"or": [has("tech_sme"), has("high_tech")]})]),
    ("ladder_high_tech", "高企申报辅导服务", [D("tech", "入库科技型中小企业", has("tech_sme")), D("patents", "拥有有效发明专利", at_least("invention_patents", 1))]),
    ("services_settle", "昆e服诉求代办服务", [M("registered", "在昆注册的企业（以营业执照登记地为准）")]),
    ("innovation_platform", "大型科研仪器共享服务", [D("rd", "上年度发生研发费用", {">": [var("rd_expense_fen"), 0]}), M("booking", "通过共享平台预约仪器")]),
)  # fmt: skip
# 区镇配套 (each 区镇's own amounts): 专精特新 new this year, 首次升规 this year
DISTRICT_SPECIALIZED = dict(zip(DISTRICTS_FOR_DEMO, (20, 20, 15, 10, 10, 10, 8, 8, 8, 5, 5, 6), strict=True))
DISTRICT_ABOVE_SCALE = dict(zip(DISTRICTS_FOR_DEMO, (10, 10, 8, 6, 6, 6, 5, 5, 5, 3, 3, 4), strict=True))


def _innovation_center(c: Catalog) -> None:
    src = "昆科创〔2024〕1号"
    c.topic(
        "innovation_center",
        "talent_innovation",
        "昆山创新创业大赛获奖奖励",
        src,
        [
            (
                f"（{prize}）",
                [
                    D("young", "企业成立不满5年", {"<": [var("founded_years"), 5]}),
                    M("prize", f"获本届大赛{prize}并在昆落户"),
                ],
                amount,
                amount,
            )
            for prize, amount in CONTEST_PRIZES
        ],
        group="startup_contest",
        once=True,
        tags=("创新创业大赛",),
    )
    for theme, title, criteria in INNOVATION_SERVICES:
        c.topic(
            "innovation_center",
            theme,
            title,
            src,
            [("", criteria, 0, None)],
            policy_type="权益",
            mode="quick",
            kind="service",
            tags=("科创服务",),
        )
    c.topic(
        "innovation_center",
        "innovation_transfer",
        "技术转移服务机构绩效奖励",
        src,
        [
            (
                "",
                [
                    D(
                        "contract",
                        "上年度促成技术合同成交额不低于2000万元",
                        at_least("tech_contract_fen", wan(2000)),
                    ),
                    M("rating", "年度绩效评价优秀"),
                ],
                {"min": [share("tech_contract_fen", 0.01), wan(50)]},
                wan(50),
            )
        ],
        tags=("技术转移",),
    )
    c.topic(
        "innovation_center",
        "innovation_transfer",
        "技术经纪人促成交易奖励",
        src,
        [
            (
                "",
                [
                    D("title", "具有技术经纪人职称或证书", {"in": ["技术经纪", var("title")]}),
                    M("deal", "上年度促成技术合同并在昆登记"),
                ],
                wan(2),
                None,
            )
        ],
        beneficiary="talent",
        tags=("技术经纪人",),
    )
    for district, amount in DISTRICT_SPECIALIZED.items():
        c.topic(
            "innovation_center",
            "ladder_specialized",
            f"{district}专精特新企业配套奖励",
            "昆办发〔2022〕67号",
            [
                (
                    "",
                    [
                        D("district", f"注册在{district}", equals("district", district)),
                        D(
                            "new",
                            "本年度新认定为省级专精特新中小企业",
                            has("specialized_sme", "new_qualifications"),
                        ),
                    ],
                    wan(amount),
                    None,
                )
            ],
            mode="automatic",
            once=True,
            tags=("区镇配套", "免申即享"),
        )
    for district, amount in DISTRICT_ABOVE_SCALE.items():
        c.topic(
            "innovation_center",
            "industry_chain",
            f"{district}首次升规企业配套奖励",
            "昆办发〔2022〕67号",
            [
                (
                    "",
                    [
                        D("district", f"注册在{district}", equals("district", district)),
                        D("new", "本年度首次纳入规模以上工业企业", has("above_scale", "new_qualifications")),
                    ],
                    wan(amount),
                    None,
                )
            ],
            mode="automatic",
            once=True,
            tags=("区镇配套", "规上企业", "免申即享"),
        )


# ---------------------------------------------------------------------------------------------- 税务局
def _tax(c: Catalog) -> None:
    c.topic(
        "tax",
        "finance_tax",
        "高新技术企业减按15%税率征收企业所得税",
        "中华人民共和国企业所得税法",
        [
            (
                "",
                [
                    D("high_tech", "有效期内的高新技术企业", has("high_tech")),
                    D("income", "有应纳税所得额", {">": [var("taxable_income_fen"), 0]}),
                ],
                share("taxable_income_fen", 0.1),
                None,
            )
        ],
        policy_type="减免",
        mode="automatic",
        kind="tax",
        tags=("税费减免", "高企", "免申即享"),
    )
    c.topic(
        "tax",
        "finance_tax",
        "技术转让所得减免企业所得税",
        "中华人民共和国企业所得税法",
        [
            (
                "",
                [
                    D("contract", "上年度登记技术转让合同", {">": [var("tech_contract_fen"), 0]}),
                    M("transfer", "技术转让所得经认定登记"),
                ],
                # 500万元以内免征（按25%估算）
                {"*": [{"min": [var("tech_contract_fen"), wan(500)]}, 0.25]},
                None,
            )
        ],
        policy_type="减免",
        mode="quick",
        kind="tax",
        tags=("税费减免", "技术转让"),
    )
    c.topic(
        "tax",
        "finance_tax",
        "先进制造业企业增值税加计抵减",
        "财政部 税务总局公告2023年第43号",
        [
            (
                "",
                [
                    D("high_tech", "高新技术企业中的制造业一般纳税人", has("high_tech")),
                    D("scale", "规模以上工业企业", has("above_scale")),
                ],
                # 按当期可抵扣进项税额加计5%，以营业收入的0.3%估算
                share("revenue_fen", 0.003),
                None,
            )
        ],
        policy_type="减免",
        mode="automatic",
        kind="tax",
        tags=("税费减免", "免申即享"),
    )
    c.topic(
        "tax",
        "finance_tax",
        "集成电路企业所得税减免",
        "财政部 税务总局 发展改革委 工业和信息化部公告2020年第45号",
        [
            (
                f"（{label}）",
                [
                    D("chain", "属于集成电路产业链", equals("industry_chain", "集成电路")),
                    M("line", f"{label}，经发改、工信部门列入清单"),
                ],
                share("taxable_income_fen", rate),
                None,
            )
            for label, rate in (
                ("线宽小于28纳米，十年免征", 0.25),
                ("线宽小于65纳米，前五年免征", 0.24),
                ("线宽小于130纳米，两免三减半", 0.2),
            )
        ],
        policy_type="减免",
        kind="tax",
        group="ic_income_tax",
        tags=("税费减免", "集成电路"),
    )
    c.topic(
        "tax",
        "finance_tax",
        "软件企业所得税两免三减半",
        "财政部 税务总局 发展改革委 工业和信息化部公告2020年第45号",
        [
            (
                "",
                [
                    D(
                        "chain",
                        "属于电子信息或人工智能产业链",
                        one_of("industry_chain", ["电子信息", "人工智能"]),
                    ),
                    D("young", "获利年度起不满5年", {"<": [var("founded_years"), 8]}),
                    M("software", "软件产品开发销售收入占比不低于40%"),
                ],
                share("taxable_income_fen", 0.19),
                None,
            )
        ],
        policy_type="减免",
        kind="tax",
        tags=("税费减免", "软件企业"),
    )
    c.topic(
        "tax",
        "finance_tax",
        "小微企业“六税两费”减半征收",
        "财政部 税务总局公告2023年第6号",
        [
            (
                "",
                [
                    D("size", "从业人数不超过300人", {"<=": [var("employees"), 300]}),
                    D("assets", "资产总额不超过5000万元", {"<=": [var("total_assets_fen"), wan(5000)]}),
                    D("tax", "上年度有纳税额", {">": [var("tax_paid_fen"), 0]}),
                ],
                # 六税两费约占纳税额的一成，减半
                share("tax_paid_fen", 0.05),
                None,
            )
        ],
        policy_type="减免",
        mode="automatic",
        kind="tax",
        tags=("税费减免", "免申即享"),
    )
    c.topic(
        "tax",
        "finance_tax",
        "设备器具一次性税前扣除",
        "财政部 税务总局公告2023年第6号",
        [
            (
                "",
                [
                    D("invest", "新购进设备和软件投资", {">": [var("smart_investment_fen"), 0]}),
                    M("unit", "单位价值不超过500万元"),
                ],
                {"*": [{"min": [var("smart_investment_fen"), wan(500)]}, 0.25]},
                None,
            )
        ],
        policy_type="减免",
        mode="quick",
        kind="tax",
        tags=("税费减免",),
    )
    c.topic(
        "tax",
        "finance_tax",
        "安置残疾人员工资加计扣除",
        "中华人民共和国企业所得税法",
        [
            (
                "",
                [
                    D("employees", "有在职职工", at_least("employees", 1)),
                    M("disabled", "安置残疾人员并支付工资"),
                ],
                wan(1),
                None,
            )
        ],
        policy_type="减免",
        kind="tax",
        tags=("税费减免",),
    )
    c.topic(
        "tax",
        "services_settle",
        "纳税信用A级企业办税便利",
        "财政部 税务总局公告2023年第12号",
        [
            (
                "",
                [
                    D("tax", "上年度纳税额不低于100万元", at_least("tax_paid_fen", wan(100))),
                    M("credit", "纳税信用评价为A级"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("办税便利",),
    )
    c.topic(
        "tax",
        "finance_tax",
        "出口退税快办",
        "财政部 税务总局公告2023年第12号",
        [
            (
                "",
                [
                    D("exporter", "有进出口实绩", {">": [var("export_value_fen"), 0]}),
                    D("tax", "有纳税记录", {">": [var("tax_paid_fen"), 0]}),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("出口退税",),
    )
    c.topic(
        "tax",
        "talent_youth",
        "重点群体创业税费扣减",
        "财政部 税务总局公告2023年第12号",
        [
            (
                "",
                [
                    D("age", "年龄不超过35周岁", {"<=": [var("age"), 35]}),
                    M("graduate", "毕业年度内高校毕业生从事个体经营"),
                ],
                20000 * YUAN,
                None,
            )
        ],
        policy_type="减免",
        beneficiary="talent",
        kind="tax",
        tags=("税费减免", "创业"),
    )


# ---------------------------------------------------------------------------------------------- more topics
DISTRICT_TECH_SME = dict(zip(DISTRICTS_FOR_DEMO, (3, 3, 2, 2, 2, 2, 1.5, 1.5, 1.5, 1, 1, 1.2), strict=True))
GRADUATES = (
    ("doctor", "博士", 40, wan(10)),
    ("master", "硕士", 35, wan(3)),
    ("bachelor", "本科", 30, wan(1)),
)
ENGINEER_TITLES = (("正高级工程师", wan(5)), ("高级工程师", wan(2)), ("工程师", 5000 * YUAN))
HIGH_EARNERS = ((wan(50), 0.03, wan(5)), (wan(100), 0.05, wan(20)), (wan(300), 0.08, wan(100)))
NEW_DRUGS = (("1类创新药", wan(1000)), ("2类改良型新药", wan(300)), ("仿制药一致性评价", wan(100)))


def _more(c: Catalog) -> None:
    # 科创中心: 区镇 配套 for newly registered 科技型中小企业 (each 区镇's own amount)
    for district, amount in DISTRICT_TECH_SME.items():
        c.topic(
            "innovation_center",
            "ladder_high_tech",
            f"{district}科技型中小企业入库配套奖励",
            "昆办发〔2022〕67号",
            [
                (
                    "",
                    [
                        D("district", f"注册在{district}", equals("district", district)),
                        D("new", "本年度新入库科技型中小企业", has("tech_sme", "new_qualifications")),
                    ],
                    wan(amount),
                    None,
                )
            ],
            mode="automatic",
            once=True,
            tags=("区镇配套", "科技型中小企业", "免申即享"),
        )
    # 人才办: 青年人才来昆就业一次性补贴 by degree; 高端紧缺人才个人所得税奖励 by salary
    c.topic(
        "talent_office",
        "talent_youth",
        "青年人才来昆就业一次性补贴",
        "昆人才〔2022〕2号",
        [
            (
                f"（{label}）",
                [
                    D("degree", f"{label}学历", equals("education", degree)),
                    D("age", f"年龄不超过{age}周岁", {"<=": [var("age"), age]}),
                    D("arrived", "本年度首次来昆就业", {"!!": var("arrived_in_period")}),
                ],
                amount,
                None,
            )
            for degree, label, age, amount in GRADUATES
        ],
        beneficiary="talent",
        mode="automatic",
        group="graduate_arrival",
        once=True,
        tags=("青年人才", "免申即享"),
    )
    c.topic(
        "talent_office",
        "finance_tax",
        "高端紧缺人才个人所得税贡献奖励",
        "昆人才〔2024〕1号",
        [
            (
                f"（年薪{low // WAN}万元以上）",
                [
                    D("salary", f"年薪不低于{low // WAN}万元", at_least("annual_salary_fen", low)),
                    D("class", "经认定的A–C类人才", one_of("talent_class", ["A", "B", "C"])),
                ],
                share("annual_salary_fen", rate),
                cap,
            )
            for low, rate, cap in HIGH_EARNERS
        ],
        beneficiary="talent",
        mode="automatic",
        group="income_tax_award",
        tags=("个税奖励", "免申即享"),
    )
    c.topic(
        "talent_office",
        "talent_top",
        "卓越工程师职称评定奖励",
        "昆人才〔2023〕3号",
        [
            (
                f"（{title}）",
                [
                    D("title", f"本年度取得{title}职称", equals("title", title)),
                    D(
                        "employer",
                        "所在单位为规上企业或高新技术企业",
                        {
                            "or": [
                                has("above_scale", "employer_qualifications"),
                                has("high_tech", "employer_qualifications"),
                            ]
                        },
                    ),
                ],
                amount,
                None,
            )
            for title, amount in ENGINEER_TITLES
        ],
        beneficiary="talent",
        mode="quick",
        group="engineer_title",
        once=True,
        tags=("卓越工程师",),
    )
    # 卫健委: 新药 by class
    c.topic(
        "health",
        "industry_chain",
        "新药上市奖励",
        "昆卫健〔2024〕2号",
        [
            (
                f"（{kind}）",
                [
                    D("chain", "属于生物医药产业链", equals("industry_chain", "生物医药")),
                    D("rd", "上年度研发费用不低于500万元", at_least("rd_expense_fen", wan(500))),
                    M("approval", f"本年度取得{kind}批件并在昆生产"),
                ],
                amount,
                amount,
            )
            for kind, amount in NEW_DRUGS
        ],
        group="new_drug",
        once=True,
        tags=("生物医药",),
    )
    c.topic(
        "health",
        "talent_youth",
        "全科医生岗位津贴",
        "昆卫健〔2024〕2号",
        [
            (
                "",
                [
                    D("title", "具有全科医师资格", {"in": ["全科", var("title")]}),
                    D("years", "在昆基层医疗机构工作满1年", at_least("years_in_kunshan", 1)),
                ],
                {"*": [1000 * YUAN, 12]},
                None,
            )
        ],
        beneficiary="talent",
        mode="quick",
        tags=("卫生人才",),
    )
    # 资源规划局: more land measures
    for theme, title, criteria in (
        (
            "industry_chain",
            "新型产业用地（M1+）供应",
            [
                D("ratio", "研发费用占营业收入比例不低于3%", at_least("rd_ratio", 0.03)),
                D("chain", "属于重点产业链", {"!!": var("industry_chain")}),
                M("plan", "项目方案通过产业准入评审"),
            ],
        ),
        (
            "industry_chain",
            "标准厂房优先租赁",
            [
                D("young", "成立不满5年", {"<": [var("founded_years"), 5]}),
                D("size", "职工人数不超过300人", {"<=": [var("employees"), 300]}),
            ],
        ),
    ):
        c.topic(
            "natural_resources",
            theme,
            title,
            "昆自然资规〔2024〕2号",
            [("", criteria, 0, None)],
            policy_type="权益",
            kind="land",
            tags=("产业用地",),
        )
    # 财政局: 风险补偿与担保降费 (services)
    c.topic(
        "finance",
        "finance_loan",
        "苏科贷风险补偿资金池",
        "昆财规〔2024〕2号",
        [
            (
                "",
                [
                    D("tech", "入库科技型中小企业", has("tech_sme")),
                    D("size", "上年度营业收入不超过2亿元", {"<=": [var("revenue_fen"), wan(20000)]}),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("科技金融",),
    )
    c.topic(
        "finance",
        "finance_loan",
        "政府性融资担保降费",
        "昆财规〔2024〕2号",
        [
            (
                "",
                [
                    D("size", "小微企业（职工人数不超过100人）", {"<=": [var("employees"), 100]}),
                    D("revenue", "上年度营业收入不超过5000万元", {"<=": [var("revenue_fen"), wan(5000)]}),
                    M("guarantee", "由政府性融资担保机构担保"),
                ],
                0,
                None,
            )
        ],
        policy_type="权益",
        mode="quick",
        kind="service",
        tags=("担保费",),
    )
    # 发改委: 数据中心节能
    c.topic(
        "development_reform",
        "industry_smart",
        "数据中心绿色化改造补助",
        "昆发改〔2024〕7号",
        [
            (
                "",
                [
                    D(
                        "chain",
                        "属于电子信息或人工智能产业链",
                        one_of("industry_chain", ["电子信息", "人工智能"]),
                    ),
                    D("invest", "节能改造投资不低于200万元", at_least("green_investment_fen", wan(200))),
                    M("pue", "改造后PUE不高于1.3"),
                ],
                {"min": [share("green_investment_fen", 0.15), wan(100)]},
                wan(100),
            )
        ],
        tags=("绿色低碳",),
    )
    # 市场监管局: 首席质量官, 江苏精品
    c.topic(
        "market_regulation",
        "ladder_specialized",
        "首席质量官履职奖励",
        "昆市监规〔2024〕1号",
        [
            (
                "",
                [
                    D("title", "具有工程师及以上职称", {"in": ["工程师", var("title")]}),
                    D("employer", "所在单位为规上企业", has("above_scale", "employer_qualifications")),
                    M("cqo", "经备案的企业首席质量官"),
                ],
                wan(1),
                None,
            )
        ],
        beneficiary="talent",
        tags=("质量品牌",),
    )
    c.topic(
        "market_regulation",
        "ladder_specialized",
        "“江苏精品”认证奖励",
        "昆市监规〔2024〕1号",
        [
            (
                "",
                [
                    D("revenue", "上年度营业收入不低于5000万元", at_least("revenue_fen", wan(5000))),
                    D("patents", "有效发明专利不少于3件", at_least("invention_patents", 3)),
                    M("cert", "本年度通过“江苏精品”认证"),
                ],
                wan(20),
                wan(20),
            )
        ],
        once=True,
        tags=("质量品牌",),
    )
    # 商务局: 先进技术设备进口贴息, 首次出口企业
    c.topic(
        "commerce",
        "open_trade",
        "先进技术设备进口贴息",
        "昆商务〔2024〕4号",
        [
            (
                "",
                [
                    D(
                        "invest",
                        "进口设备用于智能化改造不低于1000万元",
                        at_least("smart_investment_fen", wan(1000)),
                    ),
                    D("interest", "上年度设备贷款已付利息", {">": [var("loan_interest_fen"), 0]}),
                    M("catalog", "设备列入鼓励进口技术和产品目录"),
                ],
                share("loan_interest_fen", 0.5),
                wan(100),
            )
        ],
        tags=("外贸", "贴息"),
    )
    c.topic(
        "commerce",
        "open_trade",
        "外贸新主体首单出口奖励",
        "昆商务〔2024〕4号",
        [
            (
                "",
                [
                    D("young", "成立不满2年", {"<": [var("founded_years"), 2]}),
                    D("value", "上年度实现进出口额不低于100万元", at_least("export_value_fen", wan(100))),
                ],
                wan(2),
                None,
            )
        ],
        mode="automatic",
        once=True,
        tags=("外贸", "免申即享"),
    )
    # 工信局: 服务型制造示范 by level
    c.topic(
        "industry_it",
        "industry_chain",
        "服务型制造示范奖励",
        "昆工信〔2024〕5号",
        [
            (
                f"（{level}）",
                [
                    D("revenue", "上年度营业收入不低于2亿元", at_least("revenue_fen", wan(20000) * (2 - j))),
                    M("level", f"本年度新认定为{level}服务型制造示范企业"),
                ],
                amount,
                amount,
            )
            for j, (level, amount) in enumerate((("国家级", wan(100)), ("省级", wan(50))))
        ],
        group="service_manufacturing",
        once=True,
        tags=("服务型制造",),
    )
    # 金融办: 新三板分层, 区域股权市场
    c.topic(
        "financial_office",
        "finance_listing",
        "新三板挂牌分层奖励",
        "昆金发〔2024〕3号",
        [
            (
                f"（{tier}）",
                [
                    D("stage", "已在新三板挂牌", equals("listing_stage", "neeq")),
                    M("tier", f"本年度进入新三板{tier}"),
                ],
                amount,
                amount,
            )
            for tier, amount in (("创新层", wan(30)), ("基础层", wan(10)))
        ],
        group="neeq_tier",
        once=True,
        tags=("上市挂牌",),
    )
    c.topic(
        "financial_office",
        "finance_listing",
        "区域性股权市场挂牌奖励",
        "昆金发〔2024〕3号",
        [
            (
                "",
                [
                    D("stage", "已完成股份制改造", equals("listing_stage", "shareholding")),
                    M("board", "本年度在苏州股权交易中心专精特新板挂牌"),
                ],
                wan(10),
                wan(10),
            )
        ],
        once=True,
        tags=("上市挂牌",),
    )
    # 教育局: 实习 per head; 人社局: 技师引进; 科技局: 科技副总
    c.topic(
        "education",
        "skills_training",
        "企业接收职业院校学生实习补贴（按人计发）",
        "昆教〔2024〕2号",
        [
            (
                "",
                [
                    D("trainees", "上年度接收实习学生不少于10人", at_least("trainees", 10)),
                    M("agreement", "与学校签订三方实习协议"),
                ],
                {"*": [var("trainees"), 300 * YUAN]},
                wan(10),
            )
        ],
        mode="quick",
        tags=("产教融合",),
    )
    c.topic(
        "hr_social",
        "skills_allowance",
        "技师引进奖励",
        "昆人社规〔2022〕4号",
        [
            (
                "",
                [
                    D("level", "取得技师职业资格", equals("skill_level", "技师")),
                    D("arrived", "本年度引进来昆工作", {"!!": var("arrived_in_period")}),
                ],
                wan(2),
                None,
            )
        ],
        beneficiary="talent",
        mode="automatic",
        once=True,
        tags=("高技能人才", "免申即享"),
    )
    c.topic(
        "sci_tech",
        "innovation_transfer",
        "科技副总（产业教授）柔性引进资助",
        "昆科规〔2024〕3号",
        [
            (
                "",
                [
                    D(
                        "title",
                        "具有教授或研究员职称",
                        {"or": [{"in": ["教授", var("title")]}, {"in": ["研究员", var("title")]}]},
                    ),
                    M("post", "受聘担任在昆企业科技副总满1年"),
                ],
                wan(10),
                None,
            )
        ],
        beneficiary="talent",
        tags=("产业教授",),
    )


def _financing_subsidies(c: Catalog) -> None:
    """贴、保 of 拨·投·保·贷·贴, 免申即享: read the financings svc-matching reports closed (period variables), so
    a loan is subsidised in its closing year, once, without an application, within each item's cap; a loan closing
    after the period's entitlement gets a supplement (补充认定, entitlements/loans.py)."""
    src = "昆金发〔2022〕12号"
    for title, variable, label, rate, cap, tags in (
        (
            "知识产权质押贷款贴息（免申即享）",
            "ip_pledge_interest_unsubsidised_fen",
            "本年度放款、尚未享受贴息的知识产权质押贷款（合作银行登记，按贷款编号核对）",
            0.5,
            wan(50),
            ("知识产权", "贴息", "免申即享", "科技金融"),
        ),
        (
            "融资担保费补贴（免申即享）",
            "guarantee_fee_in_period_fen",
            "本年度放款的融资已付担保费（合作担保机构登记）",
            0.5,
            wan(30),
            ("担保费", "免申即享", "科技金融"),
        ),
        (
            "人才创业保、科技保险保费补贴（免申即享）",
            "insurance_premium_in_period_fen",
            "本年度投保人才创业保或科技保险（合作保险机构登记）",
            0.5,
            wan(10),
            ("保费", "免申即享", "科技金融"),
        ),
    ):
        c.topic(
            "financial_office",
            "finance_loan",
            title,
            src,
            [("", [D("financing", label, {">": [var(variable), 0]})], share(variable, rate), cap)],
            mode="automatic",
            tags=tags,
        )


def more_items() -> list[dict[str, Any]]:
    c = Catalog()
    for build in (
        _talent_office,
        _hr_social,
        _sci_tech,
        _industry_it,
        _commerce,
        _development_reform,
        _finance,
        _education,
        _housing,
        _health,
        _financial_office,
        _market_regulation,
        _natural_resources,
        _innovation_center,
        _tax,
        _more,
        _financing_subsidies,
    ):
        build(c)
    return c.items

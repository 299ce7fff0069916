"""The maintained reference lists an enterprise file is checked against.

Industry chains follow Kunshan's "2+6+X" layout: two pillar industries (电子信息, 装备制造), six strategic
emerging chains, and X frontier fields. Officers extend the X list here when the city adds a field; the code
(left) is what events and filters carry, the label (right) is what people read.
"""

from __future__ import annotations

# 区镇: the development zones and towns of Kunshan.
DISTRICTS: tuple[str, ...] = (
    "开发区",
    "高新区",
    "花桥",
    "周市",
    "陆家",
    "张浦",
    "巴城",
    "千灯",
    "淀山湖",
    "锦溪",
    "周庄",
    "旅游度假区",
)

PILLAR_CHAINS = ("电子信息", "装备制造")
STRATEGIC_CHAINS = ("集成电路", "新型显示", "新能源汽车", "智能制造", "生物医药", "新能源新材料")
FRONTIER_CHAINS = ("元宇宙", "人工智能", "商业航天", "低空经济", "量子科技", "人形机器人")
INDUSTRY_CHAINS: tuple[str, ...] = PILLAR_CHAINS + STRATEGIC_CHAINS + FRONTIER_CHAINS

# Names officers write in spreadsheets → the chain they belong to.
CHAIN_ALIASES: dict[str, str] = {
    "光电显示": "新型显示",
    "智能网联汽车": "新能源汽车",
    "高端装备": "智能制造",
    "小核酸": "生物医药",
    "新能源": "新能源新材料",
    "新材料": "新能源新材料",
}

QUALIFICATIONS: dict[str, str] = {
    "tech_sme": "科技型中小企业",
    "high_tech": "高新技术企业",
    "specialized_sme": "专精特新中小企业（省级）",
    "little_giant": "专精特新“小巨人”",
    "gazelle": "瞪羚企业",
    "unicorn_candidate": "独角兽培育企业",
    "above_scale": "规模以上企业",
    "listed": "上市企业",
}

PLATFORMS: dict[str, str] = {
    "postdoc_station": "博士后工作站",
    "engineering_center": "工程技术研究中心",
    "enterprise_tech_center": "企业技术中心",
    "key_lab": "重点实验室",
    "academician_station": "院士工作站",
    "new_rd_institution": "新型研发机构",
}


def normalize_chain(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    return CHAIN_ALIASES.get(value, value)

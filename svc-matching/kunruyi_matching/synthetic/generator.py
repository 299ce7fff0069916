"""Realistic synthetic Chinese supply data at any size: experts, institutes / universities, results, parks.

Text is written from the taxonomy's keywords (each record mostly about its own field, with a little vocabulary
from a neighbouring field of the same category as noise), organisations and regions are drawn with Kunshan / Shanghai / 长三角 weights.
The same seed gives the same records, so benchmarks and the evaluation set are reproducible.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kunruyi_matching.taxonomy.data import TECHNICAL_FIELDS, TechnicalField

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红波鹏辉宇浩然思远晨曦嘉欣子轩雨泽梓涵博文俊杰天佑"
UNIVERSITIES = (
    "复旦大学",
    "上海交通大学",
    "同济大学",
    "华东理工大学",
    "上海大学",
    "东南大学",
    "南京大学",
    "苏州大学",
    "浙江大学",
    "中国科学技术大学",
    "昆山杜克大学",
    "西交利物浦大学",
    "南京理工大学",
    "江南大学",
    "清华大学",
    "北京大学",
    "哈尔滨工业大学",
    "西安交通大学",
    "华中科技大学",
    "电子科技大学",
)
INSTITUTES = (
    "中国科学院苏州纳米技术与纳米仿生研究所",
    "中国科学院上海微系统与信息技术研究所",
    "昆山工业技术研究院",
    "江苏省产业技术研究院",
    "上海集成电路研发中心",
    "中国科学院上海药物研究所",
    "清华大学昆山研究院",
    "中国电子科技集团第五十五研究所",
    "昆山小核酸产业研究院",
    "长三角先进材料研究院",
    "苏州实验室",
)
COMPANIES = ("昆山{}科技有限公司", "苏州{}电子股份有限公司", "上海{}半导体有限公司", "江苏{}新材料有限公司")
COMPANY_WORDS = "华鼎 龙腾 瑞丰 精研 芯海 鸿泰 恒达 博远 新程 睿智 晶耀 汇川 正源 领航 启明 天成".split()
REGIONS = (
    ("昆山", 30),
    ("上海", 25),
    ("苏州", 12),
    ("南京", 6),
    ("无锡", 4),
    ("杭州", 5),
    ("合肥", 3),
    ("常州", 2),
    ("宁波", 2),
    ("北京", 5),
    ("深圳", 4),
    ("武汉", 1),
    ("成都", 1),
)
TITLES = ("教授", "研究员", "副教授", "高级工程师", "正高级工程师", "副研究员", "首席科学家", "技术总监")
PARKS = ("昆山高新区{}产业园", "花桥{}创新港", "昆山开发区{}科创园", "{}产业创新中心", "阳澄湖{}科技园")
EXPERT_TEMPLATES = (
    "长期从事{a}与{b}研究，主持{c}相关国家重点研发计划项目，擅长{d}，服务长三角企业技术攻关。",
    "{a}方向专家，在{b}、{c}方面拥有十余年研发经验，曾带领团队完成{d}产业化。",
    "研究方向：{a}；{b}；{c}。发表论文五十余篇，授权发明专利二十项，熟悉{d}工艺与量产。",
)
RESULT_TEMPLATES = (
    "本发明公开了一种{a}的{kind}，涉及{b}技术领域，通过{c}提升良率与可靠性，适用于{d}。",
    "一种基于{a}的{kind}，包括{b}模块和{c}单元，解决了{d}中的关键难题。",
)
INSTITUTE_TEMPLATES = ("{org}{a}研究中心，聚焦{b}、{c}与{d}，拥有中试平台和检测能力，可承接企业委托研发。",)
PARK_TEMPLATES = ("{name}，重点集聚{a}、{b}产业链企业，提供{c}公共技术服务平台和{d}中试基地。",)


_NEIGHBOURS = {
    f.code: tuple(g for g in TECHNICAL_FIELDS if g.category == f.category) or (f,) for f in TECHNICAL_FIELDS
}


def _weighted_region(rng: random.Random) -> str:
    total = sum(w for _, w in REGIONS)
    x = rng.uniform(0, total)
    for region, w in REGIONS:
        x -= w
        if x <= 0:
            return region
    return REGIONS[0][0]


def _fill(
    template: str, rng: random.Random, field: TechnicalField, noise: TechnicalField, **extra: str
) -> str:
    words = rng.sample(field.keywords, k=min(3, len(field.keywords)))
    words.append(rng.choice(noise.keywords) if rng.random() < 0.35 else rng.choice(field.keywords))
    return template.format(a=words[0], b=words[1], c=words[2], d=words[3], **extra)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate_record(i: int, rng: random.Random, field: TechnicalField | None = None) -> dict[str, Any]:
    """Record number ``i``: kind by position (50 % experts, 35 % results, 10 % institutes, 5 % parks)."""
    slot = i % 20
    field = field or rng.choice(TECHNICAL_FIELDS)
    # Overlap comes from a neighbouring field of the same category (封装 next to 芯片设计), not from any field: a
    # packaging expert "completing solid-state battery industrialisation" reads wrong.
    noise = rng.choice(_NEIGHBOURS[field.code])
    region = _weighted_region(rng)
    base: dict[str, Any] = {"industry_chain": field.chain, "region": region}
    if slot < 10:
        org = (
            rng.choice(UNIVERSITIES + INSTITUTES)
            if rng.random() < 0.7
            else rng.choice(COMPANIES).format(rng.choice(COMPANY_WORDS))
        )
        return base | {
            "kind": "expert",
            "natural_key": f"EXP{i:09d}",
            "name": person_name(rng),
            "summary": _fill(rng.choice(EXPERT_TEMPLATES), rng, field, noise),
            "organization": org,
            "technical_field": field.code,
            "attributes": {"title": rng.choice(TITLES)},
        }
    if slot < 17:
        kind_word = rng.choice(("方法", "装置", "系统", "材料", "工艺"))
        kw = rng.choice(field.keywords)
        return base | {
            "kind": "result",
            "natural_key": f"CN{2015 + i % 11}1{i:09d}",
            "name": f"一种{kw}{kind_word}",
            "summary": _fill(rng.choice(RESULT_TEMPLATES), rng, field, noise, kind=kind_word),
            "organization": rng.choice(UNIVERSITIES + INSTITUTES),
            "ipc_class": f"{rng.choice(field.ipc)} {rng.randint(1, 99)}/{rng.randint(10, 99)}",
            "maturity": rng.randint(1, 9),
            "technical_field": field.code,
        }
    if slot < 19:
        org = rng.choice(UNIVERSITIES + INSTITUTES)
        return base | {
            "kind": "institute",
            "natural_key": f"INS{i:09d}",
            "name": f"{org}{field.name}研究中心",
            "summary": _fill(rng.choice(INSTITUTE_TEMPLATES), rng, field, noise, org=org),
            "organization": org,
            "technical_field": field.code,
        }
    name = rng.choice(PARKS).format(field.name)
    return base | {
        "kind": "park",
        "natural_key": f"PRK{i:09d}",
        "name": name,
        "summary": _fill(rng.choice(PARK_TEMPLATES), rng, field, noise, name=name),
        "organization": None,
        "technical_field": field.code,
        "region": rng.choice(("昆山", "昆山", "苏州", "上海")),
    }


def generate(count: int, seed: int = 2026) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for i in range(count):
        yield generate_record(i, rng)


def write_jsonl(path: Path, count: int, seed: int = 2026, *, progress: bool = True) -> int:
    with path.open("w", encoding="utf-8") as fh:
        for record in tqdm(
            generate(count, seed), total=count, disable=not progress, unit="条", desc="生成供给数据"
        ):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count

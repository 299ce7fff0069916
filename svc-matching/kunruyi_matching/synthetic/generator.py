"""Realistic synthetic Chinese supply data at any size: experts, institutes / universities, results, parks.

Profiles are written from per-field knowledge (``field_knowledge.txt``: research lines, processes, equipment,
materials, problems, standards, products, English abbreviations, fitting organisations and neighbouring fields),
not from a few templates: each record draws its sentences from a pool of sentence shapes and its content from its
field's lists, so profiles read like real ones ("研究方向：扇出型晶圆级封装、RDL…；主持…；熟悉塑封压机…，执行
JEDEC JESD22"). What makes the corpus hard on purpose:

- overlap and ambiguity across chains: about a third of the records borrow a line from a neighbouring field
  listed under ``near`` (a composites chemist who made drone arms, a coating lab serving catheter makers);
- abbreviations and English terms mixed in: a term with an abbreviation is written as the abbreviation, the
  Chinese term, or both ("扇出型晶圆级封装（FOWLP）");
- near-duplicates: about 4 % of the records re-use the summary of another record of their field and kind (the
  same profile listed by two sources), under their own name, key, organisation and region;
- uneven quality by source: about 15 % are terse (one line of keywords, as scraped from a directory).

Organisations and regions are drawn with Kunshan / Shanghai / 长三角 weights. The same seed gives the same records,
so benchmarks and the evaluation set are reproducible; generation is per record, so 1 M records stream.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kunruyi_matching.taxonomy.data import FIELDS_BY_CODE, TECHNICAL_FIELDS, TechnicalField

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
KNOWLEDGE_FILE = "field_knowledge.txt"
KEYS = (
    "lines",
    "processes",
    "equipment",
    "materials",
    "problems",
    "standards",
    "products",
    "abbr",
    "orgs",
    "near",
)
BORROW_SHARE = 0.33
NEAR_DUPLICATE_SHARE = 0.04
TERSE_SHARE = 0.15


@dataclass(frozen=True)
class FieldKnowledge:
    code: str
    lines: tuple[str, ...]
    processes: tuple[str, ...]
    equipment: tuple[str, ...]
    materials: tuple[str, ...]
    problems: tuple[str, ...]
    standards: tuple[str, ...]
    products: tuple[str, ...]
    abbr: dict[str, str]  # Chinese term → abbreviation
    orgs: tuple[str, ...]
    near: tuple[str, ...]


def parse_knowledge(text: str) -> dict[str, FieldKnowledge]:
    blocks: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = blocks.setdefault(line[1:-1], {})
            continue
        key, sep, rest = line.partition(":")
        if current is None or not sep or key.strip() not in KEYS:
            raise ValueError(f"field_knowledge.txt: expected '[code]' or 'key: a | b': {line}")
        current[key.strip()] = [item.strip() for item in rest.split("|") if item.strip()]
    out: dict[str, FieldKnowledge] = {}
    for code, items in blocks.items():
        missing = [k for k in KEYS if not items.get(k)]
        if missing:
            raise ValueError(f"field_knowledge.txt: [{code}] lacks {', '.join(missing)}")
        abbr = {}
        for pair in items["abbr"]:
            short, sep, term = pair.partition("=")
            if not sep:
                raise ValueError(f"field_knowledge.txt: [{code}] abbr must read ABBR=中文: {pair}")
            abbr[term.strip()] = short.strip()
        out[code] = FieldKnowledge(
            code=code,
            lines=tuple(items["lines"]),
            processes=tuple(items["processes"]),
            equipment=tuple(items["equipment"]),
            materials=tuple(items["materials"]),
            problems=tuple(items["problems"]),
            standards=tuple(items["standards"]),
            products=tuple(items["products"]),
            abbr=abbr,
            orgs=tuple(items["orgs"]),
            near=tuple(items["near"]),
        )
    return out


@lru_cache(maxsize=1)
def knowledge() -> dict[str, FieldKnowledge]:
    text = resources.files("kunruyi_matching.synthetic").joinpath(KNOWLEDGE_FILE).read_text(encoding="utf-8")
    return parse_knowledge(text)


def _weighted_region(rng: random.Random) -> str:
    total = sum(w for _, w in REGIONS)
    x = rng.uniform(0, total)
    for region, w in REGIONS:
        x -= w
        if x <= 0:
            return region
    return REGIONS[0][0]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _pick(rng: random.Random, items: tuple[str, ...], k: int) -> list[str]:
    return rng.sample(items, k=min(k, len(items)))


class _Writer:
    """Writes one record's sentences from its field's knowledge (and a neighbour's, when it borrows)."""

    def __init__(self, rng: random.Random, field: TechnicalField) -> None:
        self.rng = rng
        self.field = field
        self.k = knowledge()[field.code]
        near = [knowledge()[c] for c in self.k.near if c in knowledge()]
        self.borrowed = rng.choice(near) if near and rng.random() < BORROW_SHARE else None
        self.used: set[str] = set()

    def _fresh(self, items: tuple[str, ...], k: int) -> list[str]:
        """``k`` of ``items`` not yet written in this record (a profile does not repeat itself)."""
        fresh = tuple(w for w in items if w not in self.used) or items
        picked = _pick(self.rng, fresh, k)
        self.used.update(picked)
        return picked

    def term(self, word: str) -> str:
        """A term as a profile writes it: Chinese, the abbreviation, or both."""
        short = self.k.abbr.get(word) or (self.borrowed.abbr.get(word) if self.borrowed else None)
        if short is None:
            return word
        x = self.rng.random()
        return short if x < 0.3 else f"{word}（{short}）" if x < 0.55 else word

    def some(self, key: str, k: int) -> str:
        items: tuple[str, ...] = getattr(self.k, key)
        return "、".join(self.term(w) for w in self._fresh(items, k))

    def keywords(self, k: int) -> list[str]:
        return self._fresh(tuple(self.field.keywords), k)

    def borrowed_line(self) -> str:
        if self.borrowed is None:
            return ""
        b = self.borrowed
        shape = self.rng.choice(
            (
                "兼做{line}方向的{process}研究。",
                "曾为{product}项目提供{material}方案。",
                "与{line}团队合作开展{process}攻关。",
            )
        )
        return shape.format(
            line=self.term(self.rng.choice(b.lines)),
            process=self.term(self.rng.choice(b.processes)),
            product=self.rng.choice(b.products),
            material=self.term(self.rng.choice(b.materials)),
        )


def _expert_summary(w: _Writer) -> str:
    rng = w.rng
    kw = w.keywords(2)
    if rng.random() < TERSE_SHARE:
        return "，".join([*kw, w.some("lines", 1), w.some("processes", 1)])
    sentences = [
        rng.choice(
            (
                f"研究方向：{'、'.join(kw)}；{w.some('lines', 2)}。",
                f"长期从事{kw[0]}与{w.some('lines', 1)}研究，近年聚焦{w.some('lines', 1)}。",
                f"{w.some('lines', 1)}方向负责人，主攻{'、'.join(kw)}。",
            )
        ),
        rng.choice(
            (
                f"擅长{w.some('processes', 2)}，熟悉{w.some('equipment', 2)}的使用与调试。",
                f"掌握{w.some('processes', 3)}等工艺，有{w.some('materials', 1)}量产经验。",
                f"在{w.some('materials', 2)}方面积累多年，解决过{w.some('problems', 1)}等问题。",
            )
        ),
    ]
    if rng.random() < 0.7:
        sentences.append(
            rng.choice(
                (
                    f"主持{rng.choice(w.k.products)}相关项目，帮助企业解决{w.some('problems', 2)}。",
                    f"代表项目：{rng.choice(w.k.products)}的{w.some('processes', 1)}开发，"
                    f"攻克{w.some('problems', 1)}难题。",
                    f"为长三角多家企业提供{w.some('processes', 1)}与{w.some('problems', 1)}诊断服务。",
                )
            )
        )
    if rng.random() < 0.4:
        sentences.append(f"熟悉{w.some('standards', 2)}等标准。")
    sentences.append(w.borrowed_line())
    return "".join(sentences)


def _result_summary(w: _Writer, title_term: str, kind_word: str) -> str:
    rng = w.rng
    kw = w.keywords(2)
    if rng.random() < TERSE_SHARE:
        return f"一种{title_term}{kind_word}，涉及{'、'.join(kw)}。"
    return "".join(
        (
            f"本发明公开了一种{title_term}{kind_word}，属于{kw[0]}技术领域。",
            rng.choice(
                (
                    f"针对{w.some('problems', 1)}的问题，",
                    f"为解决现有{w.some('processes', 1)}中{w.some('problems', 1)}的不足，",
                )
            ),
            rng.choice(
                (
                    f"采用{w.some('processes', 2)}，以{w.some('materials', 1)}为关键材料，",
                    f"在{w.some('equipment', 1)}上通过{w.some('processes', 1)}，",
                )
            ),
            f"提升良率与可靠性，可用于{rng.choice(w.k.products)}及{kw[-1]}。",
            f"测试符合{w.some('standards', 1)}。" if rng.random() < 0.4 else "",
            w.borrowed_line() if rng.random() < 0.5 else "",
        )
    )


def _institute_summary(w: _Writer, org: str) -> str:
    rng = w.rng
    return "".join(
        (
            f"{org}聚焦{'、'.join(w.keywords(2))}与{w.some('lines', 2)}，",
            f"建有{w.some('equipment', 2)}等平台，",
            rng.choice(
                (
                    f"可承接{w.some('processes', 2)}委托研发与中试。",
                    f"提供{w.some('processes', 1)}检测和{w.some('standards', 1)}认证测试服务。",
                )
            ),
            w.borrowed_line(),
        )
    )


def generate_record(i: int, rng: random.Random, field: TechnicalField | None = None) -> dict[str, Any]:
    """Record number ``i``: kind by position (50 % experts, 35 % results, 10 % institutes, 5 % parks)."""
    slot = i % 20
    field = field or rng.choice(TECHNICAL_FIELDS)
    region = _weighted_region(rng)
    base: dict[str, Any] = {"industry_chain": field.chain, "region": region}
    # A near-duplicate: the content comes from one of a few shared seeds of this field and kind (the same profile
    # listed by two sources); names, keys and regions stay this record's own.
    content = (
        random.Random(f"{field.code}-{slot // 10}-{rng.randrange(40)}")
        if rng.random() < NEAR_DUPLICATE_SHARE
        else rng
    )
    w = _Writer(content, field)
    k = w.k
    if slot < 10:
        x = rng.random()
        org = (
            rng.choice(k.orgs)
            if x < 0.55
            else rng.choice(UNIVERSITIES + INSTITUTES)
            if x < 0.85
            else rng.choice(COMPANIES).format(rng.choice(COMPANY_WORDS))
        )
        return base | {
            "kind": "expert",
            "natural_key": f"EXP{i:09d}",
            "name": person_name(rng),
            "summary": _expert_summary(w),
            "organization": org,
            "technical_field": field.code,
            "attributes": {"title": rng.choice(TITLES)},
        }
    if slot < 17:
        kind_word = content.choice(("方法", "装置", "系统", "材料", "工艺"))
        title_term = content.choice(k.materials + k.processes + k.equipment + tuple(field.keywords))
        return base | {
            "kind": "result",
            "natural_key": f"CN{2015 + i % 11}1{i:09d}",
            "name": f"一种{title_term}{kind_word}",
            "summary": _result_summary(w, title_term, kind_word),
            "organization": rng.choice(k.orgs + UNIVERSITIES + INSTITUTES),
            "ipc_class": f"{rng.choice(field.ipc)} {rng.randint(1, 99)}/{rng.randint(10, 99)}",
            "maturity": rng.randint(1, 9),
            "technical_field": field.code,
        }
    if slot < 19:
        org = rng.choice(k.orgs + INSTITUTES)
        centre = rng.choice(("研究中心", "重点实验室", "中试平台", "工程技术研究中心"))
        return base | {
            "kind": "institute",
            "natural_key": f"INS{i:09d}",
            "name": f"{org}{rng.choice(k.lines)}{centre}",
            "summary": _institute_summary(w, org),
            "organization": org,
            "technical_field": field.code,
        }
    name = rng.choice(PARKS).format(field.name)
    return base | {
        "kind": "park",
        "natural_key": f"PRK{i:09d}",
        "name": name,
        "summary": f"{name}，重点集聚{'、'.join(w.keywords(2))}产业链企业，"
        f"提供{w.some('equipment', 2)}等公共技术服务平台和{w.some('processes', 1)}中试基地。",
        "organization": None,
        "technical_field": field.code,
        "region": rng.choice(("昆山", "昆山", "苏州", "上海")),
    }


def missing_knowledge() -> list[str]:
    """Fields of the taxonomy without a knowledge block (should be none)."""
    return [code for code in FIELDS_BY_CODE if code not in knowledge()]


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

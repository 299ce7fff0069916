"""Talent class A–E (人才分类), derived from the profile; the first rule that matches wins.

- A 顶尖人才: a national-level program (国家重大人才工程), or an academician (院士).
- B 领军人才: a provincial-level program (省双创 …), or a doctor holding a full-senior title (正高级).
- C 高端人才: a city-level program (姑苏领军 …), or a full-senior title, or a doctor with overseas experience.
- D 骨干人才: a county-level program (昆山双创, 头雁人才, 卓越工程师 …), or a doctor, or a vice-senior title
  (副高级 / 高级工程师), or the skill level 高级技师.
- E 青年人才: a master, a bachelor with overseas experience, or the skill level 技师.
- none of these: no class (None).

Program levels come with each program; well-known program names fill in a missing level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PROGRAM_LEVELS: dict[str, str] = {
    "国家重大人才工程": "national",
    "国家级领军人才": "national",
    "省双创": "provincial",
    "省双创人才": "provincial",
    "江苏特聘教授": "provincial",
    "姑苏领军": "city",
    "姑苏领军人才": "city",
    "昆山双创": "county",
    "昆山双创人才": "county",
    "头雁人才": "county",
    "卓越工程师": "county",
}
LEVEL_ORDER = ("national", "provincial", "city", "county")
CLASSES = ("A", "B", "C", "D", "E")


def title_rank(title: str | None) -> str | None:
    if not title:
        return None
    if "院士" in title:
        return "academician"
    if "正高" in title or title in {"教授", "研究员", "主任医师", "正高级工程师"}:
        return "full_senior"
    if "副" in title or "高级" in title:
        return "vice_senior"
    return "other"


def program_level(program: Mapping[str, object]) -> str | None:
    level = program.get("level")
    if isinstance(level, str) and level in LEVEL_ORDER:
        return level
    return PROGRAM_LEVELS.get(str(program.get("name", "")))


def classify(
    *,
    education: str,
    overseas: bool,
    title: str | None,
    skill_level: str | None,
    programs: Iterable[Mapping[str, object]],
) -> str | None:
    levels = {program_level(p) for p in programs}
    rank = title_rank(title)
    doctor = education == "doctor"
    if "national" in levels or rank == "academician":
        return "A"
    if "provincial" in levels or (doctor and rank == "full_senior"):
        return "B"
    if "city" in levels or rank == "full_senior" or (doctor and overseas):
        return "C"
    if "county" in levels or doctor or rank == "vice_senior" or skill_level == "高级技师":
        return "D"
    if education == "master" or (education == "bachelor" and overseas) or skill_level == "技师":
        return "E"
    return None

"""The documented rules as plain functions: growth ladder, talent class, housing score."""

from __future__ import annotations

from datetime import date

from kunruyi_talent.enterprise.ladder import WAN, Facts, evaluate
from kunruyi_talent.housing.rules import priority_score
from kunruyi_talent.talent.classification import classify

TODAY = date(2026, 6, 1)


def facts(**over: object) -> Facts:
    base: dict[str, object] = {
        "founded_on": date(2020, 1, 1),
        "employees": 80,
        "invention_patents": 0,
        "revenue_fen": 3_000 * WAN,
        "previous_revenue_fen": 2_000 * WAN,
        "rd_expense_fen": 90 * WAN,
        "tax_paid_fen": 100 * WAN,
        "high_tech_revenue_ratio": 0.5,
        "qualifications": frozenset(),
        "today": TODAY,
    }
    base.update(over)
    return Facts(**base)  # type: ignore[arg-type]


def test_ladder_stage_and_missing_items() -> None:
    g = evaluate(facts(revenue_fen=None))
    assert (g.stage, g.next_stage, [m["rule"] for m in g.missing]) == ("none", "tech_sme", ["figures"])
    g = evaluate(facts())
    assert g.next_stage == "tech_sme" and g.ready_for_next and g.missing[0]["rule"] == "recognition"
    g = evaluate(facts(qualifications=frozenset({"tech_sme"})))
    assert g.next_stage == "high_tech" and not g.ready_for_next
    assert [m["rule"] for m in g.missing] == ["invention_patents", "rd_ratio", "high_tech_revenue_ratio"]
    assert g.missing[1]["message"] == "研发费用占比 3.0%，需 ≥ 5.0%"
    # 小巨人 counts as 专精特新; the next rung (瞪羚) needs 20 % growth — here 50 %.
    g = evaluate(facts(qualifications=frozenset({"tech_sme", "little_giant"})))
    assert (g.stage, g.next_stage, g.ready_for_next) == ("specialized_sme", "gazelle", True)
    g = evaluate(facts(qualifications=frozenset({"listed"})))
    assert (g.stage, g.next_stage, g.missing) == ("listed", None, [])


def test_talent_class_rules() -> None:
    def c(**kw: object) -> str | None:
        args: dict[str, object] = {
            "education": "bachelor",
            "overseas": False,
            "title": None,
            "skill_level": None,
            "programs": [],
        }
        args.update(kw)
        return classify(**args)  # type: ignore[arg-type]

    assert c(programs=[{"name": "国家重大人才工程"}]) == "A"
    assert c(title="中国工程院院士") == "A"
    assert c(programs=[{"name": "省双创"}]) == "B"
    assert c(education="doctor", title="研究员") == "B"
    assert c(programs=[{"name": "x", "level": "city"}]) == "C"
    assert c(education="doctor", overseas=True) == "C"
    assert c(education="doctor") == "D"
    assert c(skill_level="高级技师") == "D"
    assert c(title="高级工程师") == "D"
    assert c(education="master") == "E"
    assert c(overseas=True) == "E"
    assert c() is None


def test_housing_score_formula() -> None:
    assert priority_score("A", "doctor", date(2025, 1, 1), ["high_tech"], TODAY) == 50 + 15 + 10 + 5
    assert priority_score("E", "other", date(2020, 1, 1), [], TODAY) == 10
    assert priority_score("C", "master", None, ["tech_sme"], TODAY) == 40

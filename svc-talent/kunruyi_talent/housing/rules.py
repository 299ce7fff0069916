"""Talent rental housing (人才租赁住房) rules.

Eligibility (all must hold when applying):
1. the talent has a class (A–E) and the project admits that class (``HousingProject.eligible_classes``);
2. the talent works for an enterprise registered in 一企一档 (an employer is on file);
3. the talent has no live application (waiting or offered) and is not housed already.

Priority score (higher first):
    class points      A 50, B 40, C 30, D 20, E 10
  + education         doctor 15, master 10, bachelor 5, other 0
  + newcomer bonus    10 if the talent arrived in Kunshan less than 3 years ago (or the date is unknown: 0)
  + employer bonus    5 if the employer holds high_tech, specialized_sme or little_giant

The waiting list (轮候库) orders applicants by: not sent back first, score descending, then application time.
When a unit frees, eligibility (class admitted, employer on file) is checked again against the current profile;
an applicant who no longer qualifies is passed over but keeps their place.
A second decline (a lapsed offer counts as a decline) sends the applicant to the back: behind everyone not
sent back, whatever their score, and the decline count starts again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

CLASS_POINTS = {"A": 50, "B": 40, "C": 30, "D": 20, "E": 10}
EDUCATION_POINTS = {"doctor": 15, "master": 10, "bachelor": 5}
NEWCOMER_YEARS = 3
NEWCOMER_POINTS = 10
EMPLOYER_QUALIFICATIONS = frozenset({"high_tech", "specialized_sme", "little_giant"})
EMPLOYER_POINTS = 5
DECLINES_BEFORE_BACK_OF_QUEUE = 2


def priority_score(
    talent_class: str,
    education: str,
    arrival_date: date | None,
    employer_qualifications: Collection[str],
    today: date,
) -> int:
    score = CLASS_POINTS[talent_class] + EDUCATION_POINTS.get(education, 0)
    if arrival_date is not None:
        years = (
            today.year
            - arrival_date.year
            - ((today.month, today.day) < (arrival_date.month, arrival_date.day))
        )
        if years < NEWCOMER_YEARS:
            score += NEWCOMER_POINTS
    if EMPLOYER_QUALIFICATIONS & set(employer_qualifications):
        score += EMPLOYER_POINTS
    return score

"""Variables of the evaluation period, computed from dated facts when a profile is evaluated.

An award for a new status is due in the period the status was obtained, and only then: the profile keeps the
dates (``qualification_dates``, ``platform_dates``, a talent's ``arrival_date``) and the period variables are
computed against the evaluation date, so a stored profile read in a later year gives that year's answer (a
qualification granted in 2026 is "new" in 2026 and not in 2027). The calculator, the profile-event path and
the 免申即享 run all go through :func:`for_period`.

- ``qualifications``: listed kinds without dates as listed; dated kinds held on the date (granted, not expired).
- ``new_qualifications``: first granted (``first_granted_on``, else ``granted_on``) in the evaluation year.
- ``renewed_qualifications``: granted again (``granted_on``) in the evaluation year after an earlier first grant.
- ``new_platforms``: platforms recognised in the evaluation year (``platform_dates``); they count as held.
- ``platforms``: dated platforms recognised on or before the date and not past their ``platform_expiry``
  (svc-talent leaves a platform out of ``platform_dates`` once a yearly review failed).
- ``years_in_kunshan`` and ``arrived_in_period`` from ``arrival_date``.
- ``ip_pledge_interest_in_period_fen``, ``guarantee_fee_in_period_fen``, ``insurance_premium_in_period_fen`` from
  ``financings`` (closed loans, guarantees and policies from svc-matching): sums over those closed in the
  evaluation year up to the date, so each loan counts in its closing year only.
- ``ip_pledge_interest_unsubsidised_fen``: the same interest over the period's 知识产权质押 loans whose loan key
  (``<institution>|<loan number>``) no 贴息 entitlement covers yet (``subsidised``, from the entitlements' ``loan_keys``):
  "the loan was not already subsidised" decided from data, and what a supplement (补充认定) pays.

Figures (numbers) a profile does not give are unknown, not 0: :func:`unknown_figures` names them and a policy
reading one is ``needs_data`` (calculator) and never determined (免申即享).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from kunruyi_policy.profiles.derived import as_date, whole_years
from kunruyi_policy.rules.variables import FINANCING_FIGURES, figures_of

INSURANCE_KINDS = frozenset({"talent_startup_insurance", "tech_insurance"})

UNKNOWN_KEY = "_unknown"  # stored profiles: the figures svc-talent's events did not give


def unknown_figures(entity_type: str, present: Iterable[str]) -> list[str]:
    """The dictionary's figures not among ``present`` (the keys a profile gave or derived)."""
    given = set(present)
    if "arrival_date" in given:
        given.add("years_in_kunshan")
    # always known: from the program awards svc-policy stores (0 with program_award_codes empty when none)
    given.add("years_since_program_award")
    return sorted(figures_of(entity_type) - given)


def _in_year(day: date | None, at: date) -> bool:
    return day is not None and day.year == at.year and day <= at


def _merge(listed: Any, dated: set[str], computed: set[str]) -> list[str]:
    kept = [k for k in (listed or []) if k not in dated]
    return sorted(set(kept) | computed)


def contributions(fact: dict[str, Any], subsidised: bool = False) -> dict[str, int]:
    """What one closed financing adds to each financing figure (of its closing year)."""
    out: dict[str, int] = {}
    if fact.get("product_kind") == "ip_pledge_loan":
        out["ip_pledge_interest_in_period_fen"] = int(fact.get("first_year_interest_fen") or 0)
        if not subsidised:
            out["ip_pledge_interest_unsubsidised_fen"] = out["ip_pledge_interest_in_period_fen"]
    out["guarantee_fee_in_period_fen"] = int(fact.get("guarantee_fee_fen") or 0)
    if fact.get("product_kind") in INSURANCE_KINDS:
        out["insurance_premium_in_period_fen"] = int(fact.get("premium_fen") or 0)
    return out


def financing_figures(
    financings: dict[str, Any], at: date, subsidised: frozenset[str] = frozenset()
) -> dict[str, int]:
    """The period's sums over the closed financings (``FinancingFact`` dicts) closed in ``at``'s year;
    ``subsidised``: the loan keys a 贴息 entitlement already covers (left out of the unsubsidised interest)."""
    sums = dict.fromkeys(sorted(FINANCING_FIGURES), 0)
    for key, fact in financings.items():
        if not _in_year(as_date(fact.get("closed_on")), at):
            continue
        for name, value in contributions(fact, key in subsidised).items():
            sums[name] += value
    return sums


def period_loans(financings: dict[str, Any], at: date, figures: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The financings closed in ``at``'s year that add something to one of ``figures`` (by loan key)."""
    wanted = set(figures)
    return {
        key: fact
        for key, fact in financings.items()
        if _in_year(as_date(fact.get("closed_on")), at)
        and any(value > 0 for name, value in contributions(fact).items() if name in wanted)
    }


def for_period(
    entity_type: str, profile: dict[str, Any], at: date, subsidised: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``profile`` with its period variables computed for ``at`` (the same dict when it has no dated facts);
    ``subsidised``: the loan keys already covered by a 贴息 entitlement (``ip_pledge_interest_unsubsidised_fen``)."""
    if entity_type == "enterprise":
        qualification_dates = profile.get("qualification_dates") or {}
        platform_dates = profile.get("platform_dates") or {}
        financings = profile.get("financings") or {}
        if not qualification_dates and not platform_dates and not financings:
            return profile
        out = dict(profile)
        if financings:
            out.update(financing_figures(financings, at, subsidised))
        if qualification_dates:
            held: set[str] = set()
            new: set[str] = set()
            renewed: set[str] = set()
            for kind, dates in qualification_dates.items():
                granted = as_date(dates.get("granted_on"))
                first = as_date(dates.get("first_granted_on")) or granted
                expires = as_date(dates.get("expires_on"))
                if granted is None:
                    continue
                if granted <= at and (expires is None or expires >= at):
                    held.add(kind)
                if _in_year(first, at):
                    new.add(kind)
                elif _in_year(granted, at) and first is not None and first < granted:
                    renewed.add(kind)
            dated = set(qualification_dates)
            out["qualifications"] = _merge(profile.get("qualifications"), dated, held)
            out["new_qualifications"] = _merge(profile.get("new_qualifications"), dated, new)
            out["renewed_qualifications"] = _merge(profile.get("renewed_qualifications"), dated, renewed)
        if platform_dates:
            expiry = profile.get("platform_expiry") or {}

            def live(p: str) -> bool:
                ends = as_date(expiry.get(p))
                return ends is None or ends >= at

            recognised = {
                p
                for p, d in platform_dates.items()
                if (day := as_date(d)) is not None and day <= at and live(p)
            }
            fresh = {p for p, d in platform_dates.items() if _in_year(as_date(d), at) and live(p)}
            dated = set(platform_dates)
            out["platforms"] = _merge(profile.get("platforms"), dated, recognised)
            out["new_platforms"] = _merge(profile.get("new_platforms"), dated, fresh)
        return out
    arrival = as_date(profile.get("arrival_date"))
    if arrival is None:
        return profile
    out = dict(profile)
    out["years_in_kunshan"] = whole_years(arrival, at) if arrival <= at else 0
    out["arrived_in_period"] = _in_year(arrival, at)
    return out

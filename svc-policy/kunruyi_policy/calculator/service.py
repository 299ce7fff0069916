"""The policy calculator (政策计算器): one profile against every policy in force that fits its beneficiary."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.exceptions import RequestValidationError
from kunruyi_common.auth import Principal
from kunruyi_common.errors import NotOwnEntity, RoleRequired, ScopeDenied
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.calculator.exceptions import (
    EntityReadRequiresCredentials,
    InvalidBeneficiary,
    ProfileNotFound,
)
from kunruyi_policy.catalog import repository
from kunruyi_policy.entitlements.loans import subsidised_loans
from kunruyi_policy.entitlements.service import period_of
from kunruyi_policy.models import Entitlement, EntityProfile
from kunruyi_policy.profiles.derived import as_date, derive_strict
from kunruyi_policy.profiles.period import UNKNOWN_KEY, for_period, unknown_figures
from kunruyi_policy.rules.evaluation import (
    UNEXPLAINED,
    CompiledVersion,
    PolicyMeta,
    evaluate_briefly,
    evaluate_version,
    explain_failure,
    mark_unknown,
)
from kunruyi_policy.rules.stacking import settle
from kunruyi_policy.rules.variables import PROFILE_MODELS, TALENT_PROGRAM_CODES, variables_for

_STATUS_ORDER = {
    "eligible": 0,
    "needs_confirmation": 1,
    "needs_data": 2,
    "error": 3,
    "excluded": 4,
    "ineligible": 5,
}

READ_SCOPE = "policy:read"
# Every staff role may use the calculator by id (the gateway's rule for the route; admins always).
STAFF_ROLES = ("officer", "reviewer", "approver", "finance", "broker")


def check_read_by_id(principal: Principal | None, entity_type: str, entity_id: str) -> None:
    """Who may have the calculator read an entity's stored profile (revenue, tax, R&D, staff, patents) by id.

    The company itself (signed in through 苏商通, for its own USCC), staff, a partner holding ``policy:read``, or
    another service. Anonymous callers, and a 昆e服 page visitor (holding a printed link is not being the company),
    send the profile instead.
    """
    if principal is None or (principal.kind == "public" and principal.signed_in_enterprise is None):
        raise EntityReadRequiresCredentials(
            "按编号读取企业、人才或团队画像需要登录（企业本身、工作人员或持 policy:read 的合作方）；"
            "匿名使用请直接提交画像（profile + beneficiary）",
            field="entity_id",
        )
    if principal.kind == "service":
        return
    if principal.kind == "staff":
        if principal.has_role(*STAFF_ROLES):
            return
        raise RoleRequired(f"需要角色：{'、'.join(STAFF_ROLES)}", field="entity_id")
    if principal.kind == "partner":
        if principal.has_scope(READ_SCOPE):
            return
        raise ScopeDenied(
            f"按编号读取画像需要权限范围 {READ_SCOPE}；可直接提交画像",
            field="entity_id",
            required_scope=READ_SCOPE,
        )
    own = principal.signed_in_enterprise
    if entity_type == "enterprise" and own is not None and own.upper() == entity_id.strip().upper():
        return
    raise NotOwnEntity("企业账号只能按编号查看本企业的画像", field="entity_id")


def _dictionary_errors(beneficiary: str, profile: dict[str, Any]) -> list[dict[str, Any]]:
    """What the lax model would let through but the variable dictionary forbids.

    A JSON ``true`` or ``"5"`` is not a number and ``"yes"`` is not a boolean (pydantic would coerce them), and a
    value outside a variable's published list (``"hightech"`` for ``high_tech``) would silently fail every rule
    that looks for the right code. Empty strings stay allowed: they are the "unknown" default.
    """
    errors: list[dict[str, Any]] = []
    dictionary = variables_for(beneficiary)
    for name, value in profile.items():
        spec = dictionary.get(name)
        if spec is None:
            continue  # unknown variables are refused by the model (extra="forbid")
        if spec.type in ("number", "integer") and isinstance(value, bool | str):
            errors.append(
                {
                    "type": f"{'int' if spec.type == 'integer' else 'float'}_type",
                    "loc": (name,),
                    "msg": f"{spec.label}须为数值",
                    "input": value,
                }
            )
        elif spec.type == "boolean" and not isinstance(value, bool):
            errors.append(
                {
                    "type": "bool_type",
                    "loc": (name,),
                    "msg": f"{spec.label}须为 true 或 false",
                    "input": value,
                }
            )
        elif (
            spec.values
            and spec.type == "string"
            and isinstance(value, str)
            and value
            and value not in spec.values
        ):
            errors.append(_not_allowed(spec.label, spec.values, (name,), value))
        elif spec.values and spec.type == "list" and isinstance(value, list):
            errors.extend(
                _not_allowed(spec.label, spec.values, (name, i), item)
                for i, item in enumerate(value)
                if isinstance(item, str) and item not in spec.values
            )
    return errors


def _not_allowed(label: str, allowed: tuple[str, ...], loc: tuple[Any, ...], value: Any) -> dict[str, Any]:
    return {
        "type": "enum",
        "loc": loc,
        "msg": f"{label}不接受 {value!r}，可用取值：{'、'.join(allowed)}（见 /api/v1/policy-variables）",
        "input": value,
    }


def validated_profile(beneficiary: str, profile: dict[str, Any], location: str = "profile") -> dict[str, Any]:
    """The profile with derived variables computed (``rd_ratio`` from ``rd_expense_fen / revenue_fen``, see
    profiles/derived.py) and defaults filled in, or a 422 naming each bad field (``profile.rd_ratio``)."""
    for source in ("founded_on", "birth_date"):
        if source in profile and profile[source] is not None and as_date(profile[source]) is None:
            raise RequestValidationError(
                [
                    {
                        "type": "date_type",
                        "loc": ("body", location, source),
                        "msg": "须为日期（YYYY-MM-DD）",
                        "input": profile[source],
                    }
                ]
            )
    profile = derive_strict(beneficiary, profile, location=location)
    programs = profile.get("talent_programs")
    if beneficiary == "talent" and isinstance(programs, list):
        # the names svc-talent and people use (省双创人才) read as the codes rules use (provincial_innovation)
        profile = {**profile, "talent_programs": [TALENT_PROGRAM_CODES.get(p, p) for p in programs]}
    errors = _dictionary_errors(beneficiary, profile)
    try:
        validated = PROFILE_MODELS[beneficiary].model_validate(profile).model_dump()
    except ValidationError as exc:
        reported = {tuple(e["loc"]) for e in errors}
        errors += [dict(e) for e in exc.errors(include_url=False) if tuple(e["loc"]) not in reported]
    if errors:
        raise RequestValidationError([{**e, "loc": ("body", location, *e["loc"])} for e in errors])
    # figures the profile neither gave nor let us derive are unknown: a policy reading one is needs_data
    validated[UNKNOWN_KEY] = unknown_figures(beneficiary, profile)
    return validated


async def stored_profile(session: AsyncSession, entity_type: str, entity_id: str) -> EntityProfile:
    row = await session.get(EntityProfile, (entity_type, entity_id))
    if row is None:
        raise ProfileNotFound(f"没有 {entity_id} 的画像（尚未从人才企业库同步）")
    return row


def sort_key(result: dict[str, Any]) -> tuple[int, int, str]:
    return (-(result["amount_fen"] or 0), _STATUS_ORDER[result["status"]], result["policy_code"])


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building hundreds of traced results allocates many containers that all stay alive until the response is
    sent; letting the cyclic collector rescan them mid-way doubled the cost. Nothing here awaits, and reference
    counting still frees everything, so pausing the collector for this synchronous section is safe. The endpoint
    pauses it over the whole answer (evaluation, compaction, encoding) and drops the answer before resuming: what
    was allocated is freed by then, so no collection is owed for it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate_all(
    policies: list[tuple[Any, CompiledVersion]],
    profile: dict[str, Any],
    at: date,
    unknown: frozenset[str] = frozenset(),
    history: dict[str, list[str]] | None = None,
    *,
    traced: bool = True,
) -> list[dict[str, Any]]:
    """Every policy's result, with missing figures (needs_data), exclusion groups and stacking caps applied
    exactly as the 免申即享 run applies them (rules/stacking.py); ``history`` = the entity's determined
    entitlements (policy code → periods), known when it is evaluated by id. ``traced=False`` (the compact answer)
    builds no per-criterion trace (missing figures are marked by ``evaluate_briefly`` directly)."""
    shared = dict(profile)
    with collector_paused():
        if traced:
            results = [evaluate_version(compiled, profile, at, shared=shared) for _, compiled in policies]
            if unknown:
                for result, (_, compiled) in zip(results, policies, strict=True):
                    mark_unknown(result, compiled, unknown)
        else:
            # decided and marked for missing figures without building the trace
            results = evaluate_briefly(_versions(policies), at, shared, unknown)
            explain_nearest(results, policies, at, shared)
        apply_history(results, [c.meta for _, c in policies], history or {}, period_of(at))
        settled = settle(
            [(c.meta, r["status"], r["amount_fen"]) for r, (_, c) in zip(results, policies, strict=True)]
        )
        for result, (status, amount, note) in zip(results, settled, strict=True):
            if note is not None:
                result["status"], result["amount_fen"], result["stacking"] = status, amount, note
    results.sort(key=sort_key)
    return results


# The versions of a compiled catalog list (cached with it: compiled_in_force returns the same list while the
# revision token holds), so the per-catalog plan of evaluate_briefly is found by identity.
_VERSIONS: dict[int, tuple[list[tuple[Any, CompiledVersion]], list[CompiledVersion]]] = {}


def _versions(policies: list[tuple[Any, CompiledVersion]]) -> list[CompiledVersion]:
    cached = _VERSIONS.get(id(policies))
    if cached is not None and cached[0] is policies:
        return cached[1]
    versions = [compiled for _, compiled in policies]
    if len(_VERSIONS) > 64:
        _VERSIONS.clear()
    _VERSIONS[id(policies)] = (policies, versions)
    return versions


NEAREST_MISSES = 10


def miss_order(potential_amount_fen: int | None, policy_code: str) -> tuple[int, str]:
    """Nearest first: the larger the amount one more criterion would bring, the nearer."""
    return (-(potential_amount_fen or 0), policy_code)


def nearest(misses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The compact answer's near misses: the ``NEAREST_MISSES`` worth the most."""
    return sorted(misses, key=lambda a: miss_order(a["potential_amount_fen"], a["policy_code"]))[
        :NEAREST_MISSES
    ]


def explain_nearest(
    results: list[dict[str, Any]],
    policies: list[tuple[Any, CompiledVersion]],
    at: date,
    shared: dict[str, Any],
) -> None:
    """Say what is missing for the near misses a compact answer shows (explaining all of them was most of the
    answer's cost: a large catalog has hundreds, and nobody reads past the first few)."""
    pending = [(r, c) for r, (_, c) in zip(results, policies, strict=True) if UNEXPLAINED in r]
    pending.sort(key=lambda rc: miss_order(rc[0]["almost"]["potential_amount_fen"], rc[0]["policy_code"]))
    for result, compiled in pending[:NEAREST_MISSES]:
        shared["params"] = compiled.parameter_values_at(at)
        result["almost"]["missing"] = explain_failure(result[UNEXPLAINED].rule, shared)
    for result, _ in pending:
        del result[UNEXPLAINED]


def apply_history(
    results: list[dict[str, Any]], metas: list[PolicyMeta], history: dict[str, list[str]], period: str
) -> None:
    """What the entity was already granted: a one-off award is not granted again, and of an exclusion group
    only the item already determined this period counts (the same checks ``entitlements.record`` makes)."""
    if not history:
        return
    groups_held = {
        meta.exclusion_group: meta.code
        for meta in metas
        if meta.exclusion_group and period in history.get(meta.code, ())
    }
    for result, meta in zip(results, metas, strict=True):
        if result["status"] not in ("eligible", "needs_confirmation"):
            continue
        earlier = [p for p in history.get(meta.code, ()) if p != period]
        if meta.once_per_entity and earlier:
            result["status"], result["amount_fen"] = "excluded", None
            result["stacking"] = {
                "reason": f"一次性奖励，已于 {min(earlier)} 年度兑现",
                "granted_in": min(earlier),
            }
        elif meta.exclusion_group in groups_held and groups_held[meta.exclusion_group] != meta.code:
            result["status"], result["amount_fen"] = "excluded", None
            result["stacking"] = {
                "excluded_by": groups_held[meta.exclusion_group],
                "reason": "同一事项本年度已兑现其他档次",
            }


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per status and the totals: eligible cash (each exclusion group already counted once by
    ``settle``), eligible tax relief apart, and the 最高 amount needing confirmation (never added to the
    eligible total; an exclusion group counted once, at its highest)."""
    summary: dict[str, Any] = {status: 0 for status in _STATUS_ORDER}
    for r in results:
        summary[r["status"]] += 1
    summary["almost"] = sum(1 for r in results if r["almost"])
    summary["eligible_amount_fen"] = sum(
        r["amount_fen"] or 0 for r in results if r["status"] == "eligible" and r["benefit_kind"] == "cash"
    )
    summary["tax_relief_amount_fen"] = sum(
        r["amount_fen"] or 0 for r in results if r["status"] == "eligible" and r["benefit_kind"] == "tax"
    )
    possible: dict[str, int] = {}
    for r in results:
        if r["status"] == "needs_confirmation" and r["benefit_kind"] == "cash":
            key = r["exclusion_group"] or r["policy_code"]
            possible[key] = max(possible.get(key, 0), r["amount_fen"] or 0)
    summary["possible_amount_fen"] = sum(possible.values())
    return summary


@dataclass(frozen=True)
class Calculation:
    """What a calculation reads from the database (the compiled catalog in force, the entity's history and
    subsidised loans); :meth:`answer` is the synchronous rest."""

    beneficiary: str
    profile: dict[str, Any]
    at: date
    policies: list[tuple[Any, CompiledVersion]]
    unknown: frozenset[str]
    history: dict[str, list[str]] | None
    subsidised: frozenset[str]

    def results(self, *, traced: bool) -> list[dict[str, Any]]:
        return evaluate_all(
            self.policies,
            for_period(self.beneficiary, self.profile, self.at, self.subsidised),
            self.at,
            self.unknown,
            self.history,
            traced=traced,
        )

    def answer(self, *, traced: bool = True) -> dict[str, Any]:
        results = self.results(traced=traced)
        return assemble(self.beneficiary, self.profile, self.at, self.unknown, results, versions=traced)

    def compact_json(self, entity: dict[str, str] | None = None) -> bytes:
        """The compact answer as served, encoded (``entity``: the entity it was read for, when read by id): the
        same bytes as ``JSONResponse(compact(self.answer(traced=False)) | ...)`` (a property test holds them
        together), built from per-version pre-encoded fragments instead of a dict per item."""
        results = self.results(traced=False)
        return encode_compact(self.beneficiary, self.at, self.unknown, results, self.policies, entity)


async def prepare(
    session: AsyncSession,
    beneficiary: str,
    profile: dict[str, Any],
    at: date,
    *,
    codes: list[str] | None = None,
    entity_id: str | None = None,
) -> Calculation:
    """The database reads of a calculation."""
    if beneficiary not in PROFILE_MODELS:
        raise InvalidBeneficiary("beneficiary 只能是 enterprise、talent 或 team", field="beneficiary")
    # a fresh session reuses a revision token read less than a second ago (repository.RevisionWatch)
    policies = await repository.compiled_in_force(
        session, at, beneficiary=beneficiary, codes=codes, watch=repository.REVISION_WATCH
    )
    unknown = frozenset(profile.get(UNKNOWN_KEY) or ())
    profile = {k: v for k, v in profile.items() if k != UNKNOWN_KEY}
    history = await entitlement_history(session, beneficiary, entity_id) if entity_id is not None else None
    subsidised: frozenset[str] = frozenset()
    if entity_id is not None:  # a stored entity: the loans its 贴息 entitlements already cover
        key = (beneficiary, entity_id)
        subsidised = (await subsidised_loans(session, {key: profile}, at)).get(key, frozenset())
    return Calculation(beneficiary, profile, at, policies, unknown, history, subsidised)


async def calculate(
    session: AsyncSession,
    beneficiary: str,
    profile: dict[str, Any],
    at: date,
    *,
    codes: list[str] | None = None,
    entity_id: str | None = None,
    traced: bool = True,
) -> dict[str, Any]:
    """The calculator's answer; ``traced=False`` for the compact answer (``compact`` of it equals ``compact`` of
    the traced one, faster: no per-criterion trace is built)."""
    calculation = await prepare(session, beneficiary, profile, at, codes=codes, entity_id=entity_id)
    return calculation.answer(traced=traced)


def assemble(
    beneficiary: str,
    profile: dict[str, Any],
    at: date,
    unknown: frozenset[str],
    results: list[dict[str, Any]],
    *,
    versions: bool = True,
) -> dict[str, Any]:
    """The calculator's answer around the evaluated results (``versions=False``: without ``versions_used``, which
    the compact answer leaves out)."""
    answer = {
        "evaluation_date": at,
        "beneficiary": beneficiary,
        "profile": profile,
        "missing_data": sorted(unknown),
        "summary": summarise(results),
        "results": results,
        # Near-misses in short, ordered like the results; each result carries the full explanation.
        "almost": [
            {"policy_code": r["policy_code"], "title": r["title"], **r["almost"]}
            for r in results
            if r["almost"]
        ],
    }
    if versions:
        answer["versions_used"] = [
            {"policy_code": r["policy_code"], "version": r["version"]} for r in results
        ]
    return answer


_COMPACT_FIELDS = (
    "policy_code",
    "title",
    "department",
    "benefit_kind",
    "mode",
    "legal_source",
    "document_code",
)


def compact(answer: dict[str, Any]) -> dict[str, Any]:
    """The default answer for partners and the 昆e服 page: eligible items with amounts, items needing
    confirmation with their 最高 amount, items needing data, excluded tiers and the nearest misses (the
    ``NEAREST_MISSES`` worth the most; ``summary.almost`` counts them all); no traces."""

    def short(r: dict[str, Any], **extra: Any) -> dict[str, Any]:
        out = {k: r[k] for k in _COMPACT_FIELDS}
        out.update(extra)
        return out

    results = answer["results"]
    compacted = {k: v for k, v in answer.items() if k not in ("results", "versions_used", "profile")}
    compacted["detail"] = "compact"
    compacted["almost"] = nearest(answer["almost"])
    compacted["eligible"] = [
        short(r, amount_fen=r["amount_fen"], **({"stacking": r["stacking"]} if "stacking" in r else {}))
        for r in results
        if r["status"] == "eligible"
    ]
    compacted["needs_confirmation"] = [
        short(
            r,
            max_amount_fen=r["amount_fen"],
            to_confirm=[c["label"] for c in r["criteria"] if c["state"] == "manual"],
        )
        for r in results
        if r["status"] == "needs_confirmation"
    ]
    compacted["needs_data"] = [
        short(r, missing_data=r["missing_data"]) for r in results if r["status"] == "needs_data"
    ]
    compacted["excluded"] = [short(r, **r["stacking"]) for r in results if r["status"] == "excluded"]
    return compacted


async def entitlement_history(
    session: AsyncSession, entity_type: str, entity_id: str
) -> dict[str, list[str]]:
    rows = await session.execute(
        select(Entitlement.policy_code, Entitlement.period).where(
            Entitlement.entity_type == entity_type, Entitlement.entity_id == entity_id
        )
    )
    history: dict[str, list[str]] = {}
    for code, period in rows:
        history.setdefault(code, []).append(period)
    return history


async def profile_for_entity(session: AsyncSession, entity_type: str, entity_id: str) -> dict[str, Any]:
    row = await stored_profile(session, entity_type, entity_id)
    return dict(row.profile)


async def known_entity_ids(session: AsyncSession, entity_type: str, limit: int = 10) -> list[str]:
    rows = await session.execute(
        select(EntityProfile.entity_id).where(EntityProfile.entity_type == entity_type).limit(limit)
    )
    return list(rows.scalars())


# What ``JSONResponse`` does to a dict (starlette's render), for the fragments the compact answer is built from.
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _number(value: Any) -> str:
    if value is None:
        return "null"
    return str(value) if type(value) is int else _ENCODE(value)


def _fragments(compiled: CompiledVersion) -> tuple[str, str, int]:
    """A version's compact item up to its last static field (no closing brace), its ``to_confirm`` encoded and
    how many manual criteria that is: computed once per compiled version (it is immutable)."""
    cached = compiled.compact_fragments
    if cached is None:
        template = compiled.brief_template()
        head = _ENCODE({k: template[k] for k in _COMPACT_FIELDS})[:-1]
        labels = [c.label for c in compiled.criteria if c.evaluate is None]
        cached = compiled.compact_fragments = (head, _ENCODE(labels), len(labels))
    return cached


def encode_compact(
    beneficiary: str,
    at: date,
    unknown: frozenset[str],
    results: list[dict[str, Any]],
    policies: list[tuple[Any, CompiledVersion]],
    entity: dict[str, str] | None = None,
) -> bytes:
    """:func:`compact` of the answer around ``results`` (untraced, sorted), encoded as the endpoint serves it."""
    by_code = {c.meta.code: c for _, c in policies}
    eligible: list[str] = []
    confirm: list[str] = []
    data: list[str] = []
    excluded: list[str] = []
    for r in results:
        status = r["status"]
        head, to_confirm, manual = _fragments(by_code[r["policy_code"]])
        if status == "eligible":
            eligible.append(
                f'{head},"amount_fen":{_number(r["amount_fen"])},"stacking":{_ENCODE(r["stacking"])}}}'
                if "stacking" in r
                else f'{head},"amount_fen":{_number(r["amount_fen"])}}}'
            )
        elif status == "needs_confirmation":
            criteria = r["criteria"]
            if criteria is None or len(criteria) != manual:
                to_confirm = _ENCODE([c["label"] for c in criteria or () if c["state"] == "manual"])
            confirm.append(f'{head},"max_amount_fen":{_number(r["amount_fen"])},"to_confirm":{to_confirm}}}')
        elif status == "needs_data":
            data.append(f'{head},"missing_data":{_ENCODE(r["missing_data"])}}}')
        elif status == "excluded":
            extra = "".join(f",{_ENCODE(k)}:{_ENCODE(v)}" for k, v in r["stacking"].items())
            excluded.append(f"{head}{extra}}}")
    misses = nearest(
        [
            {"policy_code": r["policy_code"], "title": r["title"], **r["almost"]}
            for r in results
            if r["almost"]
        ]
    )
    parts = [
        '{"evaluation_date":',
        _ENCODE(at.isoformat()),
        ',"beneficiary":',
        _ENCODE(beneficiary),
        ',"missing_data":',
        _ENCODE(sorted(unknown)),
        ',"summary":',
        _ENCODE(summarise(results)),
        ',"almost":',
        _ENCODE(misses),
        ',"detail":"compact","eligible":[',
        ",".join(eligible),
        '],"needs_confirmation":[',
        ",".join(confirm),
        '],"needs_data":[',
        ",".join(data),
        '],"excluded":[',
        ",".join(excluded),
        "]",
    ]
    if entity is not None:
        parts += [',"entity":', _ENCODE(entity)]
    parts.append("}")
    return "".join(parts).encode()

"""Evaluating one policy version for one profile: status, amount, per-criterion trace and near-misses."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kunruyi_policy.rules.amounts import round_amount
from kunruyi_policy.rules.codegen import compile_decision, compile_failures, compile_typed
from kunruyi_policy.rules.jsonlogic import (
    Evaluator,
    RuleEvaluationError,
    compile_rule,
    is_operation,
    referenced_vars,
    resolve_var,
    split_path,
    truthy,
)
from kunruyi_policy.rules.parameters import resolve_parameters
from kunruyi_policy.rules.variables import variables_for

ELIGIBLE, INELIGIBLE, NEEDS_CONFIRMATION, ERROR = "eligible", "ineligible", "needs_confirmation", "error"
NEEDS_DATA = "needs_data"


@dataclass(frozen=True)
class PolicyMeta:
    code: str
    title: str
    department: str
    category: str
    theme: str
    policy_type: str
    beneficiary: str
    mode: str
    annual_budget_fen: int
    legal_source: str = ""
    document_code: str | None = None
    benefit_kind: str = "cash"
    exclusion_group: str | None = None
    stacking_group: str | None = None
    stacking_cap_fen: int | None = None
    once_per_entity: bool = False


@dataclass
class CompiledCriterion:
    id: str
    label: str
    kind: str
    rule: Any
    evaluate: Evaluator | None
    variables: tuple[str, ...]
    parameters: tuple[str, ...]
    fast: Evaluator | None = None
    dotted: bool = False  # some variable is a dotted path (read with ``var``'s resolution, not ``dict.get``)


# The untraced result's keys (:meth:`CompiledVersion.brief_template`), a subset of the traced one's, in this order.
_BRIEF_KEYS = (
    "policy_code",
    "version",
    "status",
    "amount_fen",
    "title",
    "department",
    "benefit_kind",
    "mode",
    "legal_source",
    "document_code",
    "exclusion_group",
    "criteria",
    "almost",
)


@dataclass
class CompiledVersion:
    meta: PolicyMeta
    version: int
    effective_from: date | None
    criteria: list[CompiledCriterion]
    amount_rule: Any
    amount: Evaluator
    amount_variables: tuple[str, ...]
    amount_parameters: tuple[str, ...]
    amount_cap_fen: int | None
    parameters: dict[str, Any]
    amount_fast: Evaluator | None = None
    decision: Any = None
    _resolved: dict[date, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _values: dict[date, dict[str, Any]] = field(default_factory=dict)
    amount_dotted: bool = False
    failures: Any = (
        None  # indices of the failing data criteria in one call (codegen.compile_failures), or None
    )
    # Derived from ``meta``: not an init field, so ``dataclasses.replace(..., meta=...)`` starts a fresh template.
    _template: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _reads: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)
    _brief: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _data_criteria: tuple[CompiledCriterion, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # The compact answer's pre-encoded fragments of this version (calculator.service._fragments).
    compact_fragments: tuple[str, str, int] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def reads(self) -> frozenset[str]:
        """Every variable the version reads (criteria and amount)."""
        if self._reads is None:
            self._reads = frozenset(
                {v for c in self.criteria for v in c.variables} | set(self.amount_variables)
            )
        return self._reads

    def result_template(self) -> dict[str, Any]:
        """A fresh traced-result dict with this version's catalog fields filled in and the outcome keys in place."""
        if self._template is None:
            meta = self.meta
            self._template = {
                "policy_code": meta.code,
                "version": self.version,
                "status": None,
                "amount_fen": None,
                "title": meta.title,
                "department": meta.department,
                "category": meta.category,
                "theme": meta.theme,
                "policy_type": meta.policy_type,
                "mode": meta.mode,
                "beneficiary": meta.beneficiary,
                "legal_source": meta.legal_source,
                "document_code": meta.document_code,
                "benefit_kind": meta.benefit_kind,
                "exclusion_group": meta.exclusion_group,
                "stacking_group": meta.stacking_group,
                "version_effective_from": self.effective_from.isoformat() if self.effective_from else None,
                "amount_cap_fen": self.amount_cap_fen,
                "amount_trace": None,
                "criteria": None,
                "almost": None,
            }
        return dict(self._template)

    def failing(self, data: dict[str, Any]) -> list[CompiledCriterion] | None:
        """The failing data criteria in one generated call, or None when the version has no such function or the
        data does not have the promised shape (then the criteria are evaluated one by one)."""
        failures = self.failures
        if failures is None:
            return None
        try:
            indices = failures(data)
        except (KeyError, TypeError):
            return None
        if self._data_criteria is None:
            self._data_criteria = tuple(c for c in self.criteria if c.evaluate is not None)
        return [self._data_criteria[i] for i in indices]

    def brief_template(self) -> dict[str, Any]:
        """A fresh untraced-result dict (:func:`evaluate_briefly`): only what the compact answer, its summary, the
        ordering and the stacking rules read."""
        if self._brief is None:
            full = self.result_template()
            self._brief = {key: full[key] for key in _BRIEF_KEYS}
        return dict(self._brief)

    def parameters_at(self, at: date) -> dict[str, dict[str, Any]]:
        cached = self._resolved.get(at)
        if cached is None:
            cached = self._resolved[at] = resolve_parameters(self.parameters, at)
        return cached

    def parameter_values_at(self, at: date) -> dict[str, Any]:
        cached = self._values.get(at)
        if cached is None:
            cached = self._values[at] = {name: p["value"] for name, p in self.parameters_at(at).items()}
        return cached


def _split_references(rule: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = list(dict.fromkeys(referenced_vars(rule)))
    variables = tuple(n for n in names if not n.startswith("params."))
    params = tuple(n.removeprefix("params.") for n in names if n.startswith("params."))
    return variables, params


def compile_version(
    meta: PolicyMeta,
    version: int,
    effective_from: date | None,
    criteria: list[dict[str, Any]],
    amount: Any,
    amount_cap_fen: int | None,
    parameters: dict[str, Any],
) -> CompiledVersion:
    dictionary = variables_for(meta.beneficiary)
    compiled = []
    for c in criteria:
        rule = c.get("rule") if c["kind"] == "data" else None
        variables, params = _split_references(rule)
        compiled.append(
            CompiledCriterion(
                id=c["id"],
                label=c["label"],
                kind=c["kind"],
                rule=rule,
                evaluate=compile_rule(rule) if c["kind"] == "data" else None,
                variables=variables,
                parameters=params,
                fast=compile_typed(rule, dictionary, parameters) if c["kind"] == "data" else None,
                dotted=any("." in v for v in variables),
            )
        )
    amount_variables, amount_parameters = _split_references(amount)
    return CompiledVersion(
        meta=meta,
        version=version,
        effective_from=effective_from,
        criteria=compiled,
        amount_rule=amount,
        amount=compile_rule(amount),
        amount_variables=amount_variables,
        amount_parameters=amount_parameters,
        amount_cap_fen=amount_cap_fen,
        parameters=parameters or {},
        amount_fast=compile_typed(amount, dictionary, parameters),
        amount_dotted=any("." in v for v in amount_variables),
        failures=compile_failures(
            [c["rule"] for c in criteria if c["kind"] == "data"], dictionary, parameters
        ),
        decision=compile_decision(
            [c["rule"] for c in criteria if c["kind"] == "data"],
            any(c["kind"] == "manual" for c in criteria),
            amount,
            amount_cap_fen,
            dictionary,
            parameters,
        ),
    )


def _run(fast: Evaluator | None, slow: Evaluator, data: dict[str, Any]) -> Any:
    """The typed evaluator when the data has the promised shape, else the interpreter (same answer)."""
    if fast is not None:
        try:
            return fast(data)
        except (KeyError, TypeError):
            pass
    return slow(data)


def _missing_parameters(names: tuple[str, ...], resolved: dict[str, Any]) -> list[str]:
    return [n for n in names if n not in resolved]


def _decide(
    compiled: CompiledVersion, data: dict[str, Any], at: date, resolved: dict[str, Any]
) -> dict[str, Any]:
    """The decision alone (status and amount): the hot path of bulk checks and benchmarks."""
    if compiled.decision is not None:
        try:
            status, amount = compiled.decision(data)
            return {
                "policy_code": compiled.meta.code,
                "version": compiled.version,
                "status": status,
                "amount_fen": amount,
            }
        except (KeyError, TypeError):
            pass
    failed = errors = manual = 0
    for criterion in compiled.criteria:
        if criterion.evaluate is None:
            manual += 1
            continue
        if criterion.parameters and _missing_parameters(criterion.parameters, resolved):
            errors += 1
            continue
        try:
            if not truthy(_run(criterion.fast, criterion.evaluate, data)):
                failed += 1
        except RuleEvaluationError:
            errors += 1
    status = INELIGIBLE if failed else ERROR if errors else NEEDS_CONFIRMATION if manual else ELIGIBLE
    amount_fen = None
    if status is ELIGIBLE or status is NEEDS_CONFIRMATION:
        try:
            if compiled.amount_parameters and _missing_parameters(compiled.amount_parameters, resolved):
                raise RuleEvaluationError("missing parameter")
            amount_fen = round_amount(
                _run(compiled.amount_fast, compiled.amount, data), compiled.amount_cap_fen
            )
        except RuleEvaluationError:
            status = ERROR
    return {
        "policy_code": compiled.meta.code,
        "version": compiled.version,
        "status": status,
        "amount_fen": amount_fen,
    }


def decide_many(
    versions: list[CompiledVersion], profile: dict[str, Any], at: date
) -> list[tuple[str, int, str, int | None]]:
    """``(policy_code, version, status, amount_fen)`` for each version: the calculator's decision without traces."""
    data = dict(profile)
    out: list[tuple[str, int, str, int | None]] = []
    append = out.append
    for compiled in versions:
        if compiled.parameters:
            data["params"] = compiled.parameter_values_at(at)
        decision = compiled.decision
        if decision is not None:
            try:
                status, amount = decision(data)
                append((compiled.meta.code, compiled.version, status, amount))
                continue
            except (KeyError, TypeError):
                pass
        data["params"] = compiled.parameter_values_at(at)
        result = _decide(compiled, data, at, compiled.parameters_at(at))
        append((compiled.meta.code, compiled.version, result["status"], result["amount_fen"]))
    return out


def evaluate_version(
    compiled: CompiledVersion,
    profile: dict[str, Any],
    at: date,
    *,
    explain: bool = True,
    shared: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The outcome of ``compiled`` for ``profile`` on ``at``. ``explain=False`` skips the trace (bulk checks).

    ``shared`` lets a caller evaluating many policies for one profile reuse one copy of it.
    """
    resolved = compiled.parameters_at(at)
    data = shared if shared is not None else dict(profile)
    data["params"] = compiled.parameter_values_at(at)
    if not explain:
        return _decide(compiled, data, at, resolved)
    trace: list[dict[str, Any]] = []
    failed: list[CompiledCriterion] = []
    errors = 0
    manual = 0
    for criterion in compiled.criteria:
        if criterion.evaluate is None:
            manual += 1
            trace.append(
                {
                    "id": criterion.id,
                    "label": criterion.label,
                    "kind": criterion.kind,
                    "state": "manual",
                    "reason": "需人工确认",
                }
            )
            continue
        entry: dict[str, Any] = {"id": criterion.id, "label": criterion.label, "kind": criterion.kind}
        missing = _missing_parameters(criterion.parameters, resolved) if criterion.parameters else None
        if missing:
            errors += 1
            entry["state"] = "error"
            entry["reason"] = f"参数 {'、'.join(missing)} 在 {at.isoformat()} 没有生效的取值"
        else:
            try:
                fast = criterion.fast
                try:  # _run inlined: this loop runs once per criterion of every policy in the calculator
                    value = fast(data) if fast is not None else criterion.evaluate(data)
                except (KeyError, TypeError):
                    value = criterion.evaluate(data)
                if truthy(value):
                    entry["state"] = "pass"
                else:
                    entry["state"] = "fail"
                    failed.append(criterion)
            except RuleEvaluationError as exc:
                errors += 1
                entry["state"] = "error"
                entry["reason"] = str(exc)
        entry["values"] = _values(data, criterion.variables, criterion.dotted)
        entry["parameters"] = (
            {p: resolved[p] for p in criterion.parameters if p in resolved} if criterion.parameters else {}
        )
        trace.append(entry)

    status = INELIGIBLE if failed else ERROR if errors else NEEDS_CONFIRMATION if manual else ELIGIBLE
    amount_fen: int | None = None
    reason: str | None = None
    near_miss = len(failed) == 1 and not errors
    if status is ELIGIBLE or status is NEEDS_CONFIRMATION or near_miss:
        missing = (
            _missing_parameters(compiled.amount_parameters, resolved) if compiled.amount_parameters else None
        )
        try:
            if missing:
                raise RuleEvaluationError(f"参数 {'、'.join(missing)} 在 {at.isoformat()} 没有生效的取值")
            amount_fen = round_amount(
                _run(compiled.amount_fast, compiled.amount, data), compiled.amount_cap_fen
            )
        except RuleEvaluationError as exc:
            if status != INELIGIBLE:
                status, reason = ERROR, f"金额：{exc}"
    # The catalog fields come from a per-version template (same keys, same order): only outcomes are set here.
    result = compiled.result_template()
    result["status"] = status
    result["amount_fen"] = amount_fen if status is ELIGIBLE or status is NEEDS_CONFIRMATION else None
    result["amount_trace"] = {
        "values": _values(data, compiled.amount_variables, compiled.amount_dotted),
        "parameters": (
            {p: resolved[p] for p in compiled.amount_parameters if p in resolved}
            if compiled.amount_parameters
            else {}
        ),
    }
    result["criteria"] = trace
    if reason:
        result["reason"] = reason
    if status == INELIGIBLE and near_miss:
        criterion = failed[0]
        result["almost"] = {
            "criterion_id": criterion.id,
            "label": criterion.label,
            "missing": explain_failure(criterion.rule, data),
            "potential_amount_fen": amount_fen,
        }
    return result


# Per catalog (the list compiled_in_force caches per revision token) and date: each version's fixed inputs of
# evaluate_briefly, gathered once so the loop over hundreds of versions does no per-version method calls.
_BRIEF_PLANS: dict[tuple[int, date], tuple[Any, list[tuple[Any, ...]]]] = {}


def _brief_plan(versions: list[CompiledVersion], at: date) -> list[tuple[Any, ...]]:
    key = (id(versions), at)
    cached = _BRIEF_PLANS.get(key)
    if cached is not None and cached[0] is versions:
        return cached[1]
    plan = []
    for compiled in versions:
        manual = [
            {"id": c.id, "label": c.label, "kind": c.kind, "state": "manual"}
            for c in compiled.criteria
            if c.evaluate is None
        ]
        plan.append(
            (
                compiled,
                compiled.brief_template(),
                compiled.parameter_values_at(at),
                compiled.parameters_at(at),
                compiled.reads(),
                compiled.decision,
                manual,
            )
        )
    if len(_BRIEF_PLANS) > 64:
        _BRIEF_PLANS.clear()
    _BRIEF_PLANS[key] = (versions, plan)
    return plan


def evaluate_briefly(
    versions: list[CompiledVersion], at: date, data: dict[str, Any], unknown: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """What a compact answer shows of each version — status, amount, the near miss, the criteria a person must
    confirm, the figures it lacks — without the per-criterion trace: the decision's fast path first, and the
    criteria one by one only when it fails (to find a single failing criterion and explain it) or when the version
    reads an ``unknown`` figure. Gives the same compact answer as :func:`evaluate_version` followed by
    :func:`mark_unknown` (a property test holds them together). ``data`` is the shared profile copy.

    One tight loop over a per-catalog plan (``versions`` must not change while it is cached: compiled_in_force's
    lists do not). The ``criteria`` of a result needing confirmation is shared between answers (read it, never
    change it)."""
    out: list[dict[str, Any]] = []
    append = out.append
    for compiled, template, values, resolved, reads, decision, manual in _brief_plan(versions, at):
        data["params"] = values
        result = template.copy()
        append(result)
        if unknown and not unknown.isdisjoint(reads):
            _brief_unknown(compiled, at, data, resolved, unknown, result)
            continue
        status: str | None = None
        amount: int | None = None
        if decision is not None:
            try:
                status, amount = decision(data)
            except (KeyError, TypeError):
                status = None
        if status is None:
            decided = _decide(compiled, data, at, resolved)
            status, amount = decided["status"], decided["amount_fen"]
        result["status"] = status
        result["amount_fen"] = amount
        if status == NEEDS_CONFIRMATION:
            result["criteria"] = manual
        elif status == INELIGIBLE:
            failing = compiled.failing(data)
            if failing is not None:
                if len(failing) == 1:
                    _near_miss(compiled, data, resolved, failing[0], result)
                continue
            _brief_near_miss(compiled, data, resolved, result)
    return out


def _brief_near_miss(
    compiled: CompiledVersion, data: dict[str, Any], resolved: dict[str, Any], result: dict[str, Any]
) -> None:
    """The near miss of an ineligible version without a generated ``failures``: criteria one by one."""
    failed: list[CompiledCriterion] = []
    for criterion in compiled.criteria:
        if criterion.evaluate is None:
            continue
        if criterion.parameters and _missing_parameters(criterion.parameters, resolved):
            return  # an error beside the failure: no near miss, as in the traced evaluation
        try:
            if not truthy(_run(criterion.fast, criterion.evaluate, data)):
                failed.append(criterion)
                if len(failed) > 1:
                    return
        except RuleEvaluationError:
            return
    if len(failed) == 1:
        _near_miss(compiled, data, resolved, failed[0], result)


def _near_miss(
    compiled: CompiledVersion,
    data: dict[str, Any],
    resolved: dict[str, Any],
    criterion: CompiledCriterion,
    result: dict[str, Any],
) -> None:
    """The brief result's near miss: what passing ``criterion`` would bring (what is missing is explained later,
    for the nearest misses only — the compact answer's list)."""
    potential: int | None = None
    try:
        if compiled.amount_parameters and _missing_parameters(compiled.amount_parameters, resolved):
            raise RuleEvaluationError("missing parameter")
        potential = round_amount(_run(compiled.amount_fast, compiled.amount, data), compiled.amount_cap_fen)
    except RuleEvaluationError:
        potential = None
    result["almost"] = {
        "criterion_id": criterion.id,
        "label": criterion.label,
        "missing": None,
        "potential_amount_fen": potential,
    }
    result[UNEXPLAINED] = criterion


def _brief_unknown(
    compiled: CompiledVersion,
    at: date,
    data: dict[str, Any],
    resolved: dict[str, Any],
    unknown: frozenset[str],
    result: dict[str, Any],
) -> None:
    """A version reading a figure the profile lacks, decided as :func:`mark_unknown` decides its traced result:
    a criterion reading an unknown figure is missing (neither pass nor fail), so the result is ``ineligible`` when
    a criterion on known figures fails and ``needs_data`` otherwise; the near miss (a single failing criterion,
    no error) survives only when that criterion reads known figures."""
    failed = 0
    failed_known: CompiledCriterion | None = None
    known_failures = errors = 0
    failing = compiled.failing(data)
    for criterion in compiled.criteria if failing is None else ():
        if criterion.evaluate is None:
            continue
        if criterion.parameters and _missing_parameters(criterion.parameters, resolved):
            errors += 1
            continue
        try:
            passed = truthy(_run(criterion.fast, criterion.evaluate, data))
        except RuleEvaluationError:
            errors += 1
            continue
        if not passed:
            failed += 1
            if unknown.isdisjoint(criterion.variables):
                known_failures += 1
                failed_known = criterion
    for criterion in failing or ():  # the generated path: no criterion of such a version can be in error
        failed += 1
        if unknown.isdisjoint(criterion.variables):
            known_failures += 1
            failed_known = criterion
    if known_failures:
        result["status"] = INELIGIBLE
        if failed == 1 and not errors and failed_known is not None:
            _near_miss(compiled, data, resolved, failed_known, result)
    else:
        result["status"] = NEEDS_DATA
        result["missing_data"] = sorted(compiled.reads() & unknown)


UNEXPLAINED = "_unexplained"


def reads_unknown(compiled: CompiledVersion, unknown: frozenset[str] | set[str]) -> list[str]:
    """The unknown figures a version reads (criteria or amount): such a policy cannot be decided for the profile."""
    if not unknown:
        return []
    return sorted(compiled.reads() & unknown)


def mark_unknown(
    result: dict[str, Any], compiled: CompiledVersion, unknown: frozenset[str] | set[str]
) -> None:
    """A traced result made honest about missing figures: a criterion reading one is ``missing`` (not a pass or a
    fail on a made-up 0), and a result that only such criteria (or the amount) decide is ``needs_data``."""
    missing_vars = reads_unknown(compiled, unknown)
    if not missing_vars:
        return
    failed_known = errors = manual = 0
    missing_any = False
    for entry, criterion in zip(result["criteria"], compiled.criteria, strict=True):
        gaps = [v for v in criterion.variables if v in unknown]
        if gaps and entry["state"] != "manual":
            entry["state"] = "missing"
            entry["reason"] = f"缺少数据：{'、'.join(gaps)}"
            missing_any = True
        elif entry["state"] == "fail":
            failed_known += 1
        elif entry["state"] == "error":
            errors += 1
        elif entry["state"] == "manual":
            manual += 1
    if failed_known:
        status = INELIGIBLE
    elif missing_any or set(compiled.amount_variables) & unknown:
        status = NEEDS_DATA
    else:
        status = ERROR if errors else NEEDS_CONFIRMATION if manual else ELIGIBLE
    result["status"] = status
    if status != ELIGIBLE and status != NEEDS_CONFIRMATION:
        result["amount_fen"] = None
    if status == NEEDS_DATA:
        result["almost"] = None
        result["missing_data"] = missing_vars
    elif result["almost"] and any(
        e["state"] == "missing" and e["id"] == result["almost"]["criterion_id"] for e in result["criteria"]
    ):
        result["almost"] = None


def _values(data: dict[str, Any], names: tuple[str, ...], dotted: bool) -> dict[str, Any]:
    """The profile values a rule read, by variable name (dotted paths resolved like ``var``)."""
    if dotted:
        return {n: _read(data, n) for n in names}
    get = data.get
    return {n: get(n) for n in names}


def _read(data: dict[str, Any], name: str) -> Any:
    if "." not in name:
        return data.get(name)
    return resolve_var(data, split_path(name))


def explain_failure(rule: Any, data: dict[str, Any]) -> list[dict[str, Any]]:
    """What is missing and by how much, for the simple shapes rules are written in; a generic note otherwise."""
    if not is_operation(rule):
        return []
    op, raw = next(iter(rule.items()))
    args = raw if isinstance(raw, list) else [raw]
    if op == "and":
        found: list[dict[str, Any]] = []
        for arg in args:
            if not _safetruthy(arg, data):
                found.extend(explain_failure(arg, data))
        return found
    if op == "or":
        return [{"any_of": [item for arg in args for item in explain_failure(arg, data)]}]
    if op in (">=", ">", "<=", "<") and len(args) == 2:
        left_var, right_var = _var_name(args[0]), _var_name(args[1])
        left, right = _safe_value(args[0], data), _safe_value(args[1], data)
        if left_var and not right_var:
            variable, actual, required, operator = left_var, left, right, op
        elif right_var and not left_var:
            flipped = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}[op]
            variable, actual, required, operator = right_var, right, left, flipped
        else:
            return [{"rule": rule, "note": "条件未满足"}]
        item: dict[str, Any] = {
            "variable": variable,
            "actual": actual,
            "operator": operator,
            "required": required,
        }
        if isinstance(actual, int | float) and isinstance(required, int | float):
            gap = (required - actual) if operator in (">=", ">") else (actual - required)
            item["gap"] = round(gap, 10) if isinstance(gap, float) else gap
        return [item]
    if op in ("<", "<=") and len(args) == 3:
        between = _var_name(args[1])
        return [
            {
                "variable": between,
                "actual": _safe_value(args[1], data),
                "operator": f"between{op}",
                "required": [_safe_value(args[0], data), _safe_value(args[2], data)],
            }
        ]
    if op == "in" and len(args) == 2:
        needle_var, hay_var = _var_name(args[0]), _var_name(args[1])
        if hay_var and not needle_var:
            return [{"variable": hay_var, "missing": _safe_value(args[0], data)}]
        if needle_var:
            return [
                {
                    "variable": needle_var,
                    "actual": _safe_value(args[0], data),
                    "required_one_of": _safe_value(args[1], data),
                }
            ]
    if op == "!" and len(args) == 1 and is_operation(args[0]) and "in" in args[0]:
        inner = args[0]["in"]
        if isinstance(inner, list) and len(inner) == 2:
            needle_var, hay_var = _var_name(inner[0]), _var_name(inner[1])
            if hay_var and not needle_var:  # {"!": {"in": ["high_tech", {"var": "new_qualifications"}]}}
                return [
                    {
                        "variable": hay_var,
                        "actual": _safe_value(inner[1], data),
                        "must_not_include": _safe_value(inner[0], data),
                    }
                ]
            if needle_var and not hay_var:  # {"!": {"in": [{"var": "district"}, ["花桥"]]}}
                return [
                    {
                        "variable": needle_var,
                        "actual": _safe_value(inner[0], data),
                        "must_not_be_one_of": _safe_value(inner[1], data),
                    }
                ]
    if op == "!!" and len(args) == 1 and _var_name(args[0]):  # {"!!": {"var": "arrived_in_period"}}
        return [{"variable": _var_name(args[0]), "actual": _safe_value(args[0], data), "required": True}]
    if op in ("==", "!=") and len(args) == 2:
        name = _var_name(args[0]) or _var_name(args[1])
        other = args[1] if _var_name(args[0]) else args[0]
        return [
            {
                "variable": name,
                "actual": resolve_var(data, split_path(name)) if name else None,
                "operator": op,
                "required": _safe_value(other, data),
            }
        ]
    return [{"rule": rule, "note": "条件未满足"}]


def _var_name(node: Any) -> str | None:
    """The profile variable a node reads directly (parameters are thresholds, not what the applicant lacks)."""
    if is_operation(node) and "var" in node:
        raw = node["var"]
        name = raw[0] if isinstance(raw, list) and raw else raw
        return name if isinstance(name, str) and not name.startswith("params.") else None
    return None


# Sub-rules compiled for near-miss explanations, keyed by node identity (the node is kept so its id stays unique).
_EXPLAIN_CACHE: dict[int, tuple[Any, Any]] = {}


def _safe_value(node: Any, data: dict[str, Any]) -> Any:
    cached = _EXPLAIN_CACHE.get(id(node))
    if cached is None or cached[0] is not node:
        if len(_EXPLAIN_CACHE) > 50_000:
            _EXPLAIN_CACHE.clear()
        cached = _EXPLAIN_CACHE[id(node)] = (node, compile_rule(node))
    try:
        return cached[1](data)
    except RuleEvaluationError:
        return None


def _safetruthy(node: Any, data: dict[str, Any]) -> bool:
    return truthy(_safe_value(node, data))


def trace_digest(result: dict[str, Any]) -> str:
    """A stable sha256 of what decided an outcome, carried on entitlement events instead of the whole trace."""
    body = {
        k: result.get(k)
        for k in ("policy_code", "version", "status", "amount_fen", "criteria", "amount_trace")
    }
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()

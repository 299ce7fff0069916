"""Evaluating one policy version for one profile: status, amount, per-criterion trace and near-misses."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kunruyi_policy.rules.jsonlogic import (
    Evaluator,
    RuleEvaluationError,
    compile_rule,
    is_operation,
    referenced_vars,
    resolve_var,
    split_path,
    to_number,
    truthy,
)
from kunruyi_policy.rules.parameters import resolve_parameters

ELIGIBLE, INELIGIBLE, NEEDS_CONFIRMATION, ERROR = "eligible", "ineligible", "needs_confirmation", "error"


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


@dataclass
class CompiledCriterion:
    id: str
    label: str
    kind: str
    rule: Any
    evaluate: Evaluator | None
    variables: tuple[str, ...]
    parameters: tuple[str, ...]


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
    _resolved: dict[date, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def parameters_at(self, at: date) -> dict[str, dict[str, Any]]:
        cached = self._resolved.get(at)
        if cached is None:
            cached = self._resolved[at] = resolve_parameters(self.parameters, at)
        return cached

    def parameter_values_at(self, at: date) -> dict[str, Any]:
        return {name: p["value"] for name, p in self.parameters_at(at).items()}


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
    compiled = []
    for c in criteria:
        rule = c.get("rule") if c["kind"] == "data" else None
        variables, params = _split_references(rule)
        compiled.append(
            CompiledCriterion(
                id=c["id"], label=c["label"], kind=c["kind"], rule=rule,
                evaluate=compile_rule(rule) if c["kind"] == "data" else None,
                variables=variables, parameters=params,
            )
        )
    amount_variables, amount_parameters = _split_references(amount)
    return CompiledVersion(
        meta=meta, version=version, effective_from=effective_from, criteria=compiled, amount_rule=amount,
        amount=compile_rule(amount), amount_variables=amount_variables, amount_parameters=amount_parameters,
        amount_cap_fen=amount_cap_fen, parameters=parameters or {},
    )


def round_amount(value: Any, cap: int | None) -> int:
    """Fen from a formula result: half-up rounding, never negative, at most the cap."""
    number = to_number(value)
    if number != number or math.isinf(number):
        raise RuleEvaluationError("金额公式未得出有效数值")
    fen = max(0, int(math.floor(number + 0.5)))
    return min(fen, cap) if cap is not None else fen


def _missing_parameters(names: tuple[str, ...], resolved: dict[str, Any]) -> list[str]:
    return [n for n in names if n not in resolved]


def evaluate_version(
    compiled: CompiledVersion, profile: dict[str, Any], at: date, *, explain: bool = True
) -> dict[str, Any]:
    """The outcome of ``compiled`` for ``profile`` on ``at``. ``explain=False`` skips the trace (bulk checks)."""
    resolved = compiled.parameters_at(at)
    data = dict(profile)
    data["params"] = {name: p["value"] for name, p in resolved.items()}
    trace: list[dict[str, Any]] = []
    failed: list[tuple[CompiledCriterion, dict[str, Any]]] = []
    errors = 0
    manual = 0
    for criterion in compiled.criteria:
        entry: dict[str, Any] = {"id": criterion.id, "label": criterion.label, "kind": criterion.kind}
        if criterion.kind == "manual":
            manual += 1
            entry["state"] = "manual"
            entry["reason"] = "需人工确认"
        else:
            missing = _missing_parameters(criterion.parameters, resolved)
            if missing:
                errors += 1
                entry["state"] = "error"
                entry["reason"] = f"参数 {'、'.join(missing)} 在 {at.isoformat()} 没有生效的取值"
            else:
                try:
                    assert criterion.evaluate is not None
                    passed = truthy(criterion.evaluate(data))
                    entry["state"] = "pass" if passed else "fail"
                except RuleEvaluationError as exc:
                    errors += 1
                    entry["state"] = "error"
                    entry["reason"] = str(exc)
            if explain:
                entry["values"] = {v: resolve_var(data, split_path(v)) for v in criterion.variables}
                entry["parameters"] = {p: resolved[p] for p in criterion.parameters if p in resolved}
            if entry["state"] == "fail":
                failed.append((criterion, entry))
        trace.append(entry)

    status = INELIGIBLE if failed else ERROR if errors else NEEDS_CONFIRMATION if manual else ELIGIBLE
    amount_fen: int | None = None
    reason: str | None = None
    if status in (ELIGIBLE, NEEDS_CONFIRMATION) or (explain and len(failed) == 1 and not errors):
        missing = _missing_parameters(compiled.amount_parameters, resolved)
        try:
            if missing:
                raise RuleEvaluationError(f"参数 {'、'.join(missing)} 在 {at.isoformat()} 没有生效的取值")
            amount_fen = round_amount(compiled.amount(data), compiled.amount_cap_fen)
        except RuleEvaluationError as exc:
            if status != INELIGIBLE:
                status, reason = ERROR, f"金额：{exc}"
    result: dict[str, Any] = {
        "policy_code": compiled.meta.code,
        "version": compiled.version,
        "status": status,
        "amount_fen": amount_fen if status in (ELIGIBLE, NEEDS_CONFIRMATION) else None,
    }
    if not explain:
        return result
    meta = compiled.meta
    result.update(
        title=meta.title, department=meta.department, category=meta.category, theme=meta.theme,
        policy_type=meta.policy_type, mode=meta.mode, beneficiary=meta.beneficiary, legal_source=meta.legal_source,
        version_effective_from=compiled.effective_from.isoformat() if compiled.effective_from else None,
        amount_cap_fen=compiled.amount_cap_fen,
        amount_trace={
            "values": {v: resolve_var(data, split_path(v)) for v in compiled.amount_variables},
            "parameters": {p: resolved[p] for p in compiled.amount_parameters if p in resolved},
        },
        criteria=trace,
        almost=None,
    )
    if reason:
        result["reason"] = reason
    if status == INELIGIBLE and len(failed) == 1 and not errors:
        criterion, _ = failed[0]
        result["almost"] = {
            "criterion_id": criterion.id,
            "label": criterion.label,
            "missing": explain_failure(criterion.rule, data),
            "potential_amount_fen": amount_fen,
        }
    return result


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
        item: dict[str, Any] = {"variable": variable, "actual": actual, "operator": operator, "required": required}
        if isinstance(actual, int | float) and isinstance(required, int | float):
            gap = (required - actual) if operator in (">=", ">") else (actual - required)
            item["gap"] = round(gap, 10) if isinstance(gap, float) else gap
        return [item]
    if op in ("<", "<=") and len(args) == 3:
        variable = _var_name(args[1])
        return [{"variable": variable, "actual": _safe_value(args[1], data), "operator": f"between{op}",
                 "required": [_safe_value(args[0], data), _safe_value(args[2], data)]}]
    if op == "in" and len(args) == 2:
        needle_var, hay_var = _var_name(args[0]), _var_name(args[1])
        if hay_var and not needle_var:
            return [{"variable": hay_var, "missing": _safe_value(args[0], data)}]
        if needle_var:
            return [{"variable": needle_var, "actual": _safe_value(args[0], data), "required_one_of": _safe_value(args[1], data)}]
    if op in ("==", "!=") and len(args) == 2:
        name = _var_name(args[0]) or _var_name(args[1])
        other = args[1] if _var_name(args[0]) else args[0]
        return [{"variable": name, "actual": resolve_var(data, split_path(name)) if name else None, "operator": op,
                 "required": _safe_value(other, data)}]
    return [{"rule": rule, "note": "条件未满足"}]


def _var_name(node: Any) -> str | None:
    """The profile variable a node reads directly (parameters are thresholds, not what the applicant lacks)."""
    if is_operation(node) and "var" in node:
        raw = node["var"]
        name = raw[0] if isinstance(raw, list) and raw else raw
        return name if isinstance(name, str) and not name.startswith("params.") else None
    return None


def _safe_value(node: Any, data: dict[str, Any]) -> Any:
    try:
        return compile_rule(node)(data)
    except RuleEvaluationError:
        return None


def _safetruthy(node: Any, data: dict[str, Any]) -> bool:
    return truthy(_safe_value(node, data))


def trace_digest(result: dict[str, Any]) -> str:
    """A stable sha256 of what decided an outcome, carried on entitlement events instead of the whole trace."""
    body = {k: result.get(k) for k in ("policy_code", "version", "status", "amount_fen", "criteria", "amount_trace")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()

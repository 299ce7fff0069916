"""Static checks of a policy version before it can be saved: operators, arity, variables and number types.

Every problem carries the JSON path of the offending node, e.g. ``criteria[2].rule.and[1]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from kunruyi_policy.rules.jsonlogic import OPERATORS, is_operation
from kunruyi_policy.rules.variables import VariableSpec, variables_for

# (minimum, maximum) number of arguments; None = unbounded.
ARITY: dict[str, tuple[int, int | None]] = {
    "var": (1, 2),
    "==": (2, 2),
    "!=": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    ">": (2, 2),
    ">=": (2, 2),
    "and": (1, None),
    "or": (1, None),
    "!": (1, 1),
    "!!": (1, 1),
    "in": (2, 2),
    "if": (1, None),
    "+": (1, None),
    "-": (1, 2),
    "*": (2, None),
    "/": (2, 2),
    "min": (1, None),
    "max": (1, None),
}
MAX_DEPTH = 40
NUMERIC_OPERATORS = frozenset({"<", "<=", ">", ">=", "+", "-", "*", "/", "min", "max"})
BOOLEAN_RESULT = frozenset({"==", "!=", "<", "<=", ">", ">=", "!", "!!", "in"})
NUMBER_RESULT = frozenset({"+", "-", "*", "/", "min", "max"})
_TYPE_OF_VARIABLE = {
    "number": "number",
    "integer": "number",
    "string": "string",
    "boolean": "boolean",
    "list": "list",
}


@dataclass(frozen=True)
class RuleIssue:
    path: str
    code: str
    message: str

    def public(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


class RuleChecker:
    def __init__(self, variables: dict[str, VariableSpec], parameter_types: dict[str, str]) -> None:
        self.variables = variables
        self.parameter_types = parameter_types
        self.issues: list[RuleIssue] = []

    def fail(self, path: str, code: str, message: str) -> str:
        self.issues.append(RuleIssue(path, code, message))
        return "any"

    def check(self, node: Any, path: str, depth: int = 0) -> str:
        """Check ``node`` and return its static type: number, string, boolean, list, null or any."""
        if depth > MAX_DEPTH:
            return self.fail(path, "too_deep", f"规则嵌套超过 {MAX_DEPTH} 层")
        if isinstance(node, bool):
            return "boolean"
        if isinstance(node, float) and not math.isfinite(node):
            # JSON's 1e400 parses as infinity, which neither JSON Logic nor the database can hold
            return self.fail(path, "not_finite", "数值必须是有限数")
        if isinstance(node, int | float):
            return "number"
        if isinstance(node, str):
            return "string"
        if node is None:
            return "null"
        if isinstance(node, list):
            for i, item in enumerate(node):
                self.check(item, f"{path}[{i}]", depth + 1)
            return "list"
        if not isinstance(node, dict):
            return self.fail(path, "invalid_node", "无法识别的规则节点")
        if not is_operation(node):
            return self.fail(path, "invalid_node", "规则节点必须恰好有一个运算符键")
        op, raw = next(iter(node.items()))
        if op not in OPERATORS:
            return self.fail(path, "unknown_operator", f"未知运算符 {op!r}")
        args = raw if isinstance(raw, list) else [raw]
        low, high = ARITY[op]
        if len(args) < low or (high is not None and len(args) > high):
            expected = f"{low}" if low == high else f"{low}–{high if high is not None else 'n'}"
            return self.fail(
                f"{path}.{op}", "wrong_arity", f"运算符 {op} 需要 {expected} 个参数，收到 {len(args)} 个"
            )
        if op == "var":
            return self._check_var(args, f"{path}.var", depth)
        arg_paths = [f"{path}.{op}[{i}]" for i in range(len(args))]
        types = [self.check(arg, p, depth + 1) for arg, p in zip(args, arg_paths, strict=True)]
        if op in NUMERIC_OPERATORS:
            for t, p in zip(types, arg_paths, strict=True):
                if t not in ("number", "any"):
                    self.fail(p, "not_a_number", f"运算符 {op} 需要数值，这里是 {t}")
        if op == "in" and types[1] not in ("list", "string", "any"):
            self.fail(arg_paths[1], "not_a_collection", "in 的第二个参数必须是列表或字符串")
        if op in ("==", "!=", "in"):
            self._check_codes(op, args, arg_paths)
        if op in BOOLEAN_RESULT:
            return "boolean"
        if op in NUMBER_RESULT:
            return "number"
        if op == "if":
            branch_types = {types[i] for i in range(1, len(types), 2)} | (
                {types[-1]} if len(types) % 2 else {"null"}
            )
        else:
            branch_types = set(types)
        return branch_types.pop() if len(branch_types) == 1 else "any"

    def _codes_of(self, node: Any) -> VariableSpec | None:
        """The variable a node reads directly, when the dictionary lists the values it can take."""
        if not (is_operation(node) and "var" in node):
            return None
        raw = node["var"]
        name = raw[0] if isinstance(raw, list) and raw else raw
        spec = self.variables.get(name) if isinstance(name, str) else None
        return spec if spec is not None and spec.values else None

    def _check_codes(self, op: str, args: list[Any], paths: list[str]) -> None:
        """A literal compared with a coded variable must be one of its codes: ``"hightech"`` would never match."""
        if len(args) != 2:
            return
        left, right = self._codes_of(args[0]), self._codes_of(args[1])
        if op == "in" and right is not None and right.type == "list":
            self._known_code(right, args[0], paths[0])  # "high_tech" in qualifications
        elif op == "in" and left is not None and isinstance(args[1], list):
            for i, item in enumerate(args[1]):  # district in ["开发区", "花桥"]
                self._known_code(left, item, f"{paths[1]}[{i}]")
        elif op in ("==", "!=") and (left is None) != (right is None):
            spec, literal, path = (
                (left, args[1], paths[1]) if left is not None else (right, args[0], paths[0])
            )
            if spec is not None and spec.type == "string":
                self._known_code(spec, literal, path)

    def _known_code(self, spec: VariableSpec, literal: Any, path: str) -> None:
        if isinstance(literal, str) and literal and spec.values and literal not in spec.values:
            self.fail(
                path,
                "unknown_value",
                f"{spec.name}（{spec.label}）没有取值 {literal!r}，可用取值：{'、'.join(spec.values)}",
            )

    def _check_var(self, args: list[Any], path: str, depth: int) -> str:
        name = args[0]
        if not isinstance(name, str) or not name:
            return self.fail(path, "invalid_variable", "var 的路径必须是非空字符串")
        if len(args) == 2:
            self.check(args[1], f"{path}[1]", depth + 1)
        if name.startswith("params."):
            param = name.removeprefix("params.")
            if param not in self.parameter_types:
                return self.fail(path, "unknown_parameter", f"未定义的参数 {param}")
            return self.parameter_types[param]
        spec = self.variables.get(name)
        if spec is None:
            return self.fail(path, "unknown_variable", f"变量字典中没有 {name}")
        return _TYPE_OF_VARIABLE[spec.type]


def _parameter_types(parameters: Any, issues: list[RuleIssue]) -> dict[str, str]:
    types: dict[str, str] = {}
    if not isinstance(parameters, dict):
        issues.append(RuleIssue("parameters", "invalid_parameters", "parameters 必须是对象"))
        return types
    for name, definition in parameters.items():
        base = f"parameters.{name}"
        values = definition.get("values") if isinstance(definition, dict) else None
        if not isinstance(values, list) or not values:
            issues.append(RuleIssue(f"{base}.values", "missing_values", "参数至少需要一个带生效日期的取值"))
            continue
        kinds: set[str] = set()
        for i, entry in enumerate(values):
            p = f"{base}.values[{i}]"
            if not isinstance(entry, dict) or "value" not in entry:
                issues.append(RuleIssue(p, "invalid_value", "取值需要 effective_from、value、reference"))
                continue
            try:
                date.fromisoformat(str(entry.get("effective_from")))
            except ValueError:
                issues.append(RuleIssue(f"{p}.effective_from", "invalid_date", "生效日期格式应为 YYYY-MM-DD"))
            if not str(entry.get("reference") or "").strip():
                issues.append(
                    RuleIssue(f"{p}.reference", "missing_reference", "每个取值都要注明依据（文号）")
                )
            value = entry["value"]
            kinds.add(
                "number"
                if isinstance(value, int | float) and not isinstance(value, bool)
                else "list"
                if isinstance(value, list)
                else "string"
                if isinstance(value, str)
                else "any"
            )
        types[name] = kinds.pop() if len(kinds) == 1 else "any"
    return types


def _non_finite(value: Any, path: str, issues: list[RuleIssue]) -> None:
    """Infinity (JSON's 1e400) anywhere outside a rule: the database cannot store it."""
    if isinstance(value, float) and not math.isfinite(value):
        issues.append(RuleIssue(path, "not_finite", "数值必须是有限数"))
    elif isinstance(value, dict):
        for key, item in value.items():
            _non_finite(item, f"{path}.{key}", issues)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _non_finite(item, f"{path}[{i}]", issues)


def validate_version(
    beneficiary: str,
    criteria: Any,
    amount: Any,
    parameters: Any,
    *,
    mode: str | None = None,
    amount_cap_fen: int | None = None,
) -> list[RuleIssue]:
    issues: list[RuleIssue] = []
    parameter_types = _parameter_types(parameters or {}, issues)
    _non_finite(parameters, "parameters", issues)
    checker = RuleChecker(variables_for(beneficiary), parameter_types)
    if not isinstance(criteria, list):
        issues.append(RuleIssue("criteria", "invalid_criteria", "criteria 必须是列表"))
        criteria = []
    seen: set[str] = set()
    for i, criterion in enumerate(criteria):
        base = f"criteria[{i}]"
        if not isinstance(criterion, dict):
            issues.append(RuleIssue(base, "invalid_criterion", "条件必须是对象"))
            continue
        for key, item in criterion.items():
            if key != "rule":  # rules are checked node by node below
                _non_finite(item, f"{base}.{key}", issues)
        cid = criterion.get("id")
        if not isinstance(cid, str) or not cid:
            issues.append(RuleIssue(f"{base}.id", "missing_id", "条件需要 id"))
        elif cid in seen:
            issues.append(RuleIssue(f"{base}.id", "duplicate_id", f"条件 id {cid} 重复"))
        else:
            seen.add(cid)
        if not str(criterion.get("label") or "").strip():
            issues.append(RuleIssue(f"{base}.label", "missing_label", "条件需要中文说明 label"))
        kind = criterion.get("kind")
        if kind == "data":
            if "rule" not in criterion:
                issues.append(RuleIssue(f"{base}.rule", "missing_rule", "数据条件需要 JSON Logic 规则"))
            else:
                checker.check(criterion["rule"], f"{base}.rule")
        elif kind == "manual":
            if mode == "automatic":
                issues.append(
                    RuleIssue(f"{base}.kind", "manual_in_automatic", "免申即享政策只能包含数据条件")
                )
        else:
            issues.append(RuleIssue(f"{base}.kind", "invalid_kind", "kind 只能是 data 或 manual"))
    if amount is None:
        issues.append(RuleIssue("amount", "missing_amount", "需要金额公式（分）"))
    else:
        amount_type = checker.check(amount, "amount")
        if amount_type not in ("number", "any"):
            checker.fail("amount", "not_a_number", "金额公式必须得出数值（分）")
    if amount_cap_fen is not None and (not isinstance(amount_cap_fen, int) or amount_cap_fen < 0):
        issues.append(RuleIssue("amount_cap_fen", "invalid_cap", "封顶金额必须是非负整数（分）"))
    return issues + checker.issues

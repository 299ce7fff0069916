"""Rules that are valid but cannot be what was meant: a comparison the variable's range makes always true or never
true (研发占比 ≥ 150 %, 职工人数 ≥ 0), a value a list or code variable can never hold. Reported as warnings in the
dry runs (catalog sheet, ``/validate``) — the rule still saves: an officer may mean it, but usually a unit is wrong
(元 for 分, 40 for 0.4)."""

from __future__ import annotations

from typing import Any

from kunruyi_policy.rules.validation import RuleIssue
from kunruyi_policy.rules.variables import PROFILE_MODELS, VariableSpec, variables_for

# op → the same comparison read with the operands swapped (c op x ≡ x swapped c)
_SWAPPED = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}


def _verdict(op: str, low: float | None, high: float | None, c: float) -> bool | None:
    """True: the comparison holds for every value in [low, high]; False: for none; None: it depends."""
    if op == ">=":
        return True if low is not None and low >= c else False if high is not None and high < c else None
    if op == ">":
        return True if low is not None and low > c else False if high is not None and high <= c else None
    if op == "<=":
        return True if high is not None and high <= c else False if low is not None and low > c else None
    if op == "<":
        return True if high is not None and high < c else False if low is not None and low >= c else None
    outside = (low is not None and c < low) or (high is not None and c > high)
    if op == "==":
        return False if outside else None
    if op == "!=":
        return True if outside else None
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _variable(node: Any, variables: dict[str, VariableSpec]) -> VariableSpec | None:
    if isinstance(node, dict) and len(node) == 1 and "var" in node:
        name = node["var"]
        name = name[0] if isinstance(name, list) and name else name
        return variables.get(name) if isinstance(name, str) else None
    return None


def _describe(spec: VariableSpec) -> str:
    low = "−∞" if spec.minimum is None else f"{spec.minimum:g}"
    high = "+∞" if spec.maximum is None else f"{spec.maximum:g}"
    return (
        f"{spec.label}（{spec.name}）的取值范围是 [{low}, {high}]{'，单位' + spec.unit if spec.unit else ''}"
    )


class _Walker:
    def __init__(self, variables: dict[str, VariableSpec]) -> None:
        self.variables = variables
        self.warnings: list[RuleIssue] = []

    def walk(self, node: Any, path: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                self.walk(item, f"{path}[{i}]")
            return
        if not isinstance(node, dict) or len(node) != 1:
            return
        op, args = next(iter(node.items()))
        if op in _SWAPPED and isinstance(args, list) and len(args) == 2:
            self._compare(op, args, path)
        if op == "in" and isinstance(args, list) and len(args) == 2:
            self._membership(args, path)
        if isinstance(args, list):
            for i, item in enumerate(args):
                self.walk(item, f"{path}.{op}[{i}]")

    def _compare(self, op: str, args: list[Any], path: str) -> None:
        spec, constant = _variable(args[0], self.variables), _number(args[1])
        if spec is None:
            spec, constant, op = _variable(args[1], self.variables), _number(args[0]), _SWAPPED[op]
        if spec is None or constant is None or spec.type not in ("number", "integer"):
            return
        verdict = _verdict(op, spec.minimum, spec.maximum, constant)
        if verdict is not None:
            always = "恒成立" if verdict else "永不成立"
            self.warnings.append(
                RuleIssue(
                    path,
                    "always_true" if verdict else "never_true",
                    f"条件{always}：{spec.name} {op} {constant:g}，而{_describe(spec)}；请检查数值或单位",
                )
            )

    def _membership(self, args: list[Any], path: str) -> None:
        # {"in": ["high_tech", {"var": "qualifications"}]}: a code the list can never hold
        spec = _variable(args[1], self.variables)
        if spec is None or spec.values is None or not isinstance(args[0], str):
            return
        if args[0] not in spec.values:
            self.warnings.append(
                RuleIssue(
                    path, "never_true", f"条件永不成立：{spec.label}（{spec.name}）中不会出现 {args[0]!r}"
                )
            )


def rule_warnings(beneficiary: str, criteria: Any) -> list[RuleIssue]:
    """Every comparison in the data criteria that the variables' ranges decide by themselves."""
    if beneficiary not in PROFILE_MODELS or not isinstance(criteria, list):
        return []
    walker = _Walker(variables_for(beneficiary))
    for i, criterion in enumerate(criteria):
        if isinstance(criterion, dict) and criterion.get("kind") == "data":
            walker.walk(criterion.get("rule"), f"criteria[{i}].rule")
    return walker.warnings

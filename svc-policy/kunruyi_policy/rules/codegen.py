"""Type-directed compilation of a rule to one Python expression, for profiles validated against the dictionary.

When the variable dictionary says ``rd_ratio`` is a number and the profile was validated, ``{">=": [{"var":
"rd_ratio"}, 0.03]}`` can become ``d["rd_ratio"] >= 0.03`` — JSON Logic's coercions cannot change the answer for
operands of known, matching types. Operands of unknown type go through the interpreter's helpers, so the result is
the same as :func:`kunruyi_policy.rules.jsonlogic.compile_rule`; callers fall back to the interpreter if the data
does not have the promised shape (a ``KeyError`` or ``TypeError``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kunruyi_policy.rules import jsonlogic as jl
from kunruyi_policy.rules.amounts import round_amount
from kunruyi_policy.rules.variables import VariableSpec

_TYPE_OF_VARIABLE = {
    "number": "number",
    "integer": "number",
    "string": "string",
    "boolean": "boolean",
    "list": "list",
}
# Python truthiness equals JavaScript's for these (numbers: validated profile numbers are never NaN).
_PYTHON_TRUTHY = {"boolean", "string", "list", "null", "number"}


class Unsupported(Exception):
    pass


def _divide(a: Any, b: Any) -> Any:
    if b == 0:
        raise jl.RuleEvaluationError("除数为零")
    return a / b


class _Generator:
    def __init__(self, variables: dict[str, VariableSpec], parameter_types: dict[str, str]) -> None:
        self.variables = variables
        self.parameter_types = parameter_types
        self.namespace: dict[str, Any] = {
            "_truthy": jl.truthy,
            "_less": jl._less,
            "_eq": jl.loose_equals,
            "_num": jl.to_number,
            "_pf": jl.parse_float,
            "_js_str": jl._js_string,
            "_strict_in": jl.strict_in,
            "_div": _divide,
        }

    def constant(self, value: Any) -> str:
        name = f"_c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def truth(self, expr: str, kind: str) -> str:
        if kind == "boolean":
            return expr
        return f"bool({expr})" if kind in _PYTHON_TRUTHY else f"_truthy({expr})"

    def gen(self, node: Any) -> tuple[str, str]:
        if isinstance(node, bool):
            return repr(node), "boolean"
        if isinstance(node, int | float):
            return repr(node), "number"
        if isinstance(node, str):
            return repr(node), "string"
        if node is None:
            return "None", "null"
        if isinstance(node, list):
            if any(isinstance(item, dict | list) for item in node):
                raise Unsupported("computed list")
            return self.constant(list(node)), "list"
        if not jl.is_operation(node):
            raise Unsupported("object literal")
        op, raw = next(iter(node.items()))
        args = raw if isinstance(raw, list) else [raw]
        if op == "var":
            return self.var(args)
        parts = [self.gen(a) for a in args]
        exprs = [e for e, _ in parts]
        kinds = [k for _, k in parts]
        numbers = all(k == "number" for k in kinds)
        if op in ("<", "<=", ">", ">="):
            if len(parts) == 3 and op in ("<", "<="):
                if numbers:
                    return f"({exprs[0]} {op} {exprs[1]} {op} {exprs[2]})", "boolean"
                raise Unsupported("between on non-numbers")
            if numbers:
                return f"({exprs[0]} {op} {exprs[1]})", "boolean"
            a, b = (exprs[0], exprs[1]) if op in ("<", "<=") else (exprs[1], exprs[0])
            return f"_less({a}, {b}, {op in ('<=', '>=')})", "boolean"
        if op in ("==", "!="):
            same = kinds[0] == kinds[1] and kinds[0] in ("number", "string", "boolean")
            expr = f"({exprs[0]} == {exprs[1]})" if same else f"_eq({exprs[0]}, {exprs[1]})"
            return (expr if op == "==" else f"(not {expr})"), "boolean"
        if op == "!":
            return f"(not {self.truth(exprs[0], kinds[0])})", "boolean"
        if op == "!!":
            return self.truth(exprs[0], kinds[0]), "boolean"
        if op in ("and", "or"):
            if not all(k in _PYTHON_TRUTHY for k in kinds):
                raise Unsupported("and/or over untyped operands")
            kind = kinds[0] if len(set(kinds)) == 1 else "any"
            return "(" + f" {op} ".join(exprs) + ")", kind
        if op == "in":
            needle, haystack = parts
            if haystack[1] == "list" and needle[1] == "string":
                literal = args[1] if isinstance(args[1], list) else None
                if literal is not None and all(isinstance(x, str) for x in literal):
                    return f"({needle[0]} in {self.constant(frozenset(literal))})", "boolean"
                if literal is None:
                    return f"({needle[0]} in {haystack[0]})", "boolean"
            if haystack[1] == "string" and needle[1] == "string":
                return f"({needle[0]} in {haystack[0]})", "boolean"
            return f"_in({needle[0]}, {haystack[0]})", "boolean"
        if op == "if":
            return self.conditional(parts)
        if op in ("+", "-", "*", "/", "min", "max"):
            if not numbers:
                raise Unsupported("arithmetic on untyped operands")
            if op == "+":
                return "(" + " + ".join(exprs) + ")", "number"
            if op == "-":
                return (f"(-{exprs[0]})" if len(exprs) == 1 else f"({exprs[0]} - {exprs[1]})"), "number"
            if op == "*":
                return "(" + " * ".join(exprs) + ")", "number"
            if op == "/":
                return f"_div({exprs[0]}, {exprs[1]})", "number"
            return f"{op}({', '.join(exprs)})" if len(exprs) > 1 else exprs[0], "number"
        raise Unsupported(op)

    def conditional(self, parts: list[tuple[str, str]]) -> tuple[str, str]:
        otherwise, other_kind = parts[-1] if len(parts) % 2 == 1 else ("None", "null")
        expr, kinds = otherwise, {other_kind}
        pairs = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        for (condition, condition_kind), (then, then_kind) in reversed(pairs):
            expr = f"({then} if {self.truth(condition, condition_kind)} else {expr})"
            kinds.add(then_kind)
        return expr, kinds.pop() if len(kinds) == 1 else "any"

    def var(self, args: list[Any]) -> tuple[str, str]:
        name = args[0] if args else None
        if len(args) != 1 or not isinstance(name, str):
            raise Unsupported("var with default or computed path")
        if name.startswith("params."):
            key = name.removeprefix("params.")
            return f"d['params'][{key!r}]", self.parameter_types.get(key, "any")
        spec = self.variables.get(name)
        if spec is None:
            raise Unsupported(f"unknown variable {name}")
        return f"d[{name!r}]", _TYPE_OF_VARIABLE[spec.type]


def _parameter_types(parameters: dict[str, Any]) -> dict[str, str]:
    types: dict[str, str] = {}
    for name, definition in (parameters or {}).items():
        values = (
            [v.get("value") for v in definition.get("values", [])] if isinstance(definition, dict) else []
        )
        numeric = values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        types[name] = "number" if numeric else "any"
    return types


Decision = Callable[[dict[str, Any]], tuple[str, int | None]]


def compile_decision(
    rules: list[Any],
    has_manual: bool,
    amount: Any,
    cap: int | None,
    variables: dict[str, VariableSpec],
    parameters: dict[str, Any],
) -> Decision | None:
    """One function deciding (status, amount) for a whole version, when no criterion can raise an error.

    A criterion that can fail to evaluate (division) needs per-criterion error accounting, so such versions keep
    the general path.
    """
    generator = _Generator(variables, _parameter_types(parameters))
    generator.namespace["_in"] = _generic_in
    try:
        parts = [generator.gen(rule) for rule in rules]
        amount_expr, amount_kind = generator.gen(amount)
    except Unsupported:
        return None
    if any("_div(" in expr for expr, _ in parts) or amount_kind != "number":
        return None
    ok_status = "needs_confirmation" if has_manual else "eligible"

    def settle(value_of: Callable[[dict[str, Any]], Any], data: dict[str, Any]) -> tuple[str, int | None]:
        try:
            return ok_status, round_amount(value_of(data), cap)
        except jl.RuleEvaluationError:
            return "error", None

    generator.namespace["_no"] = ("ineligible", None)
    condition = " and ".join(f"({generator.truth(e, k)})" for e, k in parts) or "True"
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        # A fixed award (the common case) is settled once, here.
        generator.namespace["_yes"] = settle(lambda d: amount, {})
        outcome = "_yes"
    else:
        generator.namespace["_settle"] = settle
        generator.namespace["_amount"] = eval(f"lambda d: {amount_expr}", generator.namespace)
        outcome = "_settle(_amount, d)"
    decision: Decision = eval(f"lambda d: {outcome} if {condition} else _no", generator.namespace)
    return decision


Failures = Callable[[dict[str, Any]], list[int]]


def compile_failures(
    rules: list[Any], variables: dict[str, VariableSpec], parameters: dict[str, Any]
) -> Failures | None:
    """One function giving the indices of a version's failing data criteria (every one evaluated, truth as in
    :func:`compile_decision`), when none can raise an error; the compact answer finds near misses with it."""
    generator = _Generator(variables, _parameter_types(parameters))
    generator.namespace["_in"] = _generic_in
    try:
        parts = [generator.gen(rule) for rule in rules]
    except Unsupported:
        return None
    if not parts or any("_div(" in expr for expr, _ in parts):
        return None
    checks = "".join(f"({generator.truth(e, k)}), " for e, k in parts)
    failures: Failures = eval(
        f"lambda d: [i for i, ok in enumerate(({checks})) if not ok]", generator.namespace
    )
    return failures


def compile_typed(
    rule: Any, variables: dict[str, VariableSpec], parameters: dict[str, Any]
) -> Callable[[dict[str, Any]], Any] | None:
    """A fast evaluator of ``rule`` for validated profiles, or None when the rule needs the generic interpreter."""
    generator = _Generator(variables, _parameter_types(parameters))
    generator.namespace["_in"] = _generic_in
    try:
        expr, _ = generator.gen(rule)
    except Unsupported:
        return None
    function: Callable[[dict[str, Any]], Any] = eval(f"lambda d: {expr}", generator.namespace)
    return function


def _generic_in(needle: Any, haystack: Any) -> bool:
    if isinstance(haystack, str):
        return jl._js_string(needle) in haystack
    if isinstance(haystack, list):
        return jl.strict_in(needle, haystack)
    return False

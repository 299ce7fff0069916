"""A JSON Logic (jsonlogic.com) evaluator with the reference semantics, compiled once into Python closures.

Rules are compiled to nested closures so that evaluating a whole catalog for one profile costs a few
microseconds per policy; the semantics follow json-logic-js (truthiness, loose ``==``, lazy ``and``/``or``/``if``,
``in`` on strings and lists, ``var`` with dotted paths and defaults). One deliberate difference: division by zero
raises :class:`RuleEvaluationError` instead of yielding ``Infinity``, so the criterion can be marked ``error``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Evaluator = Callable[[Any], Any]

OPERATORS = frozenset(
    {
        "var",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "and",
        "or",
        "!",
        "!!",
        "in",
        "if",
        "+",
        "-",
        "*",
        "/",
        "min",
        "max",
    }
)
_MISSING = object()
# Exact types (bool is a subclass of int but is not a number for these fast paths).
_NUMBER_TYPES = frozenset({int, float})
_FLOAT_PREFIX = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class RuleEvaluationError(Exception):
    """A rule cannot be evaluated for this data (e.g. a division by zero)."""


def is_operation(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and isinstance(next(iter(node)), str)


def truthy(value: Any) -> bool:
    """JavaScript truthiness as JSON Logic defines it: 0, "", [], null and false are falsy; "0" is truthy."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return value != 0 and value == value
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True


def to_number(value: Any) -> float | int:
    """JavaScript ``Number(value)``."""
    if type(value) in _NUMBER_TYPES:
        return value  # type: ignore[no-any-return]
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        try:
            return int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            return math.nan
    if isinstance(value, list):
        if not value:
            return 0
        if len(value) == 1:
            return to_number(value[0])
    return math.nan


def parse_float(value: Any) -> float | int:
    """JavaScript ``parseFloat(value)``, which ``+`` and ``*`` use."""
    if type(value) in _NUMBER_TYPES:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, int | float):
        return value
    if isinstance(value, list) and value:
        return parse_float(value[0])
    match = _FLOAT_PREFIX.match(str(value)) if isinstance(value, str) else None
    if match is None:
        return math.nan
    text = match.group(0).strip()
    return int(text) if text.lstrip("+-").isdigit() else float(text)


def _to_primitive(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    return value


def _js_string(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return _to_primitive(value)  # type: ignore[no-any-return]
    return str(value)


def loose_equals(a: Any, b: Any) -> bool:
    """JavaScript ``==`` (abstract equality)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) and isinstance(b, list):
        return a is b
    if isinstance(a, bool):
        return loose_equals(int(a), b)
    if isinstance(b, bool):
        return loose_equals(a, int(b))
    if isinstance(a, list):
        return loose_equals(_to_primitive(a), b)
    if isinstance(b, list):
        return loose_equals(a, _to_primitive(b))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return to_number(a) == to_number(b)
    return bool(a == b)


def _less(a: Any, b: Any, or_equal: bool) -> bool:
    if type(a) in _NUMBER_TYPES and type(b) in _NUMBER_TYPES:
        return bool(a <= b if or_equal else a < b)
    if isinstance(a, str) and isinstance(b, str):
        return a <= b if or_equal else a < b
    x, y = to_number(_to_primitive(a)), to_number(_to_primitive(b))
    if x != x or y != y:
        return False
    return x <= y if or_equal else x < y


def strict_in(needle: Any, haystack: list[Any]) -> bool:
    # Array.prototype.indexOf uses strict equality: 1 and true differ, 1 and 1.0 do not.
    for item in haystack:
        if isinstance(item, bool) != isinstance(needle, bool):
            continue
        if item == needle and type(item) is not list:
            return True
    return False


def split_path(path: Any) -> tuple[str, ...]:
    if path is None or path == "":
        return ()
    if isinstance(path, int | float) and not isinstance(path, bool):
        return (_js_string(path),)
    return tuple(str(path).split("."))


def resolve_var(data: Any, parts: tuple[str, ...], default: Any = None) -> Any:
    current = data
    for part in parts:
        if current is None:
            return default
        if isinstance(current, Mapping):
            current = current.get(part, _MISSING)
        elif isinstance(current, list | str):
            try:
                current = current[int(part)]
            except (ValueError, IndexError):
                return default
        else:
            return default
        if current is _MISSING:
            return default
    return current


def _args(node: dict[str, Any]) -> tuple[str, list[Any]]:
    op, raw = next(iter(node.items()))
    return op, (raw if isinstance(raw, list) else [raw])


def compile_rule(rule: Any) -> Evaluator:
    """Compile a JSON Logic rule into a function of the data."""
    if isinstance(rule, list):
        items = [compile_rule(item) for item in rule]
        return lambda data: [f(data) for f in items]
    if not is_operation(rule):
        return lambda data: rule
    op, raw_args = _args(rule)
    builder = _BUILDERS.get(op)
    if builder is None:
        raise ValueError(f"unknown operator {op!r}")
    return builder([compile_rule(a) for a in raw_args], raw_args)


def apply(rule: Any, data: Any = None) -> Any:
    return compile_rule(rule)(data)


def _var(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    if raw and not is_operation(raw[0]) and not isinstance(raw[0], list):
        parts = split_path(raw[0])
        if len(fs) < 2:
            if len(parts) == 1:
                key = parts[0]

                def var_one(data: Any) -> Any:
                    if type(data) is dict or isinstance(data, Mapping):
                        value = data.get(key, _MISSING)
                        return None if value is _MISSING else value
                    return resolve_var(data, parts)

                return var_one
            return lambda data: resolve_var(data, parts)
        default_f = fs[1]
        return lambda data: _with_default(data, parts, default_f)
    path_f = fs[0] if fs else (lambda data: None)
    default = fs[1] if len(fs) > 1 else (lambda data: None)
    return lambda data: _with_default(data, split_path(path_f(data)), default)


def _with_default(data: Any, parts: tuple[str, ...], default_f: Evaluator) -> Any:
    value = resolve_var(data, parts, _MISSING)
    return default_f(data) if value is _MISSING else value


def _eq(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    a, b = fs[0], fs[1]
    return lambda data: loose_equals(a(data), b(data))


def _ne(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    a, b = fs[0], fs[1]
    return lambda data: not loose_equals(a(data), b(data))


def _lt_builder(or_equal: bool) -> Callable[[list[Evaluator], list[Any]], Evaluator]:
    def build(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
        if len(fs) >= 3:
            a, b, c = fs[0], fs[1], fs[2]

            def between(data: Any) -> bool:
                middle = b(data)
                return _less(a(data), middle, or_equal) and _less(middle, c(data), or_equal)

            return between
        a, b = fs[0], fs[1]
        return lambda data: _less(a(data), b(data), or_equal)

    return build


def _gt_builder(or_equal: bool) -> Callable[[list[Evaluator], list[Any]], Evaluator]:
    def build(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
        a, b = fs[0], fs[1]
        return lambda data: _less(b(data), a(data), or_equal)

    return build


def _and(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    def evaluate(data: Any) -> Any:
        value: Any = None
        for f in fs:
            value = f(data)
            if not truthy(value):
                return value
        return value

    return evaluate


def _or(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    def evaluate(data: Any) -> Any:
        value: Any = None
        for f in fs:
            value = f(data)
            if truthy(value):
                return value
        return value

    return evaluate


def _not(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    a = fs[0] if fs else (lambda data: None)
    return lambda data: not truthy(a(data))


def _notnot(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    a = fs[0] if fs else (lambda data: None)
    return lambda data: truthy(a(data))


def _in(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    a, b = fs[0], fs[1]

    def evaluate(data: Any) -> bool:
        haystack = b(data)
        if isinstance(haystack, str):
            return _js_string(a(data)) in haystack
        if isinstance(haystack, list):
            return strict_in(a(data), haystack)
        return False

    return evaluate


def _if(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    pairs = [(fs[i], fs[i + 1]) for i in range(0, len(fs) - 1, 2)]
    otherwise = fs[-1] if len(fs) % 2 == 1 else (lambda data: None)

    def evaluate(data: Any) -> Any:
        for condition, then in pairs:
            if truthy(condition(data)):
                return then(data)
        return otherwise(data)

    return evaluate


def _plus(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    if len(fs) == 2:
        a, b = fs
        return lambda data: parse_float(a(data)) + parse_float(b(data))
    return lambda data: sum((parse_float(f(data)) for f in fs), 0)


def _minus(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    if len(fs) == 1:
        a = fs[0]
        return lambda data: -to_number(a(data))
    a, b = fs[0], fs[1]
    return lambda data: to_number(a(data)) - to_number(b(data))


def _times(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    def evaluate(data: Any) -> float | int:
        product: float | int = 1
        for f in fs:
            product *= parse_float(f(data))
        return product

    return evaluate


def _divide(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    a, b = fs[0], fs[1]

    def evaluate(data: Any) -> float:
        divisor = to_number(b(data))
        if divisor == 0:
            raise RuleEvaluationError("除数为零")
        return to_number(a(data)) / divisor

    return evaluate


def _min(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    def evaluate(data: Any) -> float | int:
        values = [to_number(f(data)) for f in fs]
        if not values:
            return math.inf
        return math.nan if any(v != v for v in values) else min(values)

    return evaluate


def _max(fs: list[Evaluator], raw: list[Any]) -> Evaluator:
    def evaluate(data: Any) -> float | int:
        values = [to_number(f(data)) for f in fs]
        if not values:
            return -math.inf
        return math.nan if any(v != v for v in values) else max(values)

    return evaluate


_BUILDERS: dict[str, Callable[[list[Evaluator], list[Any]], Evaluator]] = {
    "var": _var,
    "==": _eq,
    "!=": _ne,
    "<": _lt_builder(False),
    "<=": _lt_builder(True),
    ">": _gt_builder(False),
    ">=": _gt_builder(True),
    "and": _and,
    "or": _or,
    "!": _not,
    "!!": _notnot,
    "in": _in,
    "if": _if,
    "+": _plus,
    "-": _minus,
    "*": _times,
    "/": _divide,
    "min": _min,
    "max": _max,
}


def referenced_vars(rule: Any) -> Iterator[str]:
    """Every literal ``var`` path a rule reads, in order of appearance."""
    if isinstance(rule, list):
        for item in rule:
            yield from referenced_vars(item)
        return
    if not is_operation(rule):
        return
    op, args = _args(rule)
    if op == "var":
        if args and isinstance(args[0], str | int) and not isinstance(args[0], bool):
            yield str(args[0])
        for extra in args[1:]:
            yield from referenced_vars(extra)
        return
    for arg in args:
        yield from referenced_vars(arg)

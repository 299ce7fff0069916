"""Bulk evaluation: a policy version compiled to vectorised numpy over columns of the read model.

Each JSON Logic node becomes array operations over all entities at once, so a run costs a few array passes per
policy instead of one interpreter call per entity. The lazy operators keep JSON Logic's short-circuit meaning for
errors (a division by zero only counts where the branch is actually reached). A rule shape this compiler does not
cover raises :class:`NotVectorizable` and that one policy falls back to the row-by-row interpreter, so results
never depend on which path ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from kunruyi_policy.rules.evaluation import (
    ELIGIBLE,
    ERROR,
    INELIGIBLE,
    NEEDS_CONFIRMATION,
    CompiledVersion,
    evaluate_version,
)
from kunruyi_policy.rules.jsonlogic import apply, is_operation, loose_equals, strict_in, to_number, truthy
from kunruyi_policy.rules.variables import variables_for

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
STATUS_CODES = {ELIGIBLE: 0, INELIGIBLE: 1, NEEDS_CONFIRMATION: 2, ERROR: 3}
STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}


class NotVectorizable(Exception):
    pass


class MissingParameter(Exception):
    pass


@dataclass
class StrColumn:
    codes: npt.NDArray[np.int32]
    vocabulary: list[Any]

    def map(self, function: Any) -> BoolArray:
        table = np.array([bool(function(v)) for v in self.vocabulary] + [False], dtype=bool)
        return table[self.codes]


@dataclass
class ListColumn:
    name: str
    columns: Columns


@dataclass
class TruthOnly:
    """``and``/``or`` results: JSON Logic returns an operand, which bulk only keeps the truthiness of."""

    truth: BoolArray


class Columns:
    """The profiles of one entity type as one array per variable."""

    def __init__(self, entity_type: str, profiles: list[dict[str, Any]]) -> None:
        self.entity_type = entity_type
        self.profiles = profiles
        self.n = len(profiles)
        self.numeric: dict[str, FloatArray] = {}
        self.booleans: dict[str, BoolArray] = {}
        self.strings: dict[str, StrColumn] = {}
        self.lists: dict[str, list[Any]] = {}
        self._membership: dict[tuple[str, Any], BoolArray] = {}
        self._unknown: dict[str, BoolArray | None] = {}
        for name, spec in variables_for(entity_type).items():
            values = [p.get(name, spec.default) for p in profiles]
            if spec.type in ("number", "integer"):
                self.numeric[name] = np.array(values, dtype=np.float64)
            elif spec.type == "boolean":
                self.booleans[name] = np.array([truthy(v) for v in values], dtype=bool)
            elif spec.type == "string":
                vocabulary: dict[Any, int] = {}
                codes = np.fromiter(
                    (vocabulary.setdefault(v, len(vocabulary)) for v in values), np.int32, self.n
                )
                self.strings[name] = StrColumn(codes, list(vocabulary))
            else:
                self.lists[name] = values

    def unknown(self, name: str) -> BoolArray | None:
        """Entities whose stored profile lists ``name`` among its unknown figures (``_unknown``); None if none."""
        found = self._unknown.get(name)
        if name not in self._unknown:
            found = np.fromiter((name in (p.get("_unknown") or ()) for p in self.profiles), bool, self.n)
            found = self._unknown[name] = found if found.any() else None
        return found

    def member(self, name: str, value: Any) -> BoolArray:
        key = (name, value)
        found = self._membership.get(key)
        if found is None:
            rows = self.lists[name]
            found = self._membership[key] = np.fromiter(
                (isinstance(r, list) and strict_in(value, r) for r in rows), bool, self.n
            )
        return found

    def non_empty(self, name: str) -> BoolArray:
        return np.fromiter((bool(r) for r in self.lists[name]), bool, self.n)


Value = Any  # FloatArray | BoolArray | StrColumn | ListColumn | TruthOnly | a Python constant
Result = tuple[Value, BoolArray | None]


def _or_err(*errors: BoolArray | None) -> BoolArray | None:
    present = [e for e in errors if e is not None]
    if not present:
        return None
    out = present[0]
    for e in present[1:]:
        out = out | e
    return out


class Compiler:
    def __init__(self, columns: Columns, parameters: dict[str, Any]) -> None:
        self.columns = columns
        self.parameters = parameters
        self.n = columns.n

    def truth(self, value: Value) -> BoolArray:
        if isinstance(value, TruthOnly):
            return value.truth
        if isinstance(value, np.ndarray):
            if value.dtype == bool:
                return value
            truth: BoolArray = (value != 0) & ~np.isnan(value)
            return truth
        if isinstance(value, StrColumn):
            return value.map(truthy)
        if isinstance(value, ListColumn):
            return self.columns.non_empty(value.name)
        return np.full(self.n, truthy(value), dtype=bool)

    def number(self, value: Value) -> FloatArray | float:
        if isinstance(value, np.ndarray) and value.dtype == np.float64:
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise NotVectorizable("non-numeric operand")

    def compile(self, node: Any) -> Result:
        if isinstance(node, list):
            if any(is_operation(item) or isinstance(item, list) for item in node):
                raise NotVectorizable("computed list")
            return node, None
        if not is_operation(node):
            return node, None
        op, raw = next(iter(node.items()))
        args = raw if isinstance(raw, list) else [raw]
        method = getattr(self, "op_" + _NAMES.get(op, "unknown"))
        return method(args)  # type: ignore[no-any-return]

    def op_unknown(self, args: list[Any]) -> Result:
        raise NotVectorizable("operator")

    def op_var(self, args: list[Any]) -> Result:
        name = args[0] if args else None
        if not isinstance(name, str):
            raise NotVectorizable("computed var")
        if name.startswith("params."):
            key = name.removeprefix("params.")
            if key not in self.parameters:
                raise MissingParameter(key)
            value = self.parameters[key]
            if isinstance(value, list | dict):
                raise NotVectorizable("structured parameter")
            return value, None
        c = self.columns
        if name in c.numeric:
            return c.numeric[name], None
        if name in c.booleans:
            return c.booleans[name], None
        if name in c.strings:
            return c.strings[name], None
        if name in c.lists:
            return ListColumn(name, c), None
        raise NotVectorizable(f"variable {name}")

    def _both(self, args: list[Any]) -> tuple[Value, Value, BoolArray | None]:
        (a, ea), (b, eb) = self.compile(args[0]), self.compile(args[1])
        return a, b, _or_err(ea, eb)

    def _equals(self, a: Value, b: Value) -> BoolArray:
        if isinstance(a, TruthOnly | ListColumn) or isinstance(b, TruthOnly | ListColumn):
            raise NotVectorizable("== on operand values")
        if isinstance(a, np.ndarray) or isinstance(a, StrColumn):
            column, const = a, b
        elif isinstance(b, np.ndarray) or isinstance(b, StrColumn):
            column, const = b, a
        else:
            return np.full(self.n, loose_equals(a, b), dtype=bool)
        if isinstance(const, np.ndarray | StrColumn):
            raise NotVectorizable("column == column")
        if isinstance(column, StrColumn):
            return column.map(lambda s: loose_equals(s, const))
        if const is None or isinstance(const, list):
            raise NotVectorizable("== null/list")
        if column.dtype == bool:
            if isinstance(const, bool):
                same: BoolArray = column == const
                return same
            raise NotVectorizable("bool == non-bool")
        target = to_number(const)
        return np.asarray(column == float(target), dtype=bool)

    def op_eq(self, args: list[Any]) -> Result:
        a, b, err = self._both(args)
        return self._equals(a, b), err

    def op_ne(self, args: list[Any]) -> Result:
        a, b, err = self._both(args)
        return ~self._equals(a, b), err

    def _less(self, a: Value, b: Value, or_equal: bool) -> BoolArray:
        x, y = self.number(a), self.number(b)
        out = (x <= y) if or_equal else (x < y)
        return np.broadcast_to(np.asarray(out, dtype=bool), (self.n,))

    def _comparison(self, args: list[Any], or_equal: bool, reverse: bool) -> Result:
        compiled = [self.compile(a) for a in args]
        values = [v for v, _ in compiled]
        err = _or_err(*(e for _, e in compiled))
        if len(values) == 3:
            return self._less(values[0], values[1], or_equal) & self._less(
                values[1], values[2], or_equal
            ), err
        a, b = (values[1], values[0]) if reverse else (values[0], values[1])
        return self._less(a, b, or_equal), err

    def op_lt(self, args: list[Any]) -> Result:
        return self._comparison(args, False, False)

    def op_le(self, args: list[Any]) -> Result:
        return self._comparison(args, True, False)

    def op_gt(self, args: list[Any]) -> Result:
        return self._comparison(args[:2], False, True)

    def op_ge(self, args: list[Any]) -> Result:
        return self._comparison(args[:2], True, True)

    def op_not(self, args: list[Any]) -> Result:
        value, err = self.compile(args[0]) if args else (None, None)
        return ~self.truth(value), err

    def op_notnot(self, args: list[Any]) -> Result:
        value, err = self.compile(args[0]) if args else (None, None)
        return self.truth(value), err

    def op_and(self, args: list[Any]) -> Result:
        alive = np.ones(self.n, dtype=bool)
        errors = np.zeros(self.n, dtype=bool)
        for arg in args:
            value, err = self.compile(arg)
            if err is not None:
                errors |= alive & err
                alive = alive & ~err
            alive = alive & self.truth(value)
        return TruthOnly(alive), errors

    def op_or(self, args: list[Any]) -> Result:
        pending = np.ones(self.n, dtype=bool)
        errors = np.zeros(self.n, dtype=bool)
        found = np.zeros(self.n, dtype=bool)
        for arg in args:
            value, err = self.compile(arg)
            if err is not None:
                errors |= pending & err
                pending = pending & ~err
            hit = pending & self.truth(value)
            found |= hit
            pending = pending & ~hit
        return TruthOnly(found), errors

    def op_in(self, args: list[Any]) -> Result:
        needle, haystack, err = self._both(args)
        if isinstance(haystack, ListColumn):
            if isinstance(needle, np.ndarray | StrColumn | ListColumn | TruthOnly):
                raise NotVectorizable("column in list column")
            return self.columns.member(haystack.name, needle), err
        if isinstance(haystack, StrColumn) and isinstance(needle, str):
            return haystack.map(lambda s: isinstance(s, str) and needle in s), err
        if isinstance(haystack, list) and isinstance(needle, StrColumn):
            return needle.map(lambda s: strict_in(s, haystack)), err
        if isinstance(haystack, list) and isinstance(needle, np.ndarray) and needle.dtype == np.float64:
            numbers = [float(x) for x in haystack if isinstance(x, int | float) and not isinstance(x, bool)]
            return np.isin(needle, numbers), err
        if not isinstance(needle, np.ndarray | StrColumn | ListColumn | TruthOnly) and not isinstance(
            haystack, np.ndarray | StrColumn | TruthOnly
        ):
            return np.full(self.n, bool(apply({"in": [needle, haystack]})), dtype=bool), err
        raise NotVectorizable("in shape")

    def op_if(self, args: list[Any]) -> Result:
        alive = np.ones(self.n, dtype=bool)
        errors = np.zeros(self.n, dtype=bool)
        branches: list[tuple[BoolArray, Value]] = []
        for i in range(0, len(args) - 1, 2):
            condition, cerr = self.compile(args[i])
            if cerr is not None:
                errors |= alive & cerr
                alive = alive & ~cerr
            taken = alive & self.truth(condition)
            value, verr = self.compile(args[i + 1])
            if verr is not None:
                errors |= taken & verr
            branches.append((taken, value))
            alive = alive & ~taken
        otherwise: Value = None
        if len(args) % 2 == 1:
            otherwise, oerr = self.compile(args[-1])
            if oerr is not None:
                errors |= alive & oerr
        values = [v for _, v in branches] + [otherwise]
        if all(
            isinstance(v, int | float)
            and not isinstance(v, bool)
            or (isinstance(v, np.ndarray) and v.dtype == np.float64)
            for v in values
        ):
            result = np.broadcast_to(np.asarray(self.number(otherwise), dtype=np.float64), (self.n,)).copy()
            for taken, value in reversed(branches):
                result = np.where(taken, self.number(value), result)
            return result, errors
        truth = self.truth(otherwise) & alive
        for taken, value in branches:
            truth = truth | (taken & self.truth(value))
        return TruthOnly(truth), errors

    def _numbers(self, args: list[Any]) -> tuple[list[FloatArray | float], BoolArray | None]:
        compiled = [self.compile(a) for a in args]
        return [self.number(v) for v, _ in compiled], _or_err(*(e for _, e in compiled))

    def op_plus(self, args: list[Any]) -> Result:
        values, err = self._numbers(args)
        total: Any = 0.0
        for v in values:
            total = total + v
        return self._array(total), err

    def op_minus(self, args: list[Any]) -> Result:
        values, err = self._numbers(args)
        return self._array(-values[0] if len(values) == 1 else values[0] - values[1]), err

    def op_times(self, args: list[Any]) -> Result:
        values, err = self._numbers(args)
        product: Any = 1.0
        for v in values:
            product = product * v
        return self._array(product), err

    def op_divide(self, args: list[Any]) -> Result:
        values, err = self._numbers(args)
        numerator, divisor = self._array(values[0]), self._array(values[1])
        zero = divisor == 0
        return numerator / np.where(zero, 1.0, divisor), _or_err(err, zero)

    def op_min(self, args: list[Any]) -> Result:
        values, err = self._numbers(args)
        return self._array(np.minimum.reduce([self._array(v) for v in values])), err

    def op_max(self, args: list[Any]) -> Result:
        values, err = self._numbers(args)
        return self._array(np.maximum.reduce([self._array(v) for v in values])), err

    def _array(self, value: Any) -> FloatArray:
        return np.broadcast_to(np.asarray(value, dtype=np.float64), (self.n,))


_NAMES = {
    "var": "var",
    "==": "eq",
    "!=": "ne",
    "<": "lt",
    "<=": "le",
    ">": "gt",
    ">=": "ge",
    "!": "not",
    "!!": "notnot",
    "and": "and",
    "or": "or",
    "in": "in",
    "if": "if",
    "+": "plus",
    "-": "minus",
    "*": "times",
    "/": "divide",
    "min": "min",
    "max": "max",
}


@dataclass
class BulkResult:
    status: npt.NDArray[np.int8]
    amount_fen: npt.NDArray[np.int64]
    vectorised: bool


def evaluate_bulk(compiled: CompiledVersion, columns: Columns, at: date) -> BulkResult:
    try:
        return _evaluate_vectorised(compiled, columns, at)
    except NotVectorizable:
        return _evaluate_rows(compiled, columns, at)


def _evaluate_vectorised(compiled: CompiledVersion, columns: Columns, at: date) -> BulkResult:
    n = columns.n
    compiler = Compiler(columns, compiled.parameter_values_at(at))
    any_fail = np.zeros(n, dtype=bool)
    any_error = np.zeros(n, dtype=bool)
    manual = False
    for criterion in compiled.criteria:
        if criterion.kind == "manual":
            manual = True
            continue
        try:
            value, err = compiler.compile(criterion.rule)
        except MissingParameter:
            any_error[:] = True
            continue
        passed = compiler.truth(value)
        if err is not None:
            any_error |= err
            passed = passed & ~err
            any_fail |= ~passed & ~err
        else:
            any_fail |= ~passed
    status = np.where(any_fail, 1, np.where(any_error, 3, 2 if manual else 0)).astype(np.int8)
    amount = np.zeros(n, dtype=np.int64)
    due = (status == 0) | (status == 2)
    if due.any():
        try:
            value, err = compiler.compile(compiled.amount_rule)
            raw = compiler._array(compiler.number(value))
            bad = ~np.isfinite(raw) if err is None else (err | ~np.isfinite(raw))
            fen = np.floor(np.where(bad, 0.0, raw) + 0.5)
            fen = np.maximum(fen, 0)
            if compiled.amount_cap_fen is not None:
                fen = np.minimum(fen, compiled.amount_cap_fen)
            amount = np.where(due & ~bad, fen, 0).astype(np.int64)
            status = np.where(due & bad, 3, status).astype(np.int8)
        except MissingParameter:
            status = np.where(due, 3, status).astype(np.int8)
    return BulkResult(status, amount, vectorised=True)


def _evaluate_rows(compiled: CompiledVersion, columns: Columns, at: date) -> BulkResult:
    status = np.zeros(columns.n, dtype=np.int8)
    amount = np.zeros(columns.n, dtype=np.int64)
    for i, profile in enumerate(columns.profiles):
        result = evaluate_version(compiled, profile, at, explain=False)
        status[i] = STATUS_CODES[result["status"]]
        amount[i] = result["amount_fen"] or 0
    return BulkResult(status, amount, vectorised=False)

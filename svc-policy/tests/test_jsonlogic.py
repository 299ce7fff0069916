"""The evaluator against JSON Logic's published behaviour (jsonlogic.com operations and its shared tests)."""

from typing import Any

import pytest
from kunruyi_policy.rules.jsonlogic import RuleEvaluationError, apply, truthy

CASES: list[tuple[Any, Any, Any]] = [
    # truthiness: 0, "", [], null, false are falsy; "0" and [0] are truthy
    ({"!!": [[]]}, None, False),
    ({"!!": ["0"]}, None, True),
    ({"!!": [[0]]}, None, True),
    ({"!!": [""]}, None, False),
    ({"!!": [None]}, None, False),
    ({"!": [0]}, None, True),
    ({"!": ""}, None, True),
    ({"if": [[], "yes", "no"]}, None, "no"),
    ({"if": ["0", "yes", "no"]}, None, "yes"),
    # and / or return an operand, not a boolean
    ({"and": [1, 0, 2]}, None, 0),
    ({"and": [1, "a"]}, None, "a"),
    ({"or": [0, "", 3]}, None, 3),
    ({"or": [0, False]}, None, False),
    # loose equality
    ({"==": [1, "1"]}, None, True),
    ({"==": [0, False]}, None, True),
    ({"==": [None, 0]}, None, False),
    ({"!=": ["a", "b"]}, None, True),
    # comparisons incl. the between form
    ({"<": [1, 2, 3]}, None, True),
    ({"<": [1, 1, 3]}, None, False),
    ({"<=": [1, 1, 3]}, None, True),
    ({">": ["11", 2]}, None, True),
    ({">=": [2, 2]}, None, True),
    # in on strings (substring) and lists (membership)
    ({"in": ["Spring", "Springfield"]}, None, True),
    ({"in": ["spring", "Springfield"]}, None, False),
    ({"in": ["Ringo", ["John", "Paul", "George", "Ringo"]]}, None, True),
    ({"in": ["Yoko", ["John", "Paul"]]}, None, False),
    ({"in": ["a", None]}, None, False),
    # var: dotted paths, array indexes, defaults, whole data
    ({"var": "a.b"}, {"a": {"b": 7}}, 7),
    ({"var": 1}, ["apple", "banana"], "banana"),
    ({"var": "x.1"}, {"x": [5, 6]}, 6),
    ({"var": ["z", 26]}, {"a": 1}, 26),
    ({"var": ["a.q", "none"]}, {"a": {}}, "none"),
    ({"var": "missing"}, {"a": 1}, None),
    ({"var": ""}, {"a": 1}, {"a": 1}),
    # if with else-if chains and without else
    ({"if": [False, 1, False, 2, 3]}, None, 3),
    ({"if": [False, 1, True, 2, 3]}, None, 2),
    ({"if": [False, 1]}, None, None),
    # arithmetic
    ({"+": [1, "2", 3]}, None, 6),
    ({"+": ["3.5"]}, None, 3.5),
    ({"-": [4]}, None, -4),
    ({"-": [10, 4]}, None, 6),
    ({"*": [2, "3", 4]}, None, 24),
    ({"/": [9, 2]}, None, 4.5),
    ({"min": [3, 1, 2]}, None, 1),
    ({"max": [3, "7", 2]}, None, 7),
    # nested data rules
    ({"<": [{"var": "temp"}, 110]}, {"temp": 100}, True),
    (
        {"and": [{"<": [{"var": "temp"}, 110]}, {"==": [{"var": "pie.filling"}, "apple"]}]},
        {"temp": 100, "pie": {"filling": "apple"}},
        True,
    ),
]


@pytest.mark.parametrize(("rule", "data", "expected"), CASES)
def test_rule_semantics(rule: Any, data: Any, expected: Any) -> None:
    result = apply(rule, data)
    assert (
        result == expected
        and type(result) is type(expected)
        or (result == expected and isinstance(result, int | float))
    )


@pytest.mark.parametrize(("rule", "data", "expected"), CASES)
def test_partners_get_the_same_answer_from_the_reference_library(rule: Any, data: Any, expected: Any) -> None:
    from json_logic import jsonLogic

    assert jsonLogic(rule, data) == apply(rule, data)


def test_truthiness_table() -> None:
    assert [truthy(v) for v in (0, 0.0, "", [], None, False)] == [False] * 6
    assert [truthy(v) for v in (1, -1, "0", "false", [0], {}, True)] == [True] * 7


def test_division_by_zero_is_an_error_not_infinity() -> None:
    with pytest.raises(RuleEvaluationError):
        apply({"/": [{"var": "a"}, {"var": "b"}]}, {"a": 1, "b": 0})


def test_lazy_operators_do_not_evaluate_untaken_branches() -> None:
    assert apply({"and": [False, {"/": [1, 0]}]}) is False
    assert apply({"or": [True, {"/": [1, 0]}]}) is True
    assert apply({"if": [True, 1, {"/": [1, 0]}]}) == 1

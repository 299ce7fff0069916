"""Conditions as an officer reads them in the catalog sheet: one line per criterion, ``编号 | 说明 | 规则``.

The rule is written in the variable dictionary's vocabulary (``GET /api/v1/policy-variables``) with a few
operators, and JSON Logic only for what they cannot say::

    rd | 上年度研发费用不低于100万元 | rd_expense_fen >= 1000000
    class | A–C类人才 | talent_class 属于 ["A", "B", "C"]
    hte | 高新技术企业 | qualifications 包含 "high_tech"
    tech | 科技型中小企业或高新技术企业 | qualifications 包含 "tech_sme" 或 qualifications 包含 "high_tech"
    overseas | 有海外经历 | overseas 为真
    rd | 研发占比达到标准 | rd_ratio >= params.min_rd_ratio
    size | 职工10至100人 | 10 <= employees <= 100
    child | 子女年满3周岁 | 人工确认
    band | 年龄在25至45岁 | JSON {"<=": [25, {"var": "age"}, 45]}

Values are JSON (numbers as written, text in double quotes, lists in brackets) or the bare name of a variable or
parameter (``params.min_rd_ratio``); amounts stay in 分 as in the dictionary. :func:`format_criteria` and :func:`parse_criteria` are inverse: parsing what was formatted gives the
same criteria, which the round-trip tests hold to.
"""

from __future__ import annotations

import json
import re
from typing import Any

MANUAL = "人工确认"
TRUTHY = "为真"
CONTAINS = "包含"
ONE_OF = "属于"
JSON_PREFIX = "JSON "
AND, OR = " 且 ", " 或 "
_COMPARISONS = (">=", "<=", "==", "!=", ">", "<")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_BETWEEN = re.compile(
    r"^(?P<low>-?[0-9.]+)\s*(?P<op><=|<)\s*(?P<var>[a-z][a-z0-9_]*)\s*(?P=op)\s*(?P<high>-?[0-9.]+)$"
)
_REFERENCE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_SIMPLE = re.compile(
    r"^(?P<var>[a-z][a-z0-9_]*)\s*(?P<op>>=|<=|==|!=|>|<|包含|属于)\s*(?P<value>.+)$|"
    r"^(?P<flag>[a-z][a-z0-9_]*)\s*为真$"
)


class ConditionSyntaxError(ValueError):
    """A line of the 条件 column that cannot be read; the message says which line and why, in Chinese."""


def _is_var(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"var"} and isinstance(node["var"], str)


def _value(node: Any) -> str | None:
    """A literal (or a variable, by its bare name) as written in the sheet; None for anything else (a formula)."""
    if _is_var(node) and _REFERENCE.fullmatch(node["var"]):
        return str(node["var"])
    if isinstance(node, (dict, type(None))):
        return None
    if isinstance(node, list) and not all(isinstance(v, (str, int, float, bool)) for v in node):
        return None
    return json.dumps(node, ensure_ascii=False)


def _simple(rule: Any) -> str | None:
    """``var op value`` for a comparison, containment or truth test of one variable; None otherwise."""
    if not isinstance(rule, dict) or len(rule) != 1:
        return None
    ((op, args),) = rule.items()
    if op == "!!" and _is_var(args):
        return f"{args['var']} {TRUTHY}"
    if op in ("<=", "<") and isinstance(args, list) and len(args) == 3 and _is_var(args[1]):
        low, high = args[0], args[2]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
            return f"{json.dumps(low)} {op} {args[1]['var']} {op} {json.dumps(high)}"
    if not isinstance(args, list) or len(args) != 2:
        return None
    left, right = args
    if op in _COMPARISONS and _is_var(left) and (text := _value(right)) is not None:
        return f"{left['var']} {op} {text}"
    if op == "in" and _is_var(right) and isinstance(left, (str, int)) and not isinstance(left, bool):
        return f"{right['var']} {CONTAINS} {_value(left)}"
    if op == "in" and _is_var(left) and isinstance(right, list) and (text := _value(right)) is not None:
        return f"{left['var']} {ONE_OF} {text}"
    return None


def format_rule(rule: Any) -> str:
    if (text := _simple(rule)) is not None:
        return text
    if isinstance(rule, dict) and len(rule) == 1:
        ((op, args),) = rule.items()
        if op in ("and", "or") and isinstance(args, list) and len(args) >= 2:
            parts = [_simple(a) for a in args]
            if all(p is not None for p in parts):
                return (AND if op == "and" else OR).join(p for p in parts if p is not None)
    return JSON_PREFIX + json.dumps(rule, ensure_ascii=False, sort_keys=True)


def format_criteria(criteria: list[dict[str, Any]] | None) -> str:
    lines = []
    for criterion in criteria or []:
        rule = MANUAL if criterion.get("kind") == "manual" else format_rule(criterion.get("rule"))
        lines.append(f"{criterion.get('id', '')} | {criterion.get('label', '')} | {rule}")
    return "\n".join(lines)


def _parse_simple(text: str, line: int) -> dict[str, Any]:
    between = _BETWEEN.match(text.strip())
    if between is not None:
        low, high = json.loads(between["low"]), json.loads(between["high"])
        return {between["op"]: [low, {"var": between["var"]}, high]}
    found = _SIMPLE.match(text.strip())
    if found is None:
        raise ConditionSyntaxError(
            f"第 {line} 条规则“{text.strip()}”无法识别：应写成“变量 运算符 值”（运算符 >=、>、<=、<、==、!=、"
            f"包含、属于），或“变量 为真”、“下限 <= 变量 <= 上限”，其他写法以“JSON ”开头"
        )
    if found["flag"]:
        return {"!!": {"var": found["flag"]}}
    raw = found["value"].strip()
    if found["op"] in _COMPARISONS and _REFERENCE.fullmatch(raw) and raw not in ("true", "false", "null"):
        return {found["op"]: [{"var": found["var"]}, {"var": raw}]}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ConditionSyntaxError(
            f"第 {line} 条规则的值 {raw} 无法识别：数字直接写，文字加英文双引号，列表用方括号"
        ) from None
    variable, op = {"var": found["var"]}, found["op"]
    if op == CONTAINS:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConditionSyntaxError(f'第 {line} 条规则：“包含”后应为一个值（如 "high_tech"）')
        return {"in": [value, variable]}
    if op == ONE_OF:
        if not isinstance(value, list) or not value:
            raise ConditionSyntaxError(f'第 {line} 条规则：“属于”后应为一个列表（如 ["A", "B"]）')
        return {"in": [variable, value]}
    if isinstance(value, (dict, list)):
        raise ConditionSyntaxError(f"第 {line} 条规则：比较的值应为数字、文字或是否")
    return {op: [variable, value]}


def parse_rule(text: str, line: int) -> Any:
    text = text.strip()
    if text.startswith(JSON_PREFIX.strip()):
        raw = text[len(JSON_PREFIX.strip()) :].strip()
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConditionSyntaxError(f"第 {line} 条规则的 JSON Logic 无法解析：{exc.msg}") from None
    for joiner, op in ((OR, "or"), (AND, "and")):
        if joiner.strip() in text:
            parts = [p for p in re.split(rf"\s+{joiner.strip()}\s+", text)]
            other = AND.strip() if op == "or" else OR.strip()
            if any(other in p.split() for p in parts):
                raise ConditionSyntaxError(
                    f"第 {line} 条规则同时用了“且”和“或”：请拆成两条，或写成 JSON Logic"
                )
            return {op: [_parse_simple(p, line) for p in parts]}
    return _parse_simple(text, line)


def parse_criteria(text: str) -> list[dict[str, Any]]:
    """The criteria a 条件 cell describes (blank lines ignored); ConditionSyntaxError names the first bad line."""
    criteria: list[dict[str, Any]] = []
    lines = [line for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        parts = [p.strip() for p in line.split("|", 2)]
        if len(parts) != 3 or not parts[0] or not parts[2]:
            raise ConditionSyntaxError(
                f"第 {number} 条应写成“编号 | 说明 | 规则”，如 rd | 研发投入 | rd_ratio >= 0.03"
            )
        cid, label, rule = parts
        if not _NAME.fullmatch(cid):
            raise ConditionSyntaxError(f"第 {number} 条的编号 {cid!r} 只能用小写英文字母、数字和下划线")
        if rule == MANUAL:
            criteria.append({"id": cid, "label": label, "kind": "manual"})
        else:
            criteria.append({"id": cid, "label": label, "kind": "data", "rule": parse_rule(rule, number)})
    return criteria

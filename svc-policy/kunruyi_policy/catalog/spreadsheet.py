"""Catalog export and import as a spreadsheet (CSV or XLSX), one row per item, with a dry run.

Columns: the item's catalog fields, its document and groups, and its rules. Conditions are one line per criterion,
``编号 | 说明 | 规则``, the rule in the variable dictionary's words (``rd_expense_fen >= 1000000``, ``qualifications
包含 "high_tech"``, ``人工确认``; JSON Logic only for what those cannot say — see :mod:`.condition_text`); a sheet
from before that form, with a 条件（JSON） column, is still read. Amounts are a JSON Logic formula in 分 with the cap
in 分. :func:`check_rows` reads rows back and reports every bad row in Chinese (row, column, reason)
before anything is written; :func:`export_rows` → :func:`check_rows` gives the same items (round trip).

Over HTTP (`GET /api/v1/policy-catalog/export`, `POST /api/v1/policy-catalog/imports`) the checked rows are
written as drafts: see ``kunruyi_policy.catalog_sheets``. Offline: ``python -m kunruyi_policy.catalog.spreadsheet
export|check FILE`` over the demo catalog.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from typing import Any

from kunruyi_common.validation_messages import chinese_message
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError

from kunruyi_policy.catalog.condition_text import ConditionSyntaxError, format_criteria, parse_criteria
from kunruyi_policy.catalog.taxonomy import DEPARTMENTS
from kunruyi_policy.demo.catalog import DEMO_GROUPS, demo_catalog
from kunruyi_policy.demo.documents import DOCUMENTS
from kunruyi_policy.management.schemas import PolicyCreate
from kunruyi_policy.rules.validation import validate_version

# (column, Chinese header) in order; JSON columns hold JSON text
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "政策编码"),
    ("title", "政策名称"),
    ("document_code", "所属文件"),
    ("legal_source", "文号"),
    ("department_code", "部门"),
    ("theme_code", "主题服务"),
    ("policy_type", "类型"),
    ("beneficiary", "对象"),
    ("mode", "兑现方式"),
    ("benefit_kind", "兑现形式"),
    ("exclusion_group", "互斥组"),
    ("stacking_group", "叠加封顶组"),
    ("once_per_entity", "一次性"),
    ("payout_days", "兑现时限"),
    ("annual_budget_fen", "年度预算（分）"),
    ("valid_from", "生效日期"),
    ("criteria", "条件"),
    ("amount", "金额公式（JSON，分）"),
    ("amount_cap_fen", "金额上限（分）"),
    ("parameters", "参数（JSON）"),
    ("tags", "标签（JSON）"),
    ("plain_summary", "通俗解读"),
    ("application_window", "受理时间"),
    ("materials", "申报材料（JSON）"),
    ("faq", "常见问题（JSON）"),
    ("review_stages", "审核环节（JSON）"),
    ("notice_days", "公示天数"),
)
_JSON = {"amount", "parameters", "tags", "materials", "faq", "review_stages"}
# the criteria as JSON, the column sheets exported before the readable form had
LEGACY_CRITERIA = "条件（JSON）"
_HEADERS = {header: name for name, header in COLUMNS} | {LEGACY_CRITERIA: "criteria"}


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = the header; items start at 2, as a spreadsheet numbers them
    column: str
    reason: str

    def public(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


def demo_items() -> list[dict[str, Any]]:
    """The demo catalog as seeded (valid from the seed's date)."""

    return [{"valid_from": "2022-01-01", **i} for i in demo_catalog()]


def export_rows(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for item in items:
        row = {}
        for name, header in COLUMNS:
            value = item.get(name)
            if name == "criteria":
                row[header] = format_criteria(value)
            elif name in _JSON:
                row[header] = json.dumps(value, ensure_ascii=False, sort_keys=True)
            elif value is None:
                row[header] = ""
            elif isinstance(value, bool):
                row[header] = "是" if value else "否"
            else:
                row[header] = str(value)
        rows.append(row)
    return rows


def _cell(name: str, raw: str) -> Any:
    if name == "criteria":
        return parse_criteria(raw) if raw.strip() else None
    if name in _JSON:
        return json.loads(raw) if raw.strip() else None
    if name == "once_per_entity":
        if raw not in ("是", "否", ""):
            raise ValueError("须为“是”或“否”")
        return raw == "是"
    if name in ("payout_days", "annual_budget_fen", "amount_cap_fen", "notice_days"):
        if not raw.strip():
            return None
        if not raw.strip().lstrip("-").isdigit():
            raise ValueError("须为整数（金额以分为单位，不带单位文字）")
        return int(raw)
    return raw or None


def check_rows(
    rows: list[dict[str, str]],
    *,
    documents: set[str],
    departments: set[str],
    groups: set[str],
    themes: set[str] | None = None,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The items the rows describe, and every problem found (nothing is written either way)."""
    items: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        unknown = [h for h in row if h not in _HEADERS]
        errors += [RowError(number, h, "未知的列") for h in unknown]
        item: dict[str, Any] = {}
        for name, header in COLUMNS:
            try:
                if name == "criteria" and not (row.get(header) or "").strip() and row.get(LEGACY_CRITERIA):
                    item[name] = json.loads(row[LEGACY_CRITERIA])
                else:
                    item[name] = _cell(name, row.get(header, "") or "")
            except ConditionSyntaxError as exc:
                errors.append(RowError(number, header, str(exc)))
            except (ValueError, json.JSONDecodeError) as exc:
                errors.append(RowError(number, header, f"无法识别：{exc}"))
        code = item.get("code") or ""
        if code in seen:
            errors.append(RowError(number, "政策编码", f"与第 {seen[code]} 行重复"))
        seen[code] = number
        if item.get("department_code") not in departments:
            errors.append(RowError(number, "部门", f"未知部门 {item.get('department_code')!r}"))
        if themes is not None and item.get("theme_code") not in themes:
            errors.append(RowError(number, "主题服务", f"未知主题服务 {item.get('theme_code')!r}"))
        if item.get("document_code") is not None and item["document_code"] not in documents:
            errors.append(RowError(number, "所属文件", f"未知政策文件 {item['document_code']!r}"))
        if item.get("stacking_group") is not None and item["stacking_group"] not in groups:
            errors.append(RowError(number, "叠加封顶组", f"未知叠加封顶组 {item['stacking_group']!r}"))
        fields = {k: v for k, v in item.items() if k in PolicyCreate.model_fields and v is not None}
        try:
            PolicyCreate.model_validate(fields)
        except ValidationError as exc:
            labels = dict(COLUMNS)
            errors += [
                RowError(number, labels.get(str(e["loc"][0]), str(e["loc"][0])), chinese_message(e))
                for e in exc.errors()
            ]
        if isinstance(item.get("criteria"), list) and item.get("beneficiary") in (
            "enterprise",
            "talent",
            "team",
        ):
            issues = validate_version(
                item["beneficiary"],
                item["criteria"],
                item.get("amount"),
                item.get("parameters") or {},
                mode=item.get("mode"),
                amount_cap_fen=item.get("amount_cap_fen"),
            )
            errors += [RowError(number, "条件", f"{i.path}：{i.message}") for i in issues]
        items.append(item)
    _check_groups(items, errors)
    return items, errors


def _check_groups(items: list[dict[str, Any]], errors: list[RowError]) -> None:
    """An exclusion group's tiers share one beneficiary and mode (the calculator and the 免申即享 run must see the
    same group)."""
    first: dict[str, tuple[int, Any, Any]] = {}
    for number, item in enumerate(items, start=2):
        group = item.get("exclusion_group")
        if not group:
            continue
        kind = (item.get("beneficiary"), item.get("mode") == "automatic")
        if group in first and first[group][1:] != kind:
            errors.append(
                RowError(number, "互斥组", f"互斥组 {group} 与第 {first[group][0]} 行的对象或兑现方式不一致")
            )
        first.setdefault(group, (number, *kind))


def to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[header for _, header in COLUMNS])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def from_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def to_xlsx(rows: list[dict[str, str]]) -> bytes:

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    headers = [header for _, header in COLUMNS]
    sheet.append(headers)
    for row in rows:
        sheet.append([row[h] for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def from_xlsx(data: bytes) -> list[dict[str, str]]:

    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    values = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    return [dict(zip(values[0], r, strict=False)) for r in values[1:]]


def demo_references() -> dict[str, set[str]]:

    return {
        "documents": {d[0] for d in DOCUMENTS},
        "departments": {code for code, _ in DEPARTMENTS},
        "groups": {g[0] for g in DEMO_GROUPS},
    }


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "export":
        rows = export_rows(demo_items())
        if argv[1].endswith(".xlsx"):
            open(argv[1], "wb").write(to_xlsx(rows))
        else:
            open(argv[1], "w", encoding="utf-8", newline="").write(to_csv(rows))
        return 0
    if len(argv) == 2 and argv[0] == "check":
        path = argv[1]
        rows = (
            from_xlsx(open(path, "rb").read())
            if path.endswith(".xlsx")
            else from_csv(open(path, encoding="utf-8").read())
        )
        items, errors = check_rows(rows, **demo_references())
        for e in errors:
            print(f"第 {e.row} 行「{e.column}」：{e.reason}")
        print(f"{len(items)} 行，{len(errors)} 个问题（试运行：未写入）")
        return 1 if errors else 0
    print("usage: python -m kunruyi_policy.catalog.spreadsheet export|check FILE(.csv|.xlsx)")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

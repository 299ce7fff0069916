"""Catalog export → import (CSV and XLSX) gives the same items; a sheet with bad rows reports each one in Chinese
(row, column, reason) and yields nothing to write."""

import json
from typing import Any

import pytest
from kunruyi_policy.catalog.spreadsheet import (
    COLUMNS,
    check_rows,
    demo_items,
    demo_references,
    export_rows,
    from_csv,
    from_xlsx,
    to_csv,
    to_xlsx,
)


def _columns(item: dict[str, Any]) -> dict[str, Any]:
    out = {name: item.get(name) for name, _ in COLUMNS}
    out["valid_from"] = str(out["valid_from"])
    out["payout_days"] = int(out["payout_days"]) if out["payout_days"] is not None else None
    return out


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_catalog(kind: str) -> None:
    items = demo_items()
    rows = export_rows(items)
    read = from_csv(to_csv(rows)) if kind == "csv" else from_xlsx(to_xlsx(rows))
    back, errors = check_rows(read, **demo_references())
    assert errors == []
    assert len(back) == len(items) >= 463
    assert [_columns(b) for b in back] == [_columns(i) for i in items]


def test_bad_rows_are_each_reported_in_chinese() -> None:
    good = export_rows(demo_items()[:2])
    bad = [dict(r) for r in export_rows(demo_items()[2:8])]
    bad[0]["部门"] = "no_such_department"
    bad[1]["条件"] = "x | 未知变量 | profit >= 1"
    bad[2]["金额上限（分）"] = "50万元"
    bad[3]["所属文件"] = "DOC-NOPE"
    bad[4]["政策编码"] = good[0]["政策编码"]
    bad[5]["条件"] = 'x | 未知运算 | JSON {"between": [1, 2]}'
    _, errors = check_rows(good + bad, **demo_references())
    by_row = {(e.row, e.column) for e in errors}
    assert (4, "部门") in by_row
    assert (5, "条件") in by_row
    assert (6, "金额上限（分）") in by_row
    assert (7, "所属文件") in by_row
    assert (8, "政策编码") in by_row
    assert (9, "条件") in by_row
    assert {e.row for e in errors} == {4, 5, 6, 7, 8, 9}  # the good rows are not blamed
    amount = next(e for e in errors if e.row == 6)
    assert "分" in amount.reason and "不带单位" in amount.reason


def test_an_exclusion_group_must_not_mix_modes() -> None:
    rows = [dict(r) for r in export_rows(demo_items())]
    tiers = [r for r in rows if r["互斥组"] == "tech_loan_interest"]
    tiers[1]["兑现方式"] = "automatic"
    _, errors = check_rows(rows, **demo_references())
    assert any(e.column == "互斥组" and "不一致" in e.reason for e in errors)


def test_conditions_read_as_the_variable_dictionary_words() -> None:
    rows = export_rows(demo_items())
    lines = [line for r in rows for line in r["条件"].splitlines()]
    assert 'hte | 高新技术企业 | qualifications 包含 "high_tech"' in lines or any(
        line.endswith('| qualifications 包含 "high_tech"') for line in lines
    )
    assert any(line.endswith("| 人工确认") for line in lines)
    assert any(" >= " in line and "_fen" in line for line in lines)
    # JSON Logic only where the words cannot say it
    assert sum(line.split(" | ")[-1].startswith("JSON") for line in lines) <= len(lines) // 50


def test_a_misspelt_condition_names_its_line_and_the_way_to_write_it() -> None:
    rows = [dict(r) for r in export_rows(demo_items()[:3])]
    rows[0]["条件"] = "rd | 研发投入 | rd_ratio >= 0.03\nhte | 高企 | qualifications 含有 high_tech"
    rows[1]["条件"] = "研发投入 rd_ratio >= 0.03"
    rows[2]["条件"] = 'cls | 人才层次 | talent_class 属于 "A"'
    _, errors = check_rows(rows, **demo_references())
    reasons = {e.row: e.reason for e in errors if e.column == "条件"}
    assert "第 2 条" in reasons[2] and "包含" in reasons[2]
    assert "编号 | 说明 | 规则" in reasons[3]
    assert "列表" in reasons[4]
    assert {e.row for e in errors} == {2, 3, 4}


def test_a_sheet_with_the_older_json_column_is_still_read() -> None:
    items = demo_items()[:5]
    rows = [dict(r) for r in export_rows(items)]
    for row, item in zip(rows, items, strict=True):
        del row["条件"]
        row["条件（JSON）"] = json.dumps(item["criteria"], ensure_ascii=False)
    back, errors = check_rows(rows, **demo_references())
    assert errors == []
    assert [b["criteria"] for b in back] == [i["criteria"] for i in items]

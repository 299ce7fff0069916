"""A rule that saves but cannot be what was meant — a comparison the variable's range decides by itself — is a
warning in the dry runs (rules validation and the catalog sheet), never a silent always/never."""

import csv
import io

from kunruyi_launcher.testing import staff
from kunruyi_policy.demo.catalog import demo_catalog
from kunruyi_policy.rules.warnings import rule_warnings


def data(rule: object) -> list[dict[str, object]]:
    return [{"id": "c", "label": "条件", "kind": "data", "rule": rule}]


def codes(beneficiary: str, rule: object) -> list[str]:
    return [w.code for w in rule_warnings(beneficiary, data(rule))]


def test_comparisons_the_range_decides_are_flagged_both_ways() -> None:
    assert codes("enterprise", {">=": [{"var": "rd_ratio"}, 40]}) == ["never_true"]  # 40 for 40 %
    assert codes("enterprise", {">=": [{"var": "employees"}, 0]}) == ["always_true"]
    assert codes("enterprise", {"<": [1.5, {"var": "rd_ratio"}]}) == ["never_true"]  # swapped operands
    assert codes("talent", {"and": [{">": [{"var": "age"}, 30]}, {"<=": [{"var": "age"}, 500]}]}) == [
        "always_true"
    ]
    assert codes("enterprise", {"in": ["unicorn_plus", {"var": "qualifications"}]}) == ["never_true"]


def test_comparisons_that_depend_on_the_entity_are_not_flagged() -> None:
    assert codes("enterprise", {">=": [{"var": "rd_ratio"}, 0.04]}) == []
    assert codes("enterprise", {">": [{"var": "tax_paid_fen"}, 0]}) == []
    assert codes("enterprise", {"in": ["high_tech", {"var": "qualifications"}]}) == []
    message = rule_warnings("enterprise", data({">=": [{"var": "rd_ratio"}, 40]}))[0].message
    assert "[0, 1]" in message and "单位" in message


def test_the_demo_catalog_has_no_rule_its_variables_decide() -> None:
    flagged = [
        (item["code"], w.message)
        for item in demo_catalog()
        for w in rule_warnings(item["beneficiary"], item["criteria"])
    ]
    assert flagged == []


async def test_validate_and_the_sheet_dry_run_report_the_warning(client) -> None:  # type: ignore[no-untyped-def]
    officer = staff("officer", department="科技局")
    async with client(officer) as c:
        checked = await c.post(
            "/api/v1/policies/KS-KJ-001/validate",
            json={"criteria": data({">=": [{"var": "rd_ratio"}, 40]}), "amount": 100},
        )
        rows = list(
            csv.DictReader(
                io.StringIO(
                    (await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})).text.lstrip(
                        "\ufeff"
                    )
                )
            )
        )
        target = next(r for r in rows if r["对象"] == "enterprise" and r["兑现方式"] != "automatic")
        target["条件"] = "c | 研发占比 | rd_ratio >= 40"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        report = (
            await c.post(
                "/api/v1/policy-catalog/imports",
                files={"file": ("catalog.csv", out.getvalue().encode())},
                data={"dry_run": "true"},
            )
        ).json()
    assert checked.status_code == 200 and checked.json()["valid"] is True
    assert [w["code"] for w in checked.json()["warnings"]] == ["never_true"]
    assert report["errors"] == [] and report["drafted"] == [target["政策编码"]]
    row = rows.index(target) + 2
    assert [(w["row"], w["column"]) for w in report["warnings"]] == [(row, "条件")]

"""Malformed rules are refused when saved, each problem with the JSON path of the bad node."""

from kunruyi_policy.rules.validation import validate_version

OK_AMOUNT = 100


def paths(issues):  # type: ignore[no-untyped-def]
    return {(i.path, i.code) for i in issues}


def test_a_valid_version_has_no_issues() -> None:
    criteria = [
        {
            "id": "a",
            "label": "占比",
            "kind": "data",
            "rule": {">=": [{"var": "rd_ratio"}, {"var": "params.min"}]},
        },
        {"id": "b", "label": "人工", "kind": "manual"},
    ]
    parameters = {
        "min": {"values": [{"effective_from": "2024-01-01", "value": 0.03, "reference": "昆科规〔2024〕1号"}]}
    }
    assert validate_version("enterprise", criteria, {"*": [{"var": "rd_expense_fen"}, 0.1]}, parameters) == []


def test_unknown_operator_unknown_variable_arity_and_types_are_reported_with_paths() -> None:
    criteria = [
        {"id": "a", "label": "x", "kind": "data", "rule": {">=": [{"var": "revenue_fen"}, 1]}},
        {"id": "b", "label": "x", "kind": "data", "rule": {"xor": [1, 2]}},
        {"id": "c", "label": "x", "kind": "data", "rule": {"and": [True, {"var": "revenue_yuan"}]}},
        {"id": "d", "label": "x", "kind": "data", "rule": {"and": [True, {">": [1, 2, 3]}]}},
        {"id": "e", "label": "x", "kind": "data", "rule": {"<": [{"var": "district"}, 5]}},
        {"id": "f", "label": "x", "kind": "data", "rule": {"+": [1, "abc"]}},
        {"id": "g", "label": "x", "kind": "data", "rule": {"in": ["high_tech", {"var": "params.nope"}]}},
    ]
    issues = validate_version("enterprise", criteria, OK_AMOUNT, {})
    assert paths(issues) == {
        ("criteria[1].rule", "unknown_operator"),
        ("criteria[2].rule.and[1].var", "unknown_variable"),
        ("criteria[3].rule.and[1].>", "wrong_arity"),
        ("criteria[4].rule.<[0]", "not_a_number"),
        ("criteria[5].rule.+[1]", "not_a_number"),
        ("criteria[6].rule.in[1].var", "unknown_parameter"),
    }


def test_talent_rules_cannot_read_enterprise_variables() -> None:
    criteria = [{"id": "a", "label": "x", "kind": "data", "rule": {">": [{"var": "revenue_fen"}, 0]}}]
    assert paths(validate_version("talent", criteria, OK_AMOUNT, {})) == {
        ("criteria[0].rule.>[0].var", "unknown_variable")
    }


def test_amount_must_be_numeric_and_parameters_need_references() -> None:
    parameters = {"x": {"values": [{"effective_from": "2024-13-01", "value": 1}]}}
    issues = validate_version("enterprise", [], {"==": [1, 1]}, parameters)
    assert paths(issues) == {
        ("amount", "not_a_number"),
        ("parameters.x.values[0].effective_from", "invalid_date"),
        ("parameters.x.values[0].reference", "missing_reference"),
    }


def test_automatic_policies_cannot_have_manual_criteria_and_ids_are_unique() -> None:
    criteria = [{"id": "a", "label": "x", "kind": "manual"}, {"id": "a", "label": "y", "kind": "guess"}]
    issues = validate_version("enterprise", criteria, OK_AMOUNT, {}, mode="automatic")
    assert paths(issues) == {
        ("criteria[0].kind", "manual_in_automatic"),
        ("criteria[1].id", "duplicate_id"),
        ("criteria[1].kind", "invalid_kind"),
    }


def test_absurdly_deep_rules_are_refused_not_crashing() -> None:
    rule: object = {"var": "rd_ratio"}
    for _ in range(200):
        rule = {"!": [rule]}
    criteria = [{"id": "a", "label": "深", "kind": "data", "rule": rule}]
    issues = validate_version("enterprise", criteria, OK_AMOUNT, {})
    assert [i.code for i in issues] == ["too_deep"]
    assert issues[0].path.startswith("criteria[0].rule.![0].![0]")


def test_a_literal_outside_a_coded_variables_values_is_refused() -> None:
    """A typo in a code ("hightech", "花乔") would make the criterion fail for everyone without any error."""
    criteria = [
        {
            "id": "ok",
            "label": "高企",
            "kind": "data",
            "rule": {"in": ["high_tech", {"var": "qualifications"}]},
        },
        {"id": "a", "label": "x", "kind": "data", "rule": {"in": ["hightech", {"var": "qualifications"}]}},
        {"id": "b", "label": "x", "kind": "data", "rule": {"==": [{"var": "district"}, "花乔"]}},
        {"id": "c", "label": "x", "kind": "data", "rule": {"!=": ["芯片", {"var": "industry_chain"}]}},
        {"id": "d", "label": "x", "kind": "data", "rule": {"in": [{"var": "district"}, ["花桥", "昆山南"]]}},
        # free-text variables and the empty "unknown" value are not checked against a list
        {"id": "e", "label": "x", "kind": "data", "rule": {"==": [{"var": "district"}, ""]}},
    ]
    issues = validate_version("enterprise", criteria, OK_AMOUNT, {})
    assert paths(issues) == {
        ("criteria[1].rule.in[0]", "unknown_value"),
        ("criteria[2].rule.==[1]", "unknown_value"),
        ("criteria[3].rule.!=[0]", "unknown_value"),
        ("criteria[4].rule.in[1][1]", "unknown_value"),
    }
    talent = [{"id": "t", "label": "x", "kind": "data", "rule": {"==": [{"var": "title"}, "任意职称"]}}]
    assert validate_version("talent", talent, OK_AMOUNT, {}) == []

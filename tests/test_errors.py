"""The error catalog: one class per situation, one code per class, and docs/errors.md is what the code declares.

- docs/errors.md is what ``python -m kunruyi_launcher.errors_catalog`` generates;
- no raise site passes a literal ``code=``: a code exists only as a problem class's attribute;
- every problem class says when it happens, lives in the kit's errors module or a domain's ``exceptions.py``;
- a code means one status everywhere.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from kunruyi_common.errors import PROBLEM_CLASSES
from kunruyi_launcher.errors_catalog import ERRORS_PATH, PACKAGES, load_problems, render

# Modules not yet converted to typed errors (a literal ``code=`` is tolerated there). Empty: every module raises
# classes. Adding a module here is a visible, reviewed exception — never a silent skip.
NOT_YET_CONVERTED: frozenset[str] = frozenset()


def _sources() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        root = Path(importlib.import_module(package).__path__[0])
        for path in sorted(root.rglob("*.py")):
            module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
            found.append((module.removesuffix(".__init__"), path))
    return found


def _literal_codes(tree: ast.AST, problem_names: set[str]) -> list[tuple[int, str]]:
    raised = {id(n.exc) for n in ast.walk(tree) if isinstance(n, ast.Raise) and n.exc is not None}
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if id(node) not in raised and name not in problem_names:
            continue
        for keyword in node.keywords:
            if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                hits.append((node.lineno, f"{name}(..., code={keyword.value.value!r})"))
    return hits


def test_the_error_catalog_in_docs_is_up_to_date() -> None:
    generated = render(load_problems())
    assert ERRORS_PATH.exists(), "run: python -m kunruyi_launcher.errors_catalog"
    assert ERRORS_PATH.read_text(encoding="utf-8") == generated, (
        "docs/errors.md drifted: python -m kunruyi_launcher.errors_catalog"
    )


def test_no_raise_site_passes_a_literal_code() -> None:
    load_problems()
    problem_names = {cls.__name__ for cls in PROBLEM_CLASSES.values()}
    offenders = []
    for module, path in _sources():
        if module in NOT_YET_CONVERTED:
            continue
        for line, call in _literal_codes(ast.parse(path.read_text(encoding="utf-8")), problem_names):
            offenders.append(f"{module}:{line}: {call}")
    assert not offenders, "raise a problem class (declared in exceptions.py) instead:\n" + "\n".join(
        offenders
    )


def test_the_not_yet_converted_list_names_real_modules() -> None:
    modules = {m for m, _ in _sources()}
    assert NOT_YET_CONVERTED <= modules, sorted(NOT_YET_CONVERTED - modules)


def test_the_literal_code_check_catches_a_raise_with_a_code() -> None:
    tree = ast.parse('raise Forbidden("x", code="made_up")\nvalue = Whatever(code="fine")\n')
    assert _literal_codes(tree, {"Forbidden"}) == [(1, "Forbidden(..., code='made_up')")]


def test_every_problem_class_says_when_and_lives_in_an_exceptions_module() -> None:
    problems = load_problems()
    assert problems
    for problem in problems:
        assert problem.when, f"{problem.qualified}: give the class a docstring saying when it happens"
        expected = "errors" if problem.package == "kunruyi_common" else "exceptions"
        assert problem.module.rsplit(".", 1)[-1] == expected, (
            f"{problem.qualified}: declare problem classes in the domain's {expected}.py"
        )


@pytest.mark.parametrize("package", PACKAGES)
def test_a_code_means_one_status_everywhere(package: str) -> None:
    statuses: dict[str, set[int]] = {}
    for problem in load_problems():
        statuses.setdefault(problem.code, set()).add(problem.status)
    mine = {p.code for p in load_problems() if p.package == package}
    split = {code: sorted(s) for code, s in statuses.items() if code in mine and len(s) > 1}
    assert not split, f"one code, one status: {split}"

"""The department rule every service applies (``Principal.acts_for``): staff act on their own department's records,
admins on every one, and a token naming no department on none — not even on a record that has no department."""

from __future__ import annotations

import pytest
from kunruyi_common.auth import Principal


def _staff(*roles: str, department: str | None) -> Principal:
    return Principal(kind="staff", subject="s", roles=list(roles), department=department)


@pytest.mark.parametrize(
    ("caller", "record", "acts"),
    [
        (_staff("officer", department="科技局"), "科技局", True),
        (_staff("officer", department="科技局"), "人社局", False),
        (_staff("officer", department="科技局"), None, False),
        (_staff("officer", department=None), None, False),
        (_staff("officer", department=""), "", False),
        (_staff("admin", department=None), "人社局", True),
        (_staff("admin", department="科技局"), None, True),
        (Principal(kind="partner", subject="p", scopes=["x"], department="科技局"), "科技局", False),
    ],
)
def test_who_acts_on_a_departments_record(caller: Principal, record: str | None, acts: bool) -> None:
    assert caller.acts_for(record) is acts

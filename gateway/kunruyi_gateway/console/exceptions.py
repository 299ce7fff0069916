"""The problems the staff console answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Forbidden, Unauthorized, Unprocessable


class UnknownDepartment(Unprocessable):
    """A department (a filter, or the department on a staff member's sign-in) is not one of the departments the
    catalog (svc-policy) or the service desk (svc-talent) knows — a typo gives this error, never an empty queue."""

    code, title = "unknown_department", "部门不存在"


class ConsoleRoleRequired(Forbidden):
    """A signed-in staff member opens a console page of a role they do not hold (the officer's queue without the
    officer role, and so on)."""

    code, title = "console_role_required", "无权访问该工作台"


class UnknownCriterion(Unprocessable):
    """A reviewer's confirmation names a manual criterion the application's calculator trace does not have."""

    code, title = "unknown_criterion", "核验条件不存在"


class SignInFailed(Unauthorized):
    """The staff sign-in through the identity provider did not complete: the flow cookie expired or was not ours,
    the state or nonce does not match, the IdP refused the code or is unreachable, the ID token fails
    verification, or the account holds no console role."""

    code, title = "sign_in_failed", "登录未成功"


class InvalidAmount(Unprocessable):
    """An amount typed on a console form (a budget top-up, in 元) is not a positive number with at most two
    decimals."""

    code, title = "invalid_amount", "金额无效"


class InvalidDate(Unprocessable):
    """A date typed on a console form (a reconciliation's statement date) is not a calendar date (YYYY-MM-DD)."""

    code, title = "invalid_date", "日期无效"

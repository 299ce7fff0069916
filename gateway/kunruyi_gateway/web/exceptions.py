"""The problems of the gateway's web pages (rendered into docs/errors.md). Page routes answer them as a Chinese
HTML page; API-style callers (htmx without HTML, JSON clients) get problem+json."""

from __future__ import annotations

from kunruyi_common.errors import Forbidden, Unauthorized


class SignInRequired(Unauthorized):
    """A page that needs a signed-in company, talent or staff member was opened without a live session (none,
    expired, signed out, or forged): the browser is sent to the sign-in page."""

    code = "sign_in_required"
    title = "请先登录"


class CsrfTokenInvalid(Forbidden):
    """A form or htmx request changing something came without the session's CSRF token (missing, stale after
    sign-in again, or forged)."""

    code = "csrf_token_invalid"
    title = "页面已过期"


class WrongPrincipalKind(Forbidden):
    """A signed-in browser opened a page for another kind of user (e.g. a talent on a company-only page, a
    company on the staff console)."""

    code = "wrong_principal_kind"
    title = "无权访问此页面"

"""CSRF protection for the gateway's pages: a synchronizer token bound to the web session.

Every session row carries a random token. Forms echo it in the hidden field ``csrf_token`` (templates write
``{{ csrf_input() }}``); htmx requests send it in the ``X-CSRF-Token`` header (``static/web/forms.js`` sets it from
the page's ``<meta name="csrf-token">``). Every unsafe method (POST, PUT, PATCH, DELETE) of a page router is
checked: put ``dependencies=[CsrfProtected]`` on the router. A missing or wrong token is refused with 403
``csrf_token_invalid`` (a Chinese page for browsers) and changes nothing.
"""

from __future__ import annotations

import hmac

from fastapi import Depends, Request

from kunruyi_gateway.web.exceptions import CsrfTokenInvalid, SignInRequired
from kunruyi_gateway.web.sessions import load_session

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def sent_token(request: Request) -> str:
    """The token the request carries: the header first (htmx), else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        # Starlette caches the parsed form, so the route's own Form()/File() parameters read the same one.
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def tokens_match(expected: str, sent: str) -> bool:
    return bool(expected) and bool(sent) and hmac.compare_digest(expected.encode(), sent.encode())


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request that does not echo its session's CSRF token (safe methods pass)."""
    if request.method not in UNSAFE_METHODS:
        return
    signed_in = await load_session(request)
    if signed_in is None:
        raise SignInRequired("登录已过期，请重新登录后再提交")
    if not tokens_match(signed_in.csrf_token, await sent_token(request)):
        raise CsrfTokenInvalid(
            "页面已过期或来源不明，未做任何更改。请返回上一页、刷新后重新提交", field=CSRF_FIELD
        )


CsrfProtected = Depends(csrf_protect)

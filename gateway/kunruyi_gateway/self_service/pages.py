"""The "我的" pages on 昆e服 (``/m/…``): a signed-in company or talent sees and does its own business on the phone.

Every page reads through ``PageCalls`` and shows only the signed-in record's own data: the services that know
companies and talents are called as the browser's own principal; the others as a gateway identity holding the one
scope the page needs, with the owner filter set (and, for an item, checked) by the page itself. Every form carries
the session's CSRF token (the router checks every unsafe method).

Each part of the pages is a module of ``self_service/`` (``/m/applications`` is ``applications.py``, ``/m/requests``
``service_requests.py``), with what they share in ``common.py``; this module puts them behind the CSRF check."""

from __future__ import annotations

from fastapi import APIRouter

from kunruyi_gateway.self_service import (
    applications,
    finance,
    funds,
    home,
    housing,
    messages,
    service_requests,
)
from kunruyi_gateway.web.csrf import CsrfProtected

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])
for part in (home, applications, funds, service_requests, finance, housing, messages):
    router.include_router(part.router)

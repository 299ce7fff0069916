"""Server-side web sessions for the gateway's pages (昆e服 "我的" pages, the staff console).

The browser holds an opaque random id in the ``kry_session`` cookie (HttpOnly, SameSite=Lax, Secure over https);
the table ``web_sessions`` holds its SHA-256, the principal (kind, subject, name, roles, department) and the
CSRF token. A session ends after ``IDLE_S`` without a request or ``ABSOLUTE_S`` after sign-in, whichever comes
first; signing out deletes the row.

Use in a page route::

    @router.get("/m/")
    async def home(session: WebSession) -> HTMLResponse: ...

``WebSession`` sends a browser without a live session to the sign-in page (303, or ``HX-Redirect`` for htmx);
``OptionalWebSession`` gives ``None`` instead. ``web_session_of("staff")`` admits only the given kinds.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Request, Response
from kunruyi_common.auth import ENTERPRISE_SESSION_PREFIX, Principal
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_gateway.staff.tokens import TALENT_SESSION_PREFIX
from kunruyi_gateway.web.exceptions import SignInRequired, WrongPrincipalKind
from kunruyi_gateway.web.models import WebSessionRow

SESSION_COOKIE = "kry_session"
IDLE_S = 30 * 60
ABSOLUTE_S = 8 * 3600
# last_seen_at is written at most this often (a page and its htmx fragments do not each write the row).
_TOUCH_EVERY_S = 60

Kind = Literal["company", "talent", "staff"]
KINDS: tuple[str, ...] = ("company", "talent", "staff")
KIND_LABELS = {"company": "企业", "talent": "人才", "staff": "工作人员"}


def hash_session_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """The live session of the browser making the request."""

    id_hash: str
    kind: str
    subject: str
    display_name: str | None
    csrf_token: str
    expires_at: datetime
    method: str = ""
    roles: tuple[str, ...] = field(default=())
    department: str | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def principal(self) -> Principal:
        """The identity the gateway gives services for this browser (see ``kunruyi_common.auth``): a company is
        ``public`` with subject ``enterprise:<USCC>``, a talent ``public`` with ``talent:<id>``, staff are staff."""
        if self.kind == "staff":
            return Principal(
                kind="staff",
                subject=self.subject,
                name=self.display_name,
                roles=list(self.roles),
                department=self.department,
            )
        prefix = ENTERPRISE_SESSION_PREFIX if self.kind == "company" else TALENT_SESSION_PREFIX
        return Principal(
            kind="public", subject=f"{prefix}{self.subject}", name=self.display_name, target=self.subject
        )


def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


def secure_cookies(request: Request) -> bool:
    """Mark cookies Secure when the caller came over HTTPS — as the gateway's trusted proxies report it
    (``trusted_proxies``); an X-Forwarded-Proto from anyone else says nothing."""
    return request.url.scheme == "https"


def _from_row(row: WebSessionRow) -> SignedIn:
    return SignedIn(
        id_hash=row.id_hash,
        kind=row.kind,
        subject=row.subject,
        display_name=row.display_name,
        csrf_token=row.csrf_token,
        expires_at=min(row.expires_at, row.last_seen_at + timedelta(seconds=IDLE_S)),
        method=row.method,
        roles=tuple(row.roles or ()),
        department=row.department,
    )


async def start_session(
    request: Request,
    response: Response,
    *,
    kind: Kind,
    subject: str,
    display_name: str | None,
    method: str,
    roles: list[str] | tuple[str, ...] = (),
    department: str | None = None,
) -> SignedIn:
    """Sign the browser in: a new row (in its own short unit of work) and the cookie on ``response``. Any session
    the browser already had is ended first (a new id at every sign-in: no session fixation)."""
    if kind not in KINDS:
        raise ValueError(f"unknown session kind {kind!r}")
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = WebSessionRow(
        id_hash=hash_session_id(raw),
        kind=kind,
        subject=subject,
        display_name=display_name,
        roles=list(roles),
        department=department,
        method=method,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=ABSOLUTE_S),
    )
    old = request.cookies.get(SESSION_COOKIE)
    async with _sessionmaker(request)() as db, db.begin():
        if old:
            await db.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == hash_session_id(old)))
        db.add(row)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=ABSOLUTE_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    signed_in = _from_row(row)
    request.state.web_session = signed_in
    return signed_in


async def end_session(request: Request, response: Response) -> None:
    """Sign out: the row is deleted (the id is dead everywhere at once) and the cookie cleared."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        async with _sessionmaker(request)() as db, db.begin():
            await db.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == hash_session_id(raw)))
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request)
    )
    request.state.web_session = None


async def session_by_hash(sessionmaker: async_sessionmaker[AsyncSession], id_hash: str) -> SignedIn | None:
    """The live session with this hashed id (for bearer tokens bound to a session), or None."""
    async with sessionmaker() as db:
        row = await db.get(WebSessionRow, id_hash)
    if row is None:
        return None
    signed_in = _from_row(row)
    return signed_in if signed_in.expires_at > datetime.now(UTC) else None


async def load_session(request: Request) -> SignedIn | None:
    """The browser's live session, or None (no cookie, unknown id, idle or absolute end passed). Cached on the
    request; refreshes ``last_seen_at`` at most once a minute."""
    if hasattr(request.state, "web_session"):
        cached: SignedIn | None = request.state.web_session
        return cached
    raw = request.cookies.get(SESSION_COOKIE)
    signed_in: SignedIn | None = None
    if raw and len(raw) <= 128:
        id_hash = hash_session_id(raw)
        now = datetime.now(UTC)
        async with _sessionmaker(request)() as db, db.begin():
            row = await db.get(WebSessionRow, id_hash)
            if row is not None:
                candidate = _from_row(row)
                if candidate.expires_at <= now:
                    await db.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == id_hash))
                else:
                    signed_in = candidate
                    if (now - row.last_seen_at).total_seconds() >= _TOUCH_EVERY_S:
                        await db.execute(
                            update(WebSessionRow)
                            .where(WebSessionRow.id_hash == id_hash)
                            .values(last_seen_at=now)
                        )
    request.state.web_session = signed_in
    return signed_in


async def purge_expired(db: AsyncSession) -> int:
    """Delete sessions past their absolute or idle end (a periodic sweep; a dead row never signs anyone in)."""
    now = datetime.now(UTC)
    result = await db.execute(
        delete(WebSessionRow).where(
            (WebSessionRow.expires_at <= now)
            | (WebSessionRow.last_seen_at <= now - timedelta(seconds=IDLE_S))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _optional(request: Request) -> SignedIn | None:
    return await load_session(request)


async def _required(request: Request) -> SignedIn:
    signed_in = await load_session(request)
    if signed_in is None:
        raise SignInRequired("请先登录；登录已过期或已退出时请重新登录")
    return signed_in


def web_session_of(*kinds: Kind) -> Callable[..., Coroutine[Any, Any, SignedIn]]:
    """A dependency admitting a live session of one of ``kinds`` (another kind: a 403 page)."""

    async def dependency(request: Request) -> SignedIn:
        signed_in = await _required(request)
        if signed_in.kind not in kinds:
            raise WrongPrincipalKind(
                f"此页面仅供{'、'.join(KIND_LABELS[k] for k in kinds)}使用；您当前以{signed_in.kind_label}身份登录"
            )
        return signed_in

    return dependency


WebSession = Annotated[SignedIn, Depends(_required)]
OptionalWebSession = Annotated[SignedIn | None, Depends(_optional)]
SelfSession = Annotated[SignedIn, Depends(web_session_of("company", "talent"))]
StaffSession = Annotated[SignedIn, Depends(web_session_of("staff"))]

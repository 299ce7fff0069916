"""Policy documents (文件) in the 1+N+X structure and the items that cite them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.catalog.service import policy_public
from kunruyi_policy.documents.exceptions import DocumentNotFound
from kunruyi_policy.models import Policy, PolicyDocument

_LEVEL_ORDER = {"1": 0, "N": 1, "X": 2}


def _public(doc: PolicyDocument, counts: dict[str, int], children: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "code": doc.code,
        "doc_number": doc.doc_number,
        "title": doc.title,
        "issuer": doc.issuer,
        "level": doc.level,
        "parent_code": doc.parent_code,
        "issued_on": doc.issued_on,
        "url": doc.url,
        "summary": doc.summary,
        "item_count": counts.get(doc.code, 0),
        "children": sorted(children.get(doc.code, [])),
    }


async def _context(
    session: AsyncSession, include_drafts: bool
) -> tuple[list[PolicyDocument], dict[str, int], dict[str, list[str]]]:
    docs = list((await session.execute(select(PolicyDocument))).scalars())
    query = select(Policy.document_code, func.count()).group_by(Policy.document_code)
    if not include_drafts:
        query = query.where(Policy.status == "published")
    counts = {code: n for code, n in (await session.execute(query)).all() if code}
    children: dict[str, list[str]] = {}
    for d in docs:
        if d.parent_code:
            children.setdefault(d.parent_code, []).append(d.code)
    return docs, counts, children


async def list_documents(session: AsyncSession, *, include_drafts: bool) -> list[dict[str, Any]]:
    """The 1 first, then the N and the X, each by date."""
    docs, counts, children = await _context(session, include_drafts)
    docs.sort(key=lambda d: (_LEVEL_ORDER[d.level], d.issued_on or d.code, d.code))
    return [_public(d, counts, children) for d in docs]


async def document_items(session: AsyncSession, code: str, *, include_drafts: bool) -> dict[str, Any]:
    docs, counts, children = await _context(session, include_drafts)
    doc = next((d for d in docs if d.code == code), None)
    if doc is None:
        raise DocumentNotFound(f"政策文件 {code} 不存在", field="code")
    query = select(Policy).where(Policy.document_code == code).order_by(Policy.code)
    if not include_drafts:
        query = query.where(Policy.status == "published")
    names = await repository.load_names(session)
    items = [policy_public(p, names) for p in (await session.execute(query)).scalars()]
    return {"document": _public(doc, counts, children), "items": items}

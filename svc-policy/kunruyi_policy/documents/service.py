"""Policy documents (文件) in the 1+N+X structure and the items that cite them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kunruyi_policy.catalog import repository
from kunruyi_policy.catalog.access import DepartmentReader
from kunruyi_policy.catalog.service import policy_public
from kunruyi_policy.documents.exceptions import (
    DocumentExists,
    DocumentLevelMismatch,
    DocumentNotFound,
    DocumentNumberTaken,
    DocumentParentCycle,
    UnknownParentDocument,
)
from kunruyi_policy.documents.schemas import DocumentCreate, DocumentUpdate
from kunruyi_policy.models import Policy, PolicyDocument

_LEVEL_ORDER = {"1": 0, "N": 1, "X": 2}
# 1+N+X: the level a document's parent must have (the 1 has none)
_PARENT_LEVEL = {"1": None, "N": "1", "X": "N"}


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


def _shown(reader: DepartmentReader) -> ColumnElement[bool] | None:
    """The items counted and listed: published ones for the public; for staff every item but another department's
    drafts (None: every item)."""
    if not reader.staff:
        return Policy.status == "published"
    return reader.visible()


async def _context(
    session: AsyncSession, reader: DepartmentReader
) -> tuple[list[PolicyDocument], dict[str, int], dict[str, list[str]]]:
    docs = list((await session.execute(select(PolicyDocument))).scalars())
    query = select(Policy.document_code, func.count()).group_by(Policy.document_code)
    shown = _shown(reader)
    if shown is not None:
        query = query.where(shown)
    counts = {code: n for code, n in (await session.execute(query)).all() if code}
    children: dict[str, list[str]] = {}
    for d in docs:
        if d.parent_code:
            children.setdefault(d.parent_code, []).append(d.code)
    return docs, counts, children


async def list_documents(session: AsyncSession, *, reader: DepartmentReader) -> list[dict[str, Any]]:
    """The 1 first, then the N and the X, each by date (undated ones last)."""
    docs, counts, children = await _context(session, reader)
    docs.sort(key=lambda d: (_LEVEL_ORDER[d.level], d.issued_on or date.max, d.code))
    return [_public(d, counts, children) for d in docs]


async def document_items(session: AsyncSession, code: str, *, reader: DepartmentReader) -> dict[str, Any]:
    docs, counts, children = await _context(session, reader)
    doc = next((d for d in docs if d.code == code), None)
    if doc is None:
        raise DocumentNotFound(f"政策文件 {code} 不存在", field="code")
    query = select(Policy).where(Policy.document_code == code).order_by(Policy.code)
    shown = _shown(reader)
    if shown is not None:
        query = query.where(shown)
    names = await repository.load_names(session)
    items = [policy_public(p, names) for p in (await session.execute(query)).scalars()]
    return {"document": _public(doc, counts, children), "items": items}


def _check_place(doc: PolicyDocument, by_code: dict[str, PolicyDocument]) -> None:
    """The document's parent exists, sits one level up, and the chain of parents never comes back to it."""
    if doc.parent_code is not None and doc.parent_code not in by_code:
        raise UnknownParentDocument(f"上级文件 {doc.parent_code} 不存在", field="parent_code")
    seen = {doc.code}
    parent = by_code.get(doc.parent_code) if doc.parent_code else None
    while parent is not None:
        if parent.code in seen:
            raise DocumentParentCycle(
                f"上级文件形成循环：{doc.parent_code} 是 {doc.code} 的下级", field="parent_code"
            )
        seen.add(parent.code)
        parent = by_code.get(parent.parent_code) if parent.parent_code else None
    wanted = _PARENT_LEVEL[doc.level]
    found = by_code[doc.parent_code].level if doc.parent_code else None
    if found != wanted:
        raise DocumentLevelMismatch(
            "1+N+X 层级不符：总体政策（1）没有上级，专项政策（N）挂在总体政策下，实施细则（X）挂在专项政策下"
            f"（{doc.code} 为 {doc.level}，上级{'为 ' + found if found else '为空'}）",
            field="parent_code" if doc.parent_code or wanted is None else "level",
        )
    for child in by_code.values():
        if child.parent_code == doc.code and _PARENT_LEVEL[child.level] != doc.level:
            raise DocumentLevelMismatch(
                f"1+N+X 层级不符：下级文件 {child.code}（{child.level}）不能挂在 {doc.level} 级文件下",
                field="level",
            )


async def _by_code(session: AsyncSession) -> dict[str, PolicyDocument]:
    return {d.code: d for d in (await session.execute(select(PolicyDocument))).scalars()}


def _number_free(doc_number: str, code: str, by_code: dict[str, PolicyDocument]) -> None:
    other = next((d for d in by_code.values() if d.doc_number == doc_number and d.code != code), None)
    if other is not None:
        raise DocumentNumberTaken(f"文号 {doc_number} 已由政策文件 {other.code} 使用", field="doc_number")


async def create_document(
    session: AsyncSession, data: DocumentCreate, reader: DepartmentReader
) -> dict[str, Any]:
    by_code = await _by_code(session)
    if data.code in by_code:
        raise DocumentExists(f"政策文件编码 {data.code} 已存在", field="code")
    _number_free(data.doc_number, data.code, by_code)
    doc = PolicyDocument(**data.model_dump())
    _check_place(doc, by_code | {doc.code: doc})
    session.add(doc)
    await session.flush()
    return await _one(session, doc.code, reader)


async def update_document(
    session: AsyncSession, code: str, data: DocumentUpdate, reader: DepartmentReader
) -> dict[str, Any]:
    by_code = await _by_code(session)
    doc = by_code.get(code)
    if doc is None:
        raise DocumentNotFound(f"政策文件 {code} 不存在", field="code")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("doc_number"):
        _number_free(changes["doc_number"], code, by_code)
    with session.no_autoflush:
        for name, value in changes.items():
            if value is None and name != "parent_code":
                continue  # null leaves a field as it is; only the parent can be cleared
            setattr(doc, name, value)
        _check_place(doc, by_code)
    await session.flush()
    return await _one(session, code, reader)


async def _one(session: AsyncSession, code: str, reader: DepartmentReader) -> dict[str, Any]:
    docs, counts, children = await _context(session, reader)
    return next(_public(d, counts, children) for d in docs if d.code == code)

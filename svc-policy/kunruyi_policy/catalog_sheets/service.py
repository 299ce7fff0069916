"""The catalog as a spreadsheet over HTTP: export what is there, check a sheet, import it as drafts.

An import never touches a published version: a new item is created as a draft policy with a draft version, an
existing item whose rules differ gets a new draft version (the one open draft, as `PUT /policies/{code}/draft`
writes), and an officer publishes each with an effective date. The sheet is checked whole before anything is
written, and one problem anywhere refuses it whole — a half-loaded catalog would pay some items and not others.
A dry run answers at once; an import is a background job (``import_chunk`` below, the kit's job mechanism).
Officers import and export their own department's items; admins all of them.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import InvalidCharacter
from kunruyi_common.inputs import unstorable
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.catalog.spreadsheet import (
    COLUMNS,
    RowError,
    check_rows,
    export_rows,
    from_csv,
    from_xlsx,
)
from kunruyi_policy.catalog_sheets.exceptions import CatalogSheetRejected, UnreadableSheet
from kunruyi_policy.jobs import service as jobs
from kunruyi_policy.management import service as management
from kunruyi_policy.management.schemas import PolicyCreate, PolicyUpdate, RulesIn
from kunruyi_policy.models import (
    BackgroundJob,
    Department,
    Policy,
    PolicyDocument,
    PolicyGroup,
    PolicyTheme,
    PolicyVersion,
)
from kunruyi_policy.rules.warnings import rule_warnings

RULE_FIELDS = ("criteria", "amount", "amount_cap_fen", "parameters")
# Catalog fields an import may change on an existing item (the same ones `PATCH /policies/{code}` takes).
EDITABLE = (
    "title",
    "legal_source",
    "theme_code",
    "policy_type",
    "payout_days",
    "annual_budget_fen",
    "tags",
    "plain_summary",
    "application_window",
    "materials",
    "faq",
    "review_stages",
    "notice_days",
)
# Fields that decide who is paid and how; changing them is a new item, not an edit.
FIXED = (
    "department_code",
    "beneficiary",
    "mode",
    "benefit_kind",
    "document_code",
    "exclusion_group",
    "stacking_group",
    "once_per_entity",
    "valid_from",
)
HEADER = dict(COLUMNS)
IMPORT_NOTE = "表格导入"


def _is_admin(principal: Principal) -> bool:
    return "admin" in principal.roles


async def _references(session: AsyncSession) -> dict[str, set[str]]:
    async def codes(column: Any) -> set[str]:
        return set((await session.execute(select(column))).scalars())

    return {
        "documents": await codes(PolicyDocument.code),
        "departments": await codes(Department.code),
        "groups": await codes(PolicyGroup.code),
        "themes": await codes(PolicyTheme.code),
    }


def _current(versions: list[PolicyVersion], today: date) -> PolicyVersion | None:
    """The version an import compares with: the open draft, else the one in force, else the latest."""
    drafts = [v for v in versions if v.state == "draft"]
    if drafts:
        return drafts[0]
    return repository.version_in_force(versions, today) or (versions[-1] if versions else None)


async def own_department(session: AsyncSession, principal: Principal) -> str | None:
    """The code of the caller's department (tokens carry its code or its name); None for an admin."""
    if _is_admin(principal):
        return None
    given = principal.department or ""
    found = await session.execute(
        select(Department.code).where((Department.code == given) | (Department.name == given))
    )
    return found.scalar_one_or_none() or f"?{given}"


async def _catalog(
    session: AsyncSession, department: str | None
) -> list[tuple[Policy, PolicyVersion | None]]:
    query = select(Policy).order_by(Policy.code)
    if department is not None:
        query = query.where(Policy.department_code == department)
    policies = list((await session.execute(query)).scalars())
    by_policy: dict[uuid.UUID, list[PolicyVersion]] = {}
    if policies:
        versions = await session.execute(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id.in_([p.id for p in policies]))
            .order_by(PolicyVersion.version)
        )
        for version in versions.scalars():
            by_policy.setdefault(version.policy_id, []).append(version)
    today = local_today()
    return [(p, _current(by_policy.get(p.id, []), today)) for p in policies]


def _item(policy: Policy, version: PolicyVersion | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        name: getattr(policy, name, None) for name, _ in COLUMNS if name not in RULE_FIELDS
    }
    item["valid_from"] = policy.valid_from.isoformat()
    item["tags"] = list(policy.tags or [])
    for name in RULE_FIELDS:
        item[name] = getattr(version, name) if version is not None else None
    return item


async def export_sheet(session: AsyncSession, principal: Principal) -> list[dict[str, str]]:
    """The caller's catalog as sheet rows: each item with its current rules (the draft when one is open)."""
    department = await own_department(session, principal)
    return export_rows([_item(p, v) for p, v in await _catalog(session, department)])


def read_sheet(filename: str, content: bytes) -> list[dict[str, str]]:
    """The sheet's rows (column name → cell), blank rows dropped. A file that is no workbook (however it is
    broken: a workbook is a zip of XML, each layer with its own errors) or no CSV, a row with more cells than column
    names, or a cell PostgreSQL cannot store (NUL) is a 422 naming ``file``; nothing is checked or queued."""
    try:
        if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
            try:
                rows = from_xlsx(content)
            except Exception as exc:
                raise UnreadableSheet(
                    f"无法读取表格：不是有效的 XLSX 文件（{exc.__class__.__name__}）", field="file"
                ) from exc
        else:
            rows = from_csv(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, KeyError, IndexError, OSError, csv.Error) as exc:
        raise UnreadableSheet(f"无法读取表格：{exc.__class__.__name__}", field="file") from exc
    for number, row in enumerate(rows, start=2):
        if None in row:  # csv.DictReader files the cells beyond the header under None, as a list
            raise UnreadableSheet(f"第 {number} 行的单元格多于列名（首行）", field="file")
        for header, value in row.items():
            if unstorable(header) or unstorable(value or ""):
                raise InvalidCharacter(
                    f"第 {number} 行「{header}」含有无法保存的字符（空字符或无效的 Unicode）", field="file"
                )
    rows = [r for r in rows if any((v or "").strip() for v in r.values())]
    if not rows:
        raise UnreadableSheet("表格没有数据行（首行须为列名）", field="file")
    return rows


@dataclass
class Plan:
    create: list[dict[str, Any]] = field(default_factory=list)
    draft: list[tuple[Policy, dict[str, Any]]] = field(default_factory=list)
    update: list[tuple[Policy, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


def _same(a: Any, b: Any) -> bool:
    return (a or None) == (b or None) if not isinstance(a, (int, bool)) else a == b


def _plan(
    items: list[dict[str, Any]],
    bad_rows: set[int],
    existing: dict[str, tuple[Policy, PolicyVersion | None]],
    department: str | None,
    errors: list[RowError],
) -> Plan:
    plan = Plan()
    for number, item in enumerate(items, start=2):
        if number in bad_rows:
            continue
        if department is not None and item["department_code"] != department:
            errors.append(
                RowError(number, HEADER["department_code"], f"只能导入本部门（{department}）的政策")
            )
            continue
        found = existing.get(item["code"])
        if found is None:
            plan.create.append(item)
            continue
        policy, version = found
        current = _item(policy, version)
        fixed = [
            name for name in FIXED if item.get(name) is not None and not _same(item[name], current[name])
        ]
        if fixed:
            errors += [
                RowError(
                    number,
                    HEADER[name],
                    f"已有政策的“{HEADER[name]}”不能通过表格修改（现为 {current[name]!r}）",
                )
                for name in fixed
            ]
            continue
        changes = {n: item[n] for n in EDITABLE if item.get(n) is not None and not _same(item[n], current[n])}
        rules_differ = any(not _same(item.get(n), current[n]) for n in RULE_FIELDS)
        if changes:
            plan.update.append((policy, changes))
        if rules_differ:
            plan.draft.append((policy, item))
        if not changes and not rules_differ:
            plan.unchanged += 1
    return plan


def _rules(item: dict[str, Any]) -> RulesIn:
    return RulesIn(
        criteria=item.get("criteria") or [],
        amount=item.get("amount"),
        amount_cap_fen=item.get("amount_cap_fen"),
        parameters=item.get("parameters") or {},
        note=IMPORT_NOTE,
    )


async def _check(
    session: AsyncSession, principal: Principal, rows: list[dict[str, str]], *, dry_run: bool
) -> tuple[dict[str, Any], Plan, list[RowError]]:
    """Check every row against the catalog as it is now: the report, the plan of writes, the problems."""
    references = await _references(session)
    items, errors = check_rows(rows, **references)
    department = await own_department(session, principal)
    existing = {p.code: (p, v) for p, v in await _catalog(session, department)}
    if department is not None:
        # an officer's catalog is their department's; a code taken by another department is still taken
        taken = set((await session.execute(select(Policy.code))).scalars()) - set(existing)
        errors += [
            RowError(n, HEADER["code"], f"政策编码 {i['code']} 已由其他部门使用")
            for n, i in enumerate(items, start=2)
            if i.get("code") in taken
        ]
    plan = _plan(items, {e.row for e in errors}, existing, department, errors)
    errors.sort(key=lambda e: (e.row, e.column))
    report = {
        "dry_run": dry_run,
        "written": False,
        "total_rows": len(rows),
        "created": [i["code"] for i in plan.create],
        "drafted": [p.code for p, _ in plan.draft],
        "catalog_updated": [p.code for p, _ in plan.update],
        "unchanged": plan.unchanged,
        "errors": [e.public() for e in errors],
        "warnings": [
            {"row": n, "column": HEADER["criteria"], "reason": f"{w.path}：{w.message}"}
            for n, item in enumerate(items, start=2)
            for w in rule_warnings(item.get("beneficiary") or "", item.get("criteria"))
        ],
    }
    return report, plan, errors


def _rejected(errors: list[RowError]) -> CatalogSheetRejected:
    return CatalogSheetRejected(
        f"表格有 {len(errors)} 处问题，未写入任何政策",
        field="file",
        errors=[{"field": "file", "row": e.row, "column": e.column, "message": e.reason} for e in errors],
    )


async def import_sheet(
    session: AsyncSession, principal: Principal, rows: list[dict[str, str]], *, dry_run: bool
) -> dict[str, Any]:
    """Check every row, then (unless a dry run, and only when no row has a problem) write the drafts, all in the
    caller's one transaction: a dry run's answer, and the direct call the import job is measured against."""
    report, plan, errors = await _check(session, principal, rows, dry_run=dry_run)
    if dry_run:
        return report
    if errors:
        raise _rejected(errors)
    actor = principal.subject
    for item in plan.create:
        await _create(session, principal, item)
    for policy, changes in plan.update:
        await management.update_policy(session, policy, PolicyUpdate.model_validate(changes))
    for policy, item in plan.draft:
        await management.save_draft(session, policy, _rules(item), actor)
    report["written"] = True
    return report


async def _create(session: AsyncSession, principal: Principal, item: dict[str, Any]) -> None:
    fields = {k: v for k, v in item.items() if k in PolicyCreate.model_fields and v is not None}
    policy = await management.create_policy(session, PolicyCreate.model_validate(fields), principal)
    await management.save_draft(session, policy, _rules(item), principal.subject)


# --- the import as a background job ---------------------------------------------------------------------------------
#
# The request reads the sheet (an unreadable one is answered 422 at once) and queues a job with the rows. The job's
# first chunk checks the whole sheet exactly as the direct import does: one problem anywhere and the job ends
# ``failed`` with the row report and the problem+json the direct import answered — nothing written. Otherwise that
# chunk stores the plan (one write per sheet row that changes something, in row order) and the next chunks carry it
# out, ``catalog_import_chunk_size`` rows a chunk, each chunk one transaction with its drafts, their outbox rows and
# the job's cursor (the index of the next write): a replica that dies mid-chunk loses that chunk only, and the one
# that takes the job over starts at the first row not committed — every row written exactly once.

CATALOG_IMPORT = "catalog_import"


async def enqueue_import(
    session: AsyncSession, principal: Principal, rows: list[dict[str, str]], filename: str
) -> BackgroundJob:
    """A queued import of ``rows`` (written in the caller's unit of work), run as ``principal``."""
    return await jobs.enqueue(
        session,
        kind=CATALOG_IMPORT,
        subject=f"catalog-import:{principal.subject}"[:120],
        params={"filename": filename[:200], "rows": len(rows)},
        total=len(rows),
        created_by=principal.subject,
        department=principal.department,
        input={"rows": rows, "principal": principal.model_dump(mode="json")},
    )


def _write_ops(items: list[dict[str, Any]], plan: Plan) -> list[dict[str, Any]]:
    """The plan as JSON, one entry per sheet row to write (its index in the sheet), in row order."""
    index = {item["code"]: n for n, item in enumerate(items)}
    ops: dict[int, dict[str, Any]] = {}
    for item in plan.create:
        ops[index[item["code"]]] = {
            "index": index[item["code"]],
            "create": True,
            "update": [],
            "draft": False,
        }
    for policy, changes in plan.update:
        op = ops.setdefault(
            index[policy.code], {"index": index[policy.code], "create": False, "draft": False}
        )
        op["update"] = sorted(changes)
    for policy, _ in plan.draft:
        op = ops.setdefault(index[policy.code], {"index": index[policy.code], "create": False, "update": []})
        op["draft"] = True
    return [ops[n] for n in sorted(ops)]


async def import_chunk(session: AsyncSession, job: BackgroundJob, limit: int) -> jobs.Chunk:
    """The job's next step: the whole-sheet check first, then at most ``limit`` rows' writes."""
    payload = dict(job.input or {})
    rows: list[dict[str, str]] = payload["rows"]
    principal = Principal.model_validate(payload["principal"])
    if job.cursor is None:
        report, plan, errors = await _check(session, principal, rows, dry_run=False)
        if errors:
            problem = _rejected(errors)
            return jobs.Chunk(
                0,
                {"phase": "rejected"},
                result={**report, "problem": problem.to_problem()},
                failed=problem.detail,
            )
        items, _ = check_rows(rows, **await _references(session))
        ops = _write_ops(items, plan)
        job.input = {**payload, "ops": ops}
        return jobs.Chunk(
            len(rows) - len(ops),
            {"phase": "write", "next": 0},
            counts={"unchanged": plan.unchanged},
            result={**report, "written": not ops},
            finished=not ops,
        )
    ops = payload["ops"]
    start = int(job.cursor["next"])
    batch = ops[start : start + limit]
    # the batch's rows only (the whole sheet passed the check): the items they describe, in the batch's order
    checked, _ = check_rows([rows[op["index"]] for op in batch], **await _references(session))
    by_index = {op["index"]: item for op, item in zip(batch, checked, strict=True)}
    wanted = [by_index[op["index"]]["code"] for op in batch if not op["create"]]
    policies = {
        p.code: p for p in (await session.execute(select(Policy).where(Policy.code.in_(wanted)))).scalars()
    }
    counts = {"created": 0, "drafted": 0, "catalog_updated": 0}
    for op in batch:
        item = by_index[op["index"]]
        if op["create"]:
            await _create(session, principal, item)
            counts["created"] += 1
            continue
        policy = policies[item["code"]]
        if op["update"]:
            changes = {name: item[name] for name in op["update"]}
            await management.update_policy(session, policy, PolicyUpdate.model_validate(changes))
            counts["catalog_updated"] += 1
        if op["draft"]:
            await management.save_draft(session, policy, _rules(item), principal.subject)
            counts["drafted"] += 1
    after = start + len(batch)
    finished = after >= len(ops)
    return jobs.Chunk(
        len(batch),
        {"phase": "write", "next": after},
        counts=counts,
        finished=finished,
        result={**(job.result or {}), "written": True} if finished else None,
    )

"""Visit sheets (走访表, XLSX or CSV) from the service teams: one row per problem found, or per visit without one.

Columns (Chinese header; * required): 走访日期*, 服务队*, 统一社会信用代码 or 人才编号 (one of them), 走访内容
(政策宣讲、辅导、问需求、送政策), 送达政策 (policy codes), 问题类型, 问题. Rows with the same date, team and
company/talent are one visit; each row with a 问题 adds a problem to it (a ticket once imported).

Every row is checked first — cells, team, period, the company in the registry, the problem's type — and each
failure reported with its row (the header is row 1), column and reason. A dry run stops there; an import with any
failing row writes nothing (``422 visit_sheet_invalid`` with the errors), so a sheet is never half imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.errors import ProblemError
from kunruyi_common.validation_messages import chinese_message
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.campaigns import service
from kunruyi_talent.campaigns.exceptions import VisitSheetInvalid
from kunruyi_talent.campaigns.schemas import SheetError, SheetReport, VisitCreate
from kunruyi_talent.imports.exceptions import BadColumns
from kunruyi_talent.imports.service import RowError, _date, _list, _text, read_table
from kunruyi_talent.models import Campaign
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings

# header → our key
COLUMNS = {
    "走访日期": "visited_on",
    "服务队": "team",
    "统一社会信用代码": "enterprise_uscc",
    "人才编号": "talent_id",
    "走访内容": "activities",
    "送达政策": "policies_delivered",
    "问题类型": "type",
    "问题": "title",
}
REQUIRED = ("走访日期", "服务队")
HEADER_OF = {v: k for k, v in COLUMNS.items()}
# A field of a visit or its problem → the column it came from.
FIELD_COLUMN = {**HEADER_OF, "problems": "问题类型", "row": "问题"}


@dataclass
class Group:
    first_row: int
    rows: list[int] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _header(header: list[str]) -> list[str | None]:
    keys: list[str | None] = []
    unknown = []
    for h in header:
        if not h:
            keys.append(None)
        elif h in COLUMNS:
            keys.append(COLUMNS[h])
        elif h in HEADER_OF:
            keys.append(h)
        else:
            unknown.append(h)
            keys.append(None)
    missing = [h for h in REQUIRED if COLUMNS[h] not in keys]
    if "enterprise_uscc" not in keys and "talent_id" not in keys:
        missing.append("统一社会信用代码（或人才编号）")
    if missing or unknown:
        parts = [f"缺少必需列：{'、'.join(missing)}"] if missing else []
        parts += [f"无法识别的列：{'、'.join(unknown)}"] if unknown else []
        raise BadColumns(
            "；".join(parts) + f"。可用列：{'、'.join(COLUMNS)}",
            field="file",
            missing_columns=missing,
            unknown_columns=unknown,
        )
    return keys


def _column(loc: str) -> str:
    head = loc.split("[", 1)[0].split(".", 1)[0]
    if head == "problems" and loc.endswith(".title"):
        return "问题"
    return FIELD_COLUMN.get(head, head)


def _groups(
    keys: list[str | None], rows: Any, errors: list[SheetError]
) -> tuple[int, dict[tuple[Any, ...], Group]]:
    groups: dict[tuple[Any, ...], Group] = {}
    count = 0
    for number, cells in rows:
        count += 1
        values = {k: cells[i] for i, k in enumerate(keys) if k and i < len(cells)}
        try:
            visited_on: date | None = _date(values.get("visited_on"), "visited_on")
            team = _text(values.get("team"))
            uscc = _text(values.get("enterprise_uscc"))
            talent = _text(values.get("talent_id"))
            if visited_on is None:
                raise RowError("visited_on", "必填")
            if team is None:
                raise RowError("team", "必填")
            kind_of_problem, title = _text(values.get("type")), _text(values.get("title"))
            if title and not kind_of_problem:
                raise RowError("type", "填写了问题，须填问题类型")
            if kind_of_problem and not title:
                raise RowError("title", "填写了问题类型，须填问题")
        except RowError as exc:
            errors.append(
                SheetError(row=number, column=HEADER_OF.get(exc.field, exc.field), reason=exc.reason)
            )
            continue
        key = (visited_on, team, uscc, talent)
        group = groups.setdefault(
            key,
            Group(
                first_row=number,
                data={
                    "visited_on": visited_on,
                    "team": team,
                    "enterprise_uscc": uscc,
                    "talent_id": talent,
                    "activities": [],
                    "policies_delivered": [],
                },
            ),
        )
        group.rows.append(number)
        for name in ("activities", "policies_delivered"):
            for item in _list(values.get(name)):
                if item not in group.data[name]:
                    group.data[name].append(item)
        if title and kind_of_problem:
            group.problems.append((number, {"type": kind_of_problem, "title": title}))
    return count, groups


async def import_sheet(
    session: AsyncSession,
    settings: Settings,
    pii: PersonalData,
    campaign: Campaign,
    filename: str,
    content: bytes,
    principal: Principal,
    *,
    dry_run: bool,
) -> SheetReport:
    header, rows = read_table(filename, content)
    keys = _header(header)
    errors: list[SheetError] = []
    count, groups = _groups(keys, rows, errors)
    teams = await service.team_ids(session, campaign)
    visits: list[VisitCreate] = []
    for group in groups.values():
        try:
            visit = VisitCreate.model_validate({**group.data, "problems": [p for _, p in group.problems]})
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in err["loc"]).replace(
                ".[", "["
            )
            row = group.first_row
            if loc.startswith("problems[") and group.problems:
                index = int(loc.split("[", 1)[1].split("]", 1)[0])
                row = group.problems[min(index, len(group.problems) - 1)][0]
            errors.append(SheetError(row=row, column=_column(loc), reason=chinese_message(err)))
            continue
        try:
            await service.check_visit(session, campaign, teams, visit)
        except ProblemError as exc:
            loc = exc.field or "row"
            row = group.first_row
            if loc.startswith("problems[") and group.problems:
                row = group.problems[int(loc.split("[", 1)[1].split("]", 1)[0])][0]
            errors.append(SheetError(row=row, column=_column(loc), reason=exc.detail))
            continue
        visits.append(visit)
    errors.sort(key=lambda e: e.row)
    report = SheetReport(
        dry_run=dry_run,
        rows=count,
        visits=len(groups),
        problems=sum(len(g.problems) for g in groups.values()),
        written=False,
        errors=errors,
    )
    if dry_run:
        return report
    if errors:
        raise VisitSheetInvalid(
            f"走访表有 {len(errors)} 处错误，整张表未导入",
            field="file",
            errors=[e.model_dump() for e in errors],
        )
    for visit in visits:
        await service.record_visit(
            session, settings, pii, campaign, visit, principal, source="import", teams_by_name=teams
        )
    report.written = True
    return report

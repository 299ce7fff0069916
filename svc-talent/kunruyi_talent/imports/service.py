"""Bulk import of enterprises and talent from the CSV / XLSX files officers keep.

The header is checked before anything is written. Each row then runs in its own savepoint through the same
service functions as the API (so events reach the outbox), and a failing row is reported — row number as the
spreadsheet shows it (the header is row 1), the column, and the reason in Chinese — without stopping the others.
Re-importing is idempotent: an enterprise is matched by USCC, a talent by the blind index of the ID number; an
unchanged row is counted as unchanged and publishes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kunruyi_common.errors import Conflict, EmptyFile, ProblemError
from kunruyi_common.validation_messages import chinese_message
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.enterprise.schemas import EnterpriseCreate, EnterpriseUpdate
from kunruyi_talent.imports.exceptions import BadColumns, BadCsv, BadEncoding, BadXlsx
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.talent import service as talent_service
from kunruyi_talent.talent.schemas import ProgramIn, TalentCreate, TalentUpdate


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False


ENTERPRISE_COLUMNS = (
    Column("uscc", "统一社会信用代码", True),
    Column("name", "企业名称", True),
    Column("district", "区镇", True),
    Column("industry_chain", "产业链"),
    Column("founded_on", "成立日期"),
    Column("employees", "职工人数"),
    Column("invention_patents", "发明专利数"),
)
TALENT_COLUMNS = (
    Column("name", "姓名", True),
    Column("id_number", "身份证号", True),
    Column("phone", "手机号"),
    Column("education", "学历"),
    Column("school", "毕业院校"),
    Column("overseas", "海外经历"),
    Column("title", "职称"),
    Column("skill_level", "技能等级"),
    Column("programs", "人才计划"),
    Column("employer_uscc", "工作单位信用代码"),
    Column("arrival_date", "来昆日期"),
    Column("fields", "专业领域"),
    Column("expertise", "专长"),
    Column("is_expert", "是否专家"),
)
COLUMNS = {"enterprises": ENTERPRISE_COLUMNS, "talents": TALENT_COLUMNS}
EDUCATION = {
    "本科": "bachelor",
    "学士": "bachelor",
    "硕士": "master",
    "研究生": "master",
    "博士": "doctor",
    "bachelor": "bachelor",
    "master": "master",
    "doctor": "doctor",
    "其他": "other",
    "other": "other",
}
TRUE = {"是", "有", "y", "yes", "true", "1"}
FALSE = {"否", "无", "n", "no", "false", "0"}


class RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class ImportReport:
    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "errors": self.errors,
        }


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


def read_table(filename: str, content: bytes) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Header and (row number, cells) for a CSV or XLSX file; blank rows are skipped."""
    if content[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    return _read_csv(content)


def _read_csv(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BadEncoding("文件编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV", field="file")
    # newline="": the csv module's own line handling, so a bare CR (old Mac line ends, or one inside a cell)
    # is a line end or part of a quoted cell, not an error.
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadCsv(f"CSV 文件无法解析：{exc}", field="file") from None
    if not rows:
        raise EmptyFile("文件为空", field="file")

    def body() -> Iterator[tuple[int, list[Any]]]:
        for i, row in enumerate(rows[1:], start=2):
            if any(c.strip() for c in row):
                yield i, list(row)

    return [h.strip() for h in rows[0]], body()


def _read_xlsx(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    # openpyxl takes a noticeable part of a second to import: loaded on the first spreadsheet, not at start-up.
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise BadXlsx("无法读取 Excel 文件（仅支持 .xlsx）", field="file") from None
    sheet = wb.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [("" if h is None else str(h)).strip() for h in next(rows)]
    except StopIteration:
        raise EmptyFile("文件为空", field="file") from None

    def body() -> Iterator[tuple[int, list[Any]]]:
        for i, row in enumerate(rows, start=2):
            cells = list(row)
            if any(c is not None and str(c).strip() for c in cells):
                yield i, cells
        wb.close()

    return header, body()


def check_header(kind: str, header: Sequence[str]) -> list[Column | None]:
    """Map each file column to ours (by Chinese header or English key), or refuse the file naming the columns."""
    columns = COLUMNS[kind]
    by_name = {c.header: c for c in columns} | {c.key: c for c in columns}
    mapping: list[Column | None] = []
    unknown = []
    for h in header:
        if not h:
            mapping.append(None)
            continue
        col = by_name.get(h)
        if col is None:
            unknown.append(h)
        mapping.append(col)
    present = {c.key for c in mapping if c}
    missing = [c.header for c in columns if c.required and c.key not in present]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"缺少必需列：{'、'.join(missing)}")
        if unknown:
            parts.append(f"无法识别的列：{'、'.join(unknown)}")
        raise BadColumns(
            "；".join(parts) + f"。可用列：{'、'.join(c.header for c in columns)}",
            field="file",
            missing_columns=missing,
            unknown_columns=unknown,
        )
    return mapping


# ---------------------------------------------------------------------------
# Cell conversion (Chinese reasons)
# ---------------------------------------------------------------------------


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def _int(v: Any, key: str) -> int | None:
    s = _text(v)
    if s is None:
        return None
    try:
        n = int(s.replace(",", ""))
    except ValueError:
        raise RowError(key, f"“{s}”不是整数") from None
    if n < 0:
        raise RowError(key, "不能为负数")
    return n


def _date(v: Any, key: str) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = _text(v)
    if s is None:
        return None
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", s)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise RowError(key, f"日期“{s}”无效，应为 YYYY-MM-DD")


def _bool(v: Any, key: str) -> bool | None:
    s = _text(v)
    if s is None:
        return None
    if s.lower() in TRUE:
        return True
    if s.lower() in FALSE:
        return False
    raise RowError(key, f"“{s}”应填“是”或“否”")


def _list(v: Any) -> list[str]:
    s = _text(v)
    return [p.strip() for p in re.split(r"[、,，;；]", s) if p.strip()] if s else []


def _programs(v: Any, key: str) -> list[ProgramIn]:
    out = []
    for part in _list(v):
        m = re.fullmatch(r"(.+?)[:：](\d{4})", part)
        if not m:
            raise RowError(key, f"人才计划“{part}”应写作“计划名:年份”，如“姑苏领军:2023”")
        out.append(ProgramIn(name=m[1].strip(), year=int(m[2])))
    return out


def _pydantic_reason(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    key = str(err["loc"][0]) if err["loc"] else "row"
    return key, chinese_message(err)


# ---------------------------------------------------------------------------
# Importing rows
# ---------------------------------------------------------------------------


class Importer:
    def __init__(
        self,
        kind: str,
        mapping: list[Column | None],
        pii: PersonalData,
        actor: str,
        *,
        may_update_talents: bool = True,
    ) -> None:
        self.kind = kind
        self.mapping = mapping
        self.pii = pii
        self.actor = actor
        # Only callers allowed to look a talent up by ID number may update one by ID number; for anyone else a
        # registered number is a row conflict, the same answer POST /talents gives (no oracle, no overwrite).
        self.may_update_talents = may_update_talents
        self.report = ImportReport(kind)
        self.headers = {c.key: c.header for c in COLUMNS[kind]}
        self.seen: dict[str, int] = {}

    def _values(self, cells: Sequence[Any]) -> dict[str, Any]:
        return {col.key: (cells[i] if i < len(cells) else None) for i, col in enumerate(self.mapping) if col}

    def _fail(self, row: int, key: str, reason: str) -> None:
        self.report.failed += 1
        self.report.errors.append(
            {"row": row, "field": key, "column": self.headers.get(key, key), "reason": reason}
        )

    async def add(self, session: AsyncSession, row: int, cells: Sequence[Any]) -> None:
        self.report.total_rows += 1
        values = self._values(cells)
        try:
            async with session.begin_nested():
                outcome = await (
                    self._enterprise(session, row, values)
                    if self.kind == "enterprises"
                    else self._talent(session, row, values)
                )
        except RowError as exc:
            self._fail(row, exc.field, exc.reason)
            return
        except ValidationError as exc:
            self._fail(row, *_pydantic_reason(exc))
            return
        except ProblemError as exc:
            self._fail(row, (exc.field or "row").split(".")[-1], exc.detail)
            return
        except DBAPIError:
            # The savepoint is rolled back; only this row is lost.
            self._fail(row, "row", "数据库拒绝了该行（数值超出范围或内容过长）")
            return
        if outcome == "created":
            self.report.created += 1
        elif outcome == "updated":
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def _claim(self, key: str, row: int, column: str, label: str) -> None:
        first = self.seen.get(key)
        if first is not None:
            raise RowError(column, f"{label}与第 {first} 行重复")
        self.seen[key] = row

    async def _enterprise(self, session: AsyncSession, row: int, v: dict[str, Any]) -> str:
        raw = _text(v.get("uscc"))
        if raw is None:
            raise RowError("uscc", "必填")
        uscc = enterprise_service.validate_uscc(raw)
        for key in ("name", "district"):
            if _text(v.get(key)) is None:
                raise RowError(key, "必填")
        self._claim(uscc, row, "uscc", "统一社会信用代码")
        fields: dict[str, Any] = {
            "name": _text(v.get("name")),
            "district": _text(v.get("district")),
        }
        if "industry_chain" in v:
            fields["industry_chain"] = _text(v.get("industry_chain"))
        if "founded_on" in v:
            fields["founded_on"] = _date(v.get("founded_on"), "founded_on")
        for key in ("employees", "invention_patents"):
            if key in v and _text(v.get(key)) is not None:
                fields[key] = _int(v.get(key), key)
        existing = await enterprise_service.find_by_uscc(session, uscc)
        if existing is None:
            await enterprise_service.register(session, self.pii, EnterpriseCreate(uscc=uscc, **fields))
            return "created"
        _, changed = await enterprise_service.update(session, self.pii, existing, EnterpriseUpdate(**fields))
        return "updated" if changed else "unchanged"

    async def _talent(self, session: AsyncSession, row: int, v: dict[str, Any]) -> str:
        raw = _text(v.get("id_number"))
        if raw is None:
            raise RowError("id_number", "必填")
        rid = talent_service.validate_id_number(raw)
        if _text(v.get("name")) is None:
            raise RowError("name", "必填")
        self._claim(rid.number, row, "id_number", "身份证号")
        fields: dict[str, Any] = {"name": _text(v.get("name"))}
        for key in ("phone", "school", "title", "skill_level", "expertise"):
            if key in v:
                fields[key] = _text(v.get(key))
        if "employer_uscc" in v:
            fields["employer_uscc"] = _text(v.get("employer_uscc"))
        if "education" in v and _text(v.get("education")) is not None:
            edu = EDUCATION.get(str(_text(v.get("education"))).lower())
            if edu is None:
                raise RowError(
                    "education", f"学历“{_text(v.get('education'))}”无效，应为本科、硕士、博士或其他"
                )
            fields["education"] = edu
        for key in ("overseas", "is_expert"):
            if key in v:
                b = _bool(v.get(key), key)
                if b is not None:
                    fields[key] = b
        if "arrival_date" in v:
            fields["arrival_date"] = _date(v.get("arrival_date"), "arrival_date")
        if "programs" in v:
            fields["programs"] = _programs(v.get("programs"), "programs")
        if "fields" in v:
            fields["fields"] = _list(v.get("fields"))
        if fields.get("expertise") is None:
            fields.pop("expertise", None)
        existing = (
            await talent_service.find_by_id_number(session, self.pii, rid.number)
            if self.may_update_talents
            else None
        )
        if existing is None:
            try:
                await talent_service.register(
                    session, self.pii, TalentCreate(id_number=rid.number, **fields), self.actor
                )
            except Conflict as exc:
                raise RowError("id_number", exc.detail) from None
            return "created"
        _, changed = await talent_service.update(
            session, self.pii, existing, TalentUpdate(**fields), self.actor
        )
        return "updated" if changed else "unchanged"


async def import_file(
    session: AsyncSession,
    pii: PersonalData,
    kind: str,
    filename: str,
    content: bytes,
    actor: str,
    *,
    on_row: Callable[[], None] | None = None,
    may_update_talents: bool = True,
) -> ImportReport:
    header, rows = read_table(filename, content)
    importer = Importer(kind, check_header(kind, header), pii, actor, may_update_talents=may_update_talents)
    for row, cells in rows:
        await importer.add(session, row, cells)
        if on_row is not None:
            on_row()
    return importer.report

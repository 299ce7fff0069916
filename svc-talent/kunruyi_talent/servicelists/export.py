"""The three lists as one XLSX workbook (服务清单, 需求清单, 对策清单 — the countermeasures and the policies matched
to the companies), for a campaign or a 区镇 or everything."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from kunruyi_talent.servicelists.schemas import CountermeasureOut, NeedItem, PolicyMatchOut, ServiceItem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATEGORY_NAMES = {"request_type": "诉求事项", "resource": "资源", "policy": "政策"}
STATUS_NAMES = {"planned": "计划", "in_progress": "推进中", "done": "已完成"}
MATCH_NAMES = {"eligible": "符合", "needs_confirmation": "需确认"}
ENTITY_NAMES = {"enterprise": "企业", "talent": "人才"}


def _sheet(ws: Worksheet, title: str, header: list[str], widths: list[int]) -> None:
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width


def to_xlsx(
    caption: str,
    services: list[ServiceItem],
    needs: dict[str, list[NeedItem]],
    countermeasures: list[CountermeasureOut],
    policies: list[PolicyMatchOut],
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    _sheet(
        ws,
        "服务清单",
        ["类别", "事项", "承办部门", "办理时限（工作日）", "所在区镇", "编码"],
        [10, 40, 14, 18, 10, 20],
    )
    for s in services:
        ws.append(
            [
                CATEGORY_NAMES[s.category],
                s.title,
                s.department or "",
                s.working_days or "",
                s.district or "全市",
                s.key,
            ]
        )

    ws = wb.create_sheet()
    _sheet(
        ws,
        "需求清单",
        ["分组", "需求", "合计", "工单", "技术需求", "未答复", "走访发现", "对策数"],
        [8, 30, 8, 8, 10, 8, 10, 8],
    )
    for grouping, name in (("theme", "按主题"), ("chain", "按产业链"), ("district", "按区镇")):
        for n in needs.get(grouping, []):
            ws.append(
                [
                    name,
                    n.key,
                    n.total,
                    n.tickets,
                    n.technology_demands,
                    n.open,
                    n.from_visits,
                    n.countermeasures,
                ]
            )

    ws = wb.create_sheet()
    _sheet(
        ws,
        "对策清单",
        [
            "类别",
            "主题/对象",
            "对策/政策",
            "责任部门",
            "完成时限",
            "状态",
            "关联工单 / 政策编码",
            "修补政策版本",
        ],
        [8, 26, 40, 14, 12, 10, 30, 16],
    )
    for c in countermeasures:
        ws.append(
            [
                "对策",
                c.theme,
                c.title,
                c.owner_department,
                c.due_on.isoformat(),
                STATUS_NAMES.get(c.status, c.status),
                "、".join(c.tickets),
                c.policy_ref or "",
            ]
        )
    for p in policies:
        ws.append(
            [
                f"匹配政策（{ENTITY_NAMES.get(p.entity_type, p.entity_type)}）",
                p.entity_name or p.entity_id,
                p.policy_title,
                p.department,
                "",
                MATCH_NAMES.get(p.status, p.status),
                p.policy_code,
                "",
            ]
        )
    ws.append([])
    ws.append([caption])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()

"""Ticket types, the department each goes to, its deadline in working days, and the working-day calendar.

Deadline: the N-th working day after the day of submission (Asia/Shanghai), the submission day not counted.
Working days are Monday–Friday, minus the public holidays in ``Settings.holidays``, plus the weekend days in
``Settings.makeup_workdays`` (调休上班). The State Council publishes the holiday calendar each December; operators
put it into those two settings, so nothing is hard-coded for years we do not know yet.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

# type → (department, working days to answer)
TICKET_TYPES: dict[str, tuple[str, int]] = {
    "落户": ("公安局", 5),
    "子女入学": ("教育局", 10),
    "医疗保健": ("卫健委", 5),
    "驾照申领": ("公安局", 5),
    "出入境": ("公安局", 7),
    "配偶就业": ("人社局", 10),
    "人才公寓": ("住建局", 10),
    "项目审批": ("行政审批局", 15),
    "政策咨询": ("人才办", 3),
    "融资需求": ("金融监管局", 10),
    "其他诉求": ("人才办", 5),
}

CHANNELS = ("window", "phone", "api", "qr", "yiqilaiban")
# A problem raised on a campaign visit (campaigns/); never chosen by a caller of POST /tickets.
VISIT_CHANNEL = "visit"
STATUSES = ("submitted", "accepted", "in_progress", "replied", "resolved", "closed")
STATUS_LABELS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_progress": "办理中",
    "replied": "已答复",
    "resolved": "已解决",
    "closed": "已办结",
}
# Moving a resolved or closed ticket back to in_progress is a reopen.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("accepted",),
    "accepted": ("in_progress",),
    "in_progress": ("replied",),
    "replied": ("resolved", "in_progress"),
    "resolved": ("closed", "in_progress"),
    "closed": ("in_progress",),
}
OPEN_STATUSES = ("submitted", "accepted", "in_progress", "replied")


def is_working_day(day: date, holidays: Collection[date], makeup_workdays: Collection[date]) -> bool:
    if day in makeup_workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: date, days: int, holidays: Collection[date] = (), makeup_workdays: Collection[date] = ()
) -> date:
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current, holidays, makeup_workdays):
            left -= 1
    return current

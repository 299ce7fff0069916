"""One template per kind of message: the inbox title and body (Chinese) and the SMS template with its parameters,
as SMS providers take them (a registered template code, the parameters filled in by the provider).

SMS texts carry no ID numbers and no more than the template needs (the payment SMS says the policy and the amount;
nothing else names money). :func:`check_templates` runs at start-up: a template whose text names a parameter it
does not declare, or declares one its text does not use, stops the service there rather than at send time.
"""

from __future__ import annotations

import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    kind: str
    label: str
    title: str
    body: str
    sms_code: str
    sms_text: str
    sms_params: tuple[str, ...]
    # Sent by SMS unless the person turned it off (preferences); the others only when turned on.
    sms_by_default: bool
    link: str | None = None


TEMPLATES: dict[str, Template] = {
    t.kind: t
    for t in (
        Template(
            kind="payment_settled",
            label="资金到账",
            title="资金已拨付：{policy}",
            body="您的「{policy}」资金 {amount} 已拨付到账（{date}）。免申即享，无需申请。",
            sms_code="SMS_KRY_PAYMENT_SETTLED",
            sms_text="【昆如意】您的“{policy}”资金{amount}已拨付到账，详情请登录昆e服查看。",
            sms_params=("policy", "amount"),
            sms_by_default=True,
            link="/m/funds",
        ),
        Template(
            kind="payment_failed",
            label="拨付未成功",
            title="资金拨付未成功：{policy}",
            body="您的「{policy}」资金 {amount} 拨付未成功，可能是收款账户有误。请核对收款账户，工作人员将重新拨付。",
            sms_code="SMS_KRY_PAYMENT_FAILED",
            sms_text="【昆如意】您的“{policy}”资金拨付未成功，请登录昆e服核对收款账户。",
            sms_params=("policy",),
            sms_by_default=True,
            link="/m/funds",
        ),
        Template(
            kind="application_status",
            label="申报进度",
            title="申报进度：{stage}",
            body="您的申报 {number}（{policy}）已进入“{stage}”环节。{comment}",
            sms_code="SMS_KRY_APPLICATION_STATUS",
            sms_text="【昆如意】您的申报{number}已进入“{stage}”环节，详情请登录昆e服查看。",
            sms_params=("number", "stage"),
            sms_by_default=False,
            link="/m/applications",
        ),
        Template(
            kind="application_supplement",
            label="补正通知",
            title="申报需补正：{number}",
            body="您的申报 {number}（{policy}）需补正材料：{comment}。请补正后重新提交。",
            sms_code="SMS_KRY_APPLICATION_SUPPLEMENT",
            sms_text="【昆如意】您的申报{number}需补正材料，请登录昆e服查看并重新提交。",
            sms_params=("number",),
            sms_by_default=True,
            link="/m/applications",
        ),
        Template(
            kind="ticket_replied",
            label="诉求答复",
            title="您的诉求已答复：{number}",
            body="您的诉求 {number}（{type}）已由{department}答复，请查看答复并评价。",
            sms_code="SMS_KRY_TICKET_REPLIED",
            sms_text="【昆如意】您的诉求{number}已答复，请登录昆e服查看并评价。",
            sms_params=("number",),
            sms_by_default=True,
            link="/m/requests",
        ),
        Template(
            kind="ticket_reopened",
            label="诉求重新打开",
            title="您的诉求已重新打开：{number}",
            body="您对诉求 {number}（{type}）的答复不满意，诉求已重新打开，退回{department}重新办理，办理后将再次答复您。",
            sms_code="SMS_KRY_TICKET_REOPENED",
            sms_text="【昆如意】您的诉求{number}已重新打开，{department}将重新办理并再次答复。",
            sms_params=("number", "department"),
            sms_by_default=False,
            link="/m/requests",
        ),
        Template(
            kind="housing_offer",
            label="配租通知",
            title="人才公寓配租通知：{project}",
            body="人才公寓 {project} 房源 {unit} 向您配租，请在 {deadline} 前确认接受或放弃，逾期视为放弃。",
            sms_code="SMS_KRY_HOUSING_OFFER",
            sms_text="【昆如意】人才公寓{project}向您配租，请在{deadline}前登录昆e服确认，逾期视为放弃。",
            sms_params=("project", "deadline"),
            sms_by_default=True,
            link="/m/housing",
        ),
        Template(
            kind="housing_offer_reminder",
            label="配租到期提醒",
            title="配租即将到期：{project}",
            body="人才公寓 {project} 房源 {unit} 的配租将于 {deadline} 到期，请尽快确认接受或放弃。",
            sms_code="SMS_KRY_HOUSING_REMINDER",
            sms_text="【昆如意】人才公寓{project}配租将于{deadline}到期，请尽快登录昆e服确认。",
            sms_params=("project", "deadline"),
            sms_by_default=True,
            link="/m/housing",
        ),
        Template(
            kind="activity_reminder",
            label="活动提醒",
            title="明天的活动：{title}",
            body="您报名的{kind}「{title}」将于 {starts} 在 {venue} 举行，请准时参加，到场扫码签到。",
            sms_code="SMS_KRY_ACTIVITY_REMINDER",
            sms_text="【昆如意】您报名的活动“{title}”将于{starts}举行，请准时参加。",
            sms_params=("title", "starts"),
            sms_by_default=True,
            link="/m/activities",
        ),
        Template(
            kind="housing_offer_lapsed",
            label="配租失效",
            title="配租已失效：{project}",
            body="人才公寓 {project} 房源 {unit} 的配租已逾期失效，您仍在轮候库中。",
            sms_code="SMS_KRY_HOUSING_LAPSED",
            sms_text="【昆如意】人才公寓{project}配租已逾期失效，您仍在轮候库中。",
            sms_params=("project",),
            sms_by_default=False,
            link="/m/housing",
        ),
        Template(
            kind="challenge_awarded",
            label="揭榜结果",
            title="揭榜挂帅已确定揭榜方：{title}",
            body="您发布的榜单「{title}」已确定揭榜团队：{team}。",
            sms_code="SMS_KRY_CHALLENGE_AWARDED",
            sms_text="【昆如意】您发布的榜单“{title}”已确定揭榜团队，详情请登录昆e服查看。",
            sms_params=("title",),
            sms_by_default=False,
            link="/m/",
        ),
        Template(
            kind="demand_assigned",
            label="需求承接",
            title="技术需求已有经纪人承接",
            body="您的技术需求已由{agency}的技术经纪人承接，经纪人将与您联系。",
            sms_code="SMS_KRY_DEMAND_ASSIGNED",
            sms_text="【昆如意】您的技术需求已由{agency}的技术经纪人承接，经纪人将与您联系。",
            sms_params=("agency",),
            sms_by_default=False,
            link="/m/requests",
        ),
        Template(
            kind="policy_in_reach",
            label="政策早知道",
            title="您可以申报：{policy}",
            # one line per policy: the day's later policies are added to the same message (consumers.py)
            body="根据您的最新信息，以下政策您可以在线申报：\n「{policy}」（{department}，{status}）",
            sms_code="SMS_KRY_POLICY_IN_REACH",
            sms_text="【昆如意】您可申报“{policy}”，详情请登录昆e服查看。",
            sms_params=("policy",),
            sms_by_default=False,
            link="/m/policies/{code}",
        ),
    )
}

KINDS: tuple[str, ...] = tuple(TEMPLATES)
# Hours in Asia/Shanghai during which no SMS goes out unless the person chose otherwise.
DEFAULT_QUIET_HOURS = (22, 8)


class TemplateError(RuntimeError):
    """A template is inconsistent (found at start-up)."""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_templates(templates: dict[str, Template] = TEMPLATES) -> None:
    for kind, template in templates.items():
        used = _fields(template.sms_text)
        declared = set(template.sms_params)
        if used != declared:
            raise TemplateError(
                f"SMS template {template.sms_code} ({kind}): text uses {sorted(used)}, declares {sorted(declared)}"
            )
        if kind != template.kind:
            raise TemplateError(f"template {template.kind} filed under {kind}")


def render(text: str, values: dict[str, str]) -> str:
    missing = _fields(text) - set(values)
    if missing:
        raise TemplateError(f"missing parameter(s) {sorted(missing)} for {text!r}")
    return text.format(**values)


check_templates()

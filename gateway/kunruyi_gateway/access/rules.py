"""Who may call what: the role × endpoint table, one place, read by the gate and rendered into docs/access.md.

A rule names the area (``/api/v1/<area>/…``), the methods, and who passes: anyone (public), partners holding a
scope, staff holding one of the roles. ``admin`` passes every staff rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

READ = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL = READ | WRITE


@dataclass(frozen=True)
class Rule:
    areas: tuple[str, ...]
    methods: frozenset[str]
    roles: tuple[str, ...] = ()
    scope: str | None = None
    public: bool = False
    # Public only when the item path carries this query parameter (a ticket looked up by number + secret).
    public_with_query: str | None = None
    # Public only for these actions on an item (``<area>/{id}/<action>``): what anyone may do to one record, e.g.
    # register for an activity or check in with its signed code; the rest of the area keeps the roles above.
    public_actions: tuple[str, ...] = ()
    note: str = ""
    examples: tuple[str, ...] = field(default=())


_ALL_STAFF = ("officer", "reviewer", "approver", "finance", "broker")
# 领导 (leader): reads the cockpit, the indicators and the money reports — what the city's talent work group is
# told — and nothing that writes or shows a person's data (no registry, tickets, applications, audit, reveals).
_LEADER = ("leader",)

RULES: tuple[Rule, ...] = (
    # svc-policy
    Rule(
        (
            "policies",
            "policy-categories",
            "policy-themes",
            "departments",
            "policy-variables",
            "policy-documents",
        ),
        READ,
        _ALL_STAFF,
        "policy:read",
        public=True,
        note="政策目录公开",
    ),
    Rule(
        (
            "policies",
            "policy-categories",
            "policy-themes",
            "departments",
            "policy-variables",
            "policy-documents",
        ),
        WRITE,
        ("officer",),
        note="维护政策",
    ),
    Rule(
        ("policy-catalog",),
        ALL,
        ("officer",),
        note="政策目录表格：导出、试导入与导入为草稿（本部门；管理员全部）",
    ),
    Rule(("policy-calculator",), ALL, _ALL_STAFF, "policy:read", public=True, note="政策计算器公开"),
    Rule(("policy-simulations",), ALL, ("officer",), note="政策沙盘"),
    Rule(("entitlement-runs",), ALL, ("officer", "finance"), note="免申即享批次"),
    Rule(("jobs",), ALL, ("officer", "finance"), note="后台任务（免申即享批次、发布后重评估）"),
    Rule(("entitlements",), READ, ("officer", "reviewer", "approver", "finance"), "policy:read"),
    # svc-talent
    Rule(("enterprises", "talents"), READ, ("officer", "reviewer", "approver", "broker"), "talent:read"),
    Rule(("enterprises", "talents", "imports"), WRITE, ("officer",), "talent:write"),
    Rule(("imports",), READ, ("officer",), "talent:read"),
    Rule(
        ("tickets",),
        READ,
        ("officer",),
        "talent:read",
        public_with_query="secret",
        note="凭编号+查询码可公开查询",
    ),
    Rule(
        ("tickets", "service-desk"),
        WRITE,
        ("officer", "reviewer", "approver"),
        "talent:write",
        note="查看原文 `tickets/{编号}/reveal` 仅承办部门工作人员与管理员，须填事由并记审计；"
        "转办 `tickets/{编号}/transfer` 与邀请协办 `tickets/{编号}/parts` 仅牵头（承办）部门，"
        "`tickets/{编号}/parts/{部门}/answer` 仅该协办部门",
    ),
    Rule(
        ("service-desk",),
        READ,
        ("officer", "reviewer", "approver"),
        "talent:read",
        note="查看原文审计 `service-desk/reveals` 仅工作人员（本部门；管理员全部）",
    ),
    Rule(
        ("campaigns",),
        READ,
        ("officer", "reviewer", "approver"),
        note="专项服务活动（服务月）、走访记录与统计",
    ),
    Rule(("campaigns",), WRITE, ("officer",), note="创建服务月、登记与导入走访（问题生成工单）"),
    Rule(
        ("activities",),
        READ,
        ("officer", "reviewer", "approver"),
        public=True,
        note="活动（路演、沙龙、宣讲…）列表、详情与统计公开",
    ),
    Rule(
        ("activities",),
        WRITE,
        ("officer",),
        public_actions=("sign-ups", "self-check-ins"),
        note="发布活动、代报名、签到码与门口扫码签到、登记成果；任何人（含合作方、已登录的企业和人才）可"
        "报名 `activities/{id}/sign-ups`（未登录填姓名和手机号）与本人扫码签到 `activities/{id}/self-check-ins`"
        "（凭活动签到码）；报名名单 `activities/{id}/registrations` 仅主办部门工作人员",
    ),
    Rule(
        ("service-lists",),
        READ,
        ("officer", "reviewer", "approver"),
        note="三张清单：服务清单、需求清单、对策清单",
    ),
    Rule(("service-lists",), WRITE, ("officer",), note="维护对策清单"),
    Rule(("housing",), READ, ("officer",), "talent:read", public=True, note="人才房源公开"),
    Rule(("housing",), WRITE, ("officer",), "talent:write"),
    Rule(("messages",), ALL, (), note="站内信：本人（已登录的企业或人才，见下方“本人事项”表）"),
    Rule(("message-deliveries",), READ, (), note="短信发送记录与统计：仅管理员"),
    Rule(
        ("indicators",),
        READ,
        (*_ALL_STAFF, *_LEADER),
        note="指标体系（领导驾驶舱）：目标、实际、进度状态，按季度与区镇；领导只读",
    ),
    Rule(
        ("indicators",),
        WRITE,
        ("officer", "approver"),
        note="牵头部门报送季度值；本部门另一人审核（他部门 403 other_department，本人审核 409 same_person）",
    ),
    Rule(
        ("platforms",),
        READ,
        ("officer", "reviewer", "approver", "broker"),
        "talent:read",
        note="科创平台：列表（按类型、级别）、详情与历年考核、按年度/类型/级别的新认定数",
    ),
    Rule(
        ("platforms",),
        WRITE,
        ("officer",),
        note="登记平台认定与年度考核：仅管理该类型的部门（人社局 博士后，工信局 企业技术中心，科技局 其余；"
        "他部门 403 other_department）",
    ),
    Rule(
        ("teams",),
        READ,
        ("officer", "reviewer", "approver", "broker"),
        "talent:read",
        note="创新创业团队（双创团队）：列表（按企业、成员、团队计划）与详情（成员、角色、构成，不含姓名）",
    ),
    Rule(
        ("teams",),
        WRITE,
        ("officer",),
        note="登记团队、更换成员与带头人：仅人才办（他部门 403 other_department）",
    ),
    # svc-disbursement
    Rule(("applications",), READ, ("officer", "reviewer", "approver", "finance"), "disbursement:read"),
    Rule(
        ("applications",),
        WRITE,
        ("officer", "reviewer", "approver"),
        "disbursement:write",
        note="查看原文 `applications/{id}/reveal` 仅政策所属部门工作人员，须填事由并记审计日志",
    ),
    Rule(("disbursements",), READ, ("finance", "approver", "reviewer", "officer"), "disbursement:read"),
    Rule(("disbursements",), WRITE, ("approver",), note="免申即享拨付审批"),
    Rule(("budgets", "ledger", "bank", "reconciliation"), WRITE, ("finance",)),
    Rule(("payees",), WRITE, ("finance",), "disbursement:write", note="收款账户登记"),
    Rule(("budgets",), READ, ("finance", "approver", "reviewer", "officer")),
    Rule(("ledger", "bank", "reconciliation"), READ, ("finance", "approver")),
    Rule(
        ("reports",),
        READ,
        ("finance", "approver", "reviewer", "officer", *_LEADER),
        note="兑现统计（按政策、部门、区镇、月份、方式）；领导只读",
    ),
    Rule(("audit",), READ, ("finance", "approver", "reviewer", "officer")),
    Rule(("reports", "audit"), WRITE, ("finance",)),
    Rule(
        ("programs", "program-calls", "program-applications"),
        READ,
        ("officer", "reviewer", "approver", "finance"),
        "disbursement:read",
        note="人才计划、批次（列表含申报、入选、公示异议计数；工作人员仅见本部门）、申报与评审排名",
    ),
    Rule(("programs",), WRITE, ("officer",), note="登记人才计划、发布批次（主管部门）"),
    Rule(
        ("program-calls",),
        WRITE,
        ("officer", "reviewer", "approver"),
        "disbursement:write",
        note="申报（合作方代人才提交）、组建评审组、专家申报回避、遴选与公示（主管部门；遴选人不能是评审专家）",
    ),
    Rule(
        ("program-applications",),
        WRITE,
        ("reviewer", "officer"),
        note="评审专家打分（每人一次，回避的不能打）；入选申报签订资助协议（主管部门经办人）",
    ),
    Rule(
        ("funding-agreements",),
        READ,
        ("officer", "reviewer", "approver", "finance"),
        "disbursement:read",
        note="资助协议：分期、里程碑、拨付与绩效评估",
    ),
    Rule(
        ("funding-agreements",),
        WRITE,
        ("officer", "approver"),
        note="确认里程碑、录入绩效评估与验收（经办人；绿色通道免常规评审）；拨付一期（审批人，非里程碑确认人）",
    ),
    Rule(("program-notices",), READ, (), public=True, note="入选名单公示公开"),
    Rule(
        ("program-notices",),
        WRITE,
        ("officer",),
        public_actions=("objections",),
        note="公示期内任何人可对入选申报提出异议 `program-notices/{id}/objections`（匿名调用按地址限流）",
    ),
    Rule(
        ("program-objections",),
        READ,
        ("officer", "reviewer", "approver", "finance"),
        "disbursement:read",
        note="公示异议及处理结果",
    ),
    Rule(
        ("program-objections",),
        WRITE,
        ("officer",),
        note="处理公示异议：成立（撤销入选、名额内按排名递补）或不成立（主管部门经办人）",
    ),
    # svc-matching
    Rule(
        ("demands",),
        READ,
        ("broker", "officer"),
        "matching:read",
        public_with_query="secret",
        note="提交人凭需求编号+查询码查询进度 `demands/lookup?number=&secret=`",
    ),
    Rule(
        ("demands",),
        WRITE,
        ("broker", "officer"),
        "matching:write",
        note="查看原文 `demands/{id}/reveal` 仅审核人员与承接经纪人，须填事由并记审计",
    ),
    Rule(("supply",), READ, ("broker", "officer"), "matching:read"),
    Rule(("supply",), WRITE, ("broker", "officer"), "matching:write"),
    Rule(("taxonomy",), READ, _ALL_STAFF, "matching:read", public=True, note="产业链与技术领域目录公开"),
    Rule(("brokers",), ALL, ("broker", "officer"), "matching:read"),
    Rule(("assignments",), WRITE, ("officer",), note="经纪人派单"),
    Rule(("challenges",), READ, ("broker", "officer"), "matching:read", public=True, note="揭榜挂帅公开"),
    Rule(("challenges",), WRITE, ("broker", "officer", "reviewer"), "matching:write", note="评审专家打分"),
    Rule(
        ("financing",),
        ALL,
        ("broker", "officer"),
        "finance:write",
        note="科技金融：融资需求、金融产品、匹配与对接流程（对接→尽调→授信/投资→放款/交割）；"
        "合作金融机构只能登记本机构产品的流程（他机构 403 not_your_product）",
    ),
    # the gateway's own endpoints
    Rule(("app-keys",), ALL, (), note="仅管理员"),
    Rule(("service-codes",), ALL, ("officer",), note="昆e服码"),
    Rule(("integrations",), READ, ("officer", "reviewer"), note="一企来办企业信息查询"),
)


@dataclass(frozen=True)
class OwnRule:
    """What a signed-in company or talent (a 苏商通 or 统一身份认证 session, or its bearer token) may reach: its own
    records in one area and nothing else (anyone else's: 403 ``not_own_entity``).

    The record is its own when the path's first segment after the area is its USCC / talent id
    (``path_owner``), a list is asked for with the owner query parameter set to it (``query_owner``), or the item
    the path names (read first, as the gateway) has the owner field ``item_owner`` equal to it. Services that
    know companies and talents themselves get the caller's own principal; the others (``delegate_scope``) get a
    partner principal holding that scope for this one, already checked, request."""

    area: str
    methods: frozenset[str]
    kinds: tuple[str, ...]
    path_owner: bool = False
    query_owner: str | None = None
    item_owner: str | None = None
    # Paths (after the area) a caller of this kind may use without an owner check: the service itself restricts
    # them to the caller (e.g. svc-talent's ticket list for a talent, the message inbox).
    self_scoped: bool = False
    # Writes: the JSON body field that must name the caller (a new application, a housing application).
    body_owner: str | None = None
    delegate_scope: str | None = None
    note: str = ""


OWN_RULES: tuple[OwnRule, ...] = (
    OwnRule("enterprises", READ, ("company",), path_owner=True, note="本企业档案"),
    OwnRule("talents", READ, ("talent",), path_owner=True, note="本人画像"),
    OwnRule("disbursements", READ, ("company", "talent"), query_owner="entity_id", note="本企业/本人资金"),
    OwnRule(
        "applications",
        READ,
        ("company", "talent"),
        query_owner="applicant_id",
        item_owner="applicant_id",
        delegate_scope="disbursement:read",
        note="本企业/本人申报",
    ),
    OwnRule(
        "applications",
        WRITE,
        ("company", "talent"),
        item_owner="applicant_id",
        body_owner="applicant_id",
        delegate_scope="disbursement:write",
        note="提交申报、上传材料、补正后重新提交",
    ),
    OwnRule(
        "tickets",
        ALL,
        ("company", "talent"),
        self_scoped=True,
        note="本企业/本人诉求（svc-talent 只给本人的）",
    ),
    OwnRule(
        "demands",
        READ,
        ("company",),
        query_owner="enterprise_uscc",
        item_owner="enterprise_uscc",
        delegate_scope="matching:read",
        note="本企业技术需求",
    ),
    OwnRule("housing", READ, ("talent",), query_owner="talent_id", note="本人住房申请与配租"),
    OwnRule(
        "housing", WRITE, ("talent",), self_scoped=True, note="申请、接受/放弃配租（svc-talent 核对本人）"
    ),
    OwnRule("messages", ALL, ("company", "talent"), self_scoped=True, note="本企业/本人站内信"),
)

_OWN_INDEX: dict[tuple[str, str, str], OwnRule] = {}
for _own in OWN_RULES:
    for _kind in _own.kinds:
        for _method in _own.methods:
            _OWN_INDEX.setdefault((_own.area, _method, _kind), _own)


def own_rule_for(method: str, path: str, kind: str) -> OwnRule | None:
    return _OWN_INDEX.get((area_of(path), method, kind))


_INDEX: dict[tuple[str, str], Rule] = {}
for _rule in RULES:
    for _area in _rule.areas:
        for _method in _rule.methods:
            _INDEX.setdefault((_area, _method), _rule)


def area_of(path: str) -> str:
    return path[len("/api/v1/") :].split("/", 1)[0] if path.startswith("/api/v1/") else ""


def rule_for(method: str, path: str) -> Rule | None:
    return _INDEX.get((area_of(path), method))


def is_public(rule: Rule, path: str, query_params: dict[str, str] | None = None) -> bool:
    if rule.public:
        return True
    if rule.public_actions:
        item = path[len("/api/v1/") :].split("/")
        if len(item) == 3 and bool(item[1]) and item[2] in rule.public_actions:
            return True
    if rule.public_with_query:
        item = path[len("/api/v1/") :].split("/")
        return len(item) >= 2 and bool(item[1]) and bool((query_params or {}).get(rule.public_with_query))
    return False


def own_markdown_table() -> str:
    """What a signed-in company or talent reaches (docs/access.md)."""
    lines = ["| 路径 `/api/v1/…` | 方法 | 企业 | 人才 | 如何判定“本人” | 说明 |", "|---|---|---|---|---|---|"]
    for rule in OWN_RULES:
        methods = "读" if rule.methods == READ else "写" if rule.methods == WRITE else "全部"
        how = []
        if rule.path_owner:
            how.append("路径中的编号")
        if rule.query_owner:
            how.append(f"查询参数 `{rule.query_owner}`")
        if rule.item_owner:
            how.append(f"记录的 `{rule.item_owner}`")
        if rule.body_owner:
            how.append(f"请求体的 `{rule.body_owner}`")
        if rule.self_scoped:
            how.append("服务只返回本人的")
        lines.append(
            f"| {rule.area} | {methods} | {'✓' if 'company' in rule.kinds else '—'} | "
            f"{'✓' if 'talent' in rule.kinds else '—'} | {'；'.join(how)} | {rule.note} |"
        )
    return "\n".join(lines)


def markdown_table() -> str:
    """The role × endpoint table as Markdown (docs/access.md embeds exactly this)."""
    roles = ("officer", "reviewer", "approver", "finance", "broker", "leader", "admin")
    head = "| 路径 `/api/v1/…` | 方法 | 匿名 | 合作方 scope | " + " | ".join(roles) + " | 说明 |"
    sep = "|" + "---|" * (5 + len(roles))
    lines = [head, sep]
    for rule in RULES:
        methods = (
            "读 (GET)"
            if rule.methods == READ
            else "写 (POST/PUT/PATCH/DELETE)"
            if rule.methods == WRITE
            else "全部"
        )
        anon = (
            "✓"
            if rule.public
            else f"凭 `{rule.public_with_query}`"
            if rule.public_with_query
            else "、".join(f"`{{id}}/{a}`" for a in rule.public_actions)
            if rule.public_actions
            else "—"
        )
        cells = ["✓" if (r in rule.roles or r == "admin") else "—" for r in roles]
        lines.append(
            f"| {', '.join(rule.areas)} | {methods} | {anon} | {rule.scope or '—'} | "
            + " | ".join(cells)
            + f" | {rule.note} |"
        )
    return "\n".join(lines)

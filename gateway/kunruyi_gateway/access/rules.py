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
    note: str = ""
    examples: tuple[str, ...] = field(default=())


_ALL_STAFF = ("officer", "reviewer", "approver", "finance", "broker")

RULES: tuple[Rule, ...] = (
    # svc-policy
    Rule(
        ("policies", "policy-categories", "policy-themes", "departments", "policy-variables"),
        READ,
        _ALL_STAFF,
        "policy:read",
        public=True,
        note="政策目录公开",
    ),
    Rule(
        ("policies", "policy-categories", "policy-themes", "departments", "policy-variables"),
        WRITE,
        ("officer",),
        note="维护政策",
    ),
    Rule(("policy-calculator",), ALL, _ALL_STAFF, "policy:read", public=True, note="政策计算器公开"),
    Rule(("policy-simulations",), ALL, ("officer", "approver", "finance"), note="政策沙盘"),
    Rule(("entitlement-runs",), ALL, ("officer", "finance", "approver"), note="免申即享批次"),
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
        note="查看原文 `tickets/{编号}/reveal` 仅承办部门工作人员与管理员，须填事由并记审计",
    ),
    Rule(
        ("service-desk",),
        READ,
        ("officer", "reviewer", "approver"),
        "talent:read",
        note="查看原文审计 `service-desk/reveals` 仅工作人员（本部门；管理员全部）",
    ),
    Rule(("housing",), READ, ("officer",), "talent:read", public=True, note="人才房源公开"),
    Rule(("housing",), WRITE, ("officer",), "talent:write"),
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
    Rule(("reports", "audit"), READ, ("finance", "approver", "reviewer", "officer")),
    Rule(("reports", "audit"), WRITE, ("finance",)),
    Rule(
        ("programs", "program-calls", "program-applications"),
        READ,
        ("officer", "reviewer", "approver", "finance"),
        "disbursement:read",
        note="人才计划、批次、申报与评审排名",
    ),
    Rule(("programs",), WRITE, ("officer",), note="登记人才计划、发布批次（主管部门）"),
    Rule(
        ("program-calls",),
        WRITE,
        ("officer", "reviewer", "approver"),
        "disbursement:write",
        note="申报（合作方代人才提交）、组建评审组、专家申报回避、遴选与公示（主管部门；遴选人不能是评审专家）",
    ),
    Rule(("program-applications",), WRITE, ("reviewer",), note="评审专家打分（每人一次，回避的不能打）"),
    Rule(("program-notices",), READ, (), public=True, note="入选名单公示公开"),
    # svc-matching
    Rule(("demands",), READ, ("broker", "officer"), "matching:read"),
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
    # the gateway's own endpoints
    Rule(("app-keys",), ALL, (), note="仅管理员"),
    Rule(("service-codes",), ALL, ("officer",), note="昆e服码"),
    Rule(("integrations",), READ, ("officer", "reviewer"), note="一企来办企业信息查询"),
)

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
    if rule.public_with_query:
        item = path[len("/api/v1/") :].split("/")
        return len(item) >= 2 and bool(item[1]) and bool((query_params or {}).get(rule.public_with_query))
    return False


def markdown_table() -> str:
    """The role × endpoint table as Markdown (docs/access.md embeds exactly this)."""
    roles = ("officer", "reviewer", "approver", "finance", "broker", "admin")
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
        anon = "✓" if rule.public else (f"凭 `{rule.public_with_query}`" if rule.public_with_query else "—")
        cells = ["✓" if (r in rule.roles or r == "admin") else "—" for r in roles]
        lines.append(
            f"| {', '.join(rule.areas)} | {methods} | {anon} | {rule.scope or '—'} | "
            + " | ".join(cells)
            + f" | {rule.note} |"
        )
    return "\n".join(lines)

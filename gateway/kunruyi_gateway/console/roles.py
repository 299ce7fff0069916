"""The console's roles: their titles, the queue each opens first, and who may open which queue."""

ROLE_TITLES = {
    "officer": "窗口经办",
    "reviewer": "审核",
    "approver": "审定",
    "finance": "财务",
    "broker": "技术经纪人",
    "leader": "领导",
    "admin": "管理员",
}
# The queue each role opens first.
ROLE_QUEUES = {
    "officer": "tickets",
    "reviewer": "applications",
    "approver": "applications",
    "finance": "finance",
    "broker": "broker",
    "leader": "cockpit",
    "admin": "overview",
}
QUEUE_ROLES: dict[str, tuple[str, ...]] = {
    "tickets": ("officer",),
    "applications": ("officer", "reviewer", "approver"),
    "finance": ("finance", "approver"),
    "broker": ("broker", "officer"),
    "catalog": ("officer",),
    "overview": ("admin",),
    # partner app keys: administrators only
    "partners": ("admin",),
    # the SMS delivery log (masked phones): administrators only
    "deliveries": ("admin",),
    # 昆e服 codes: issue in bulk, print, coverage of the companies that should have one
    "codes": ("officer",),
    "activities": ("officer", "reviewer", "approver"),
    # The leaders' cockpit (指标驾驶舱): every staff role and the leaders (领导) read it.
    "cockpit": ("officer", "reviewer", "approver", "finance", "broker", "leader"),
    # Reporting a quarter's value and approving one (the lead department, checked by svc-talent): never a leader.
    "indicator_reports": ("officer", "approver"),
    # 科创平台: staff who read the registry (recording is checked by svc-talent against the kind's department).
    "platforms": ("officer", "reviewer", "approver", "broker"),
    # 免申即享 runs and the other background jobs of svc-policy, with their progress.
    "runs": ("officer", "finance"),
    # 人才计划: the department's programs, calls, rankings, 公示 and its objections (resolved by officers).
    "programs": ("officer", "approver"),
}


def may_open(queue: str, roles: list[str]) -> bool:
    return "admin" in roles or any(r in roles for r in QUEUE_ROLES[queue])


def home_queue(roles: list[str]) -> str:
    for role in ("admin", "officer", "reviewer", "approver", "finance", "broker", "leader"):
        if role in roles:
            return ROLE_QUEUES[role]
    return "overview"

"""Which service owns which public path: ``/api/v1/<area>/...`` → upstream. The one place to look."""

from __future__ import annotations

ROUTE_TABLE: dict[str, str] = {
    # svc-policy: the catalog, rules, calculator, 免申即享 runs, 政策沙盘
    "policies": "policy",
    "policy-variables": "policy",
    "policy-calculator": "policy",
    "policy-catalog": "policy",
    "policy-documents": "policy",
    "policy-simulations": "policy",
    "entitlement-runs": "policy",
    "entitlements": "policy",
    "jobs": "policy",
    "departments": "policy",
    "policy-categories": "policy",
    "policy-themes": "policy",
    # svc-talent: 一企一档, 人才画像, 一站式服务 and 诉求, talent housing
    "enterprises": "talent",
    "talents": "talent",
    "imports": "talent",
    "service-desk": "talent",
    "tickets": "talent",
    "campaigns": "talent",
    "activities": "talent",
    "indicators": "talent",
    "platforms": "talent",
    "teams": "talent",
    "service-lists": "talent",
    "housing": "talent",
    "messages": "talent",
    "message-deliveries": "talent",
    # svc-disbursement: 申报, review, ledger, payments, reconciliation, reports
    "applications": "disbursement",
    "budgets": "disbursement",
    "disbursements": "disbursement",
    "ledger": "disbursement",
    "payees": "disbursement",
    "bank": "disbursement",
    "reconciliation": "disbursement",
    "reports": "disbursement",
    "audit": "disbursement",
    # svc-disbursement: talent programs (calls, applications, expert review, selection, 公示, funding agreements)
    "programs": "disbursement",
    "program-calls": "disbursement",
    "program-applications": "disbursement",
    "program-notices": "disbursement",
    "program-objections": "disbursement",
    "funding-agreements": "disbursement",
    # svc-matching: 技术需求, supply, brokers, engagements, 揭榜挂帅
    "demands": "matching",
    "supply": "matching",
    "brokers": "matching",
    "challenges": "matching",
    "assignments": "matching",
    "taxonomy": "matching",
    # svc-matching: 科技金融 (financing demands, financial products, pipelines to 放款/交割)
    "financing": "matching",
}


def upstream_for(path: str) -> str | None:
    """``/api/v1/policies/abc`` → ``policy``; None when no service owns the path."""
    if not path.startswith("/api/v1/"):
        return None
    area = path[len("/api/v1/") :].split("/", 1)[0]
    return ROUTE_TABLE.get(area)

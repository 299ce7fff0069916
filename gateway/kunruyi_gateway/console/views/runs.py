"""免申即享 runs and svc-policy's other background jobs, with their progress."""

from __future__ import annotations

from datetime import date
from typing import Any

from kunruyi_gateway.console.exceptions import (
    InvalidDate,
)
from kunruyi_gateway.console.names import Calls
from kunruyi_gateway.console.views.common import (
    parse_time,
)

JOB_KIND = {
    "entitlement_run": "免申即享全量批次",
    "policy_evaluation": "政策发布后重新评估",
    "catalog_import": "政策目录表格导入",
}
JOB_COUNT = {
    "policies": "政策",
    "entities": "主体",
    "evaluations": "评估",
    "eligible": "符合",
    "determined": "新确定资格",
    "settled": "按叠加规则后",
    "needs_data": "缺数据",
    "vectorised_policies": "批量计算的政策",
    "row_by_row_policies": "逐条计算的政策",
    "created": "新建",
    "drafted": "新草稿版本",
    "catalog_updated": "目录信息更新",
    "unchanged": "未变",
}


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "—"
    total = int(round(float(seconds)))
    if total < 60:
        return f"{total} 秒"
    minutes, rest = divmod(total, 60)
    return f"{minutes} 分 {rest} 秒" if minutes < 60 else f"{minutes // 60} 小时 {minutes % 60} 分"


async def jobs_view(calls: Calls) -> dict[str, Any]:
    """svc-policy's latest background jobs with their progress; ``live`` while one is queued or running, so that
    the page keeps polling."""
    body = await calls.call("policy", "GET", "/api/v1/jobs", params={"limit": 20})
    rows = []
    for j in body.get("items", []):
        total, done = int(j.get("total") or 0), int(j.get("done") or 0)
        params = j.get("params") or {}
        rows.append(
            {
                "id": j["id"],
                "kind_title": JOB_KIND.get(j.get("kind") or "", j.get("kind")),
                # what it ran on, in words: the evaluation date, and the policy a publication re-evaluated
                "subject": "，".join(
                    part
                    for part in (
                        f"评估日 {params['evaluation_date']}" if params.get("evaluation_date") else "",
                        f"政策 {params['policy_code']}" if params.get("policy_code") else "",
                    )
                    if part
                ),
                "status": j.get("status"),
                "status_title": j.get("status_label") or j.get("status"),
                "done": done,
                "total": total,
                "percent": 100
                if j.get("status") == "succeeded"
                else (int(100 * done / total) if total else 0),
                "rate": f"{j['rate_per_s']:,.0f} 个/秒" if j.get("rate_per_s") else "—",
                "eta": _duration(j.get("eta_s")) if j.get("status") == "running" else "—",
                "counts": {JOB_COUNT.get(k, k): n for k, n in (j.get("counts") or {}).items()},
                "error": j.get("error"),
                "created_by": j.get("created_by") or "—",
                "created_at": parse_time(j.get("created_at")),
                "live": j.get("status") in ("queued", "running"),
                # svc-policy says whether this staff member may cancel it (the job's department, admins).
                "cancellable": j.get("status") in ("queued", "running") and j.get("may_cancel", True),
            }
        )
    return {"jobs": rows, "live": any(r["live"] for r in rows)}


async def start_entitlement_run(calls: Calls, evaluation_date: str, key: str) -> dict[str, Any]:
    """Queue a 免申即享 run for the period of ``evaluation_date`` (today when empty); the same period and catalog
    answer the run already made (svc-policy), and the form's key makes a double submit one request."""
    body: dict[str, Any] = {}
    if evaluation_date.strip():
        try:
            body["evaluation_date"] = date.fromisoformat(evaluation_date.strip()).isoformat()
        except ValueError:
            raise InvalidDate("请填写评估日期，如 2026-06-30；留空为今天", field="evaluation_date") from None
    result: dict[str, Any] = await calls.call(
        "policy", "POST", "/api/v1/entitlement-runs", json=body, idempotency_key=f"console-run:{key}"
    )
    return result


async def cancel_job(calls: Calls, job_id: str) -> None:
    await calls.call("policy", "POST", f"/api/v1/jobs/{job_id}/cancel")

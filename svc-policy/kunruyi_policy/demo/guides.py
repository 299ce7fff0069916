"""The applicant's guide for each demo item — 通俗解读, 申报材料, 受理时间, FAQ — built from the item's own
conditions, so what it says is what the rules check: every manual criterion (a person must confirm it) becomes a
material to upload; data criteria are read from the departments' data and need nothing from the applicant.

A few items carry the review settings svc-disbursement's demo relies on (KS-SB-012 has no 公示 period, so the
console's end-to-end test can go from 公示 to 审定 at once); with the guide travelling on the publication events
those settings are now svc-policy's to state.
"""

from __future__ import annotations

from typing import Any

OVERRIDES: dict[str, dict[str, Any]] = {
    "KS-SB-012": {"notice_days": 0},
    "KS-SB-032": {"notice_days": 5},
}
WHO = {"enterprise": "企业", "talent": "人才", "team": "团队"}
# What the applicant has to provide whatever the item, by beneficiary (identity comes from the sign-in).
BASE_MATERIALS = {
    "enterprise": [
        {"name": "申报表（在线填写后系统生成）", "required": True, "note": ""},
        {"name": "承诺书（法定代表人签章）", "required": True, "note": "对所报材料真实性负责"},
    ],
    "talent": [
        {"name": "申报表（在线填写后系统生成）", "required": True, "note": ""},
        {"name": "劳动合同或任职证明", "required": True, "note": "与在昆用人单位签订"},
    ],
    "team": [
        {"name": "团队申报书", "required": True, "note": "含成员分工与项目计划"},
        {"name": "团队成员名单及任职证明", "required": True, "note": ""},
    ],
}


def _amount_words(item: dict[str, Any]) -> str:
    cap = item.get("amount_cap_fen")
    amount = item.get("amount")
    if isinstance(amount, int) and amount > 0:
        return (
            f"可得 {amount / 1_000_000:g} 万元" if amount % 1_000_000 == 0 else f"可得 {amount / 100:,.0f} 元"
        )
    if cap:
        return f"按规则计算，最高 {cap / 1_000_000:g} 万元"
    return "按规则计算"


def guide_for(item: dict[str, Any]) -> dict[str, Any]:
    mode = item.get("mode", "application")
    who = WHO.get(item.get("beneficiary", "enterprise"), "申请人")
    criteria = item.get("criteria") or []
    conditions = "；".join(c.get("label", "") for c in criteria if c.get("label")) or "见政策原文"
    days = item.get("payout_days") or 20
    kind = item.get("benefit_kind", "cash")
    benefit = (
        _amount_words(item)
        if kind == "cash"
        else {"tax": "享受税收减免", "land": "获得用地支持"}.get(kind, "享受相应服务或资格")
    )
    if mode == "automatic":
        summary = (
            f"符合条件的{who}无需申报：系统按有关部门的数据自动比对，{benefit}，"
            f"核定后 {days} 个工作日内直接兑现。条件：{conditions}。"
        )
        materials: list[dict[str, Any]] = []
        window = "无需申报，系统自动兑现"
        faq = [
            {
                "question": "需要申报吗？",
                "answer": "不需要。系统按部门共享的数据自动比对，符合即兑现（免申即享）。",
            },
            {
                "question": "数据不对怎么办？",
                "answer": "在昆e服“我的诉求”中提交更正，相关部门核实后系统重新比对，不会重复兑现。",
            },
        ]
    else:
        summary = (
            f"符合条件的{who}在线申报，{benefit}；经审核、公示后 {days} 个工作日内兑现。条件：{conditions}。"
        )
        manual = [
            {"name": f"证明材料：{c['label']}", "required": True, "note": "由审核人员人工确认"}
            for c in criteria
            if c.get("kind") == "manual" and c.get("label")
        ]
        materials = [*BASE_MATERIALS.get(item.get("beneficiary", "enterprise"), []), *manual]
        window = "即申即享，随时申请" if mode == "quick" else "常年受理"
        faq = [
            {
                "question": "哪些条件系统已经核对？",
                "answer": "工商、税务、社保等部门已共享的数据由系统自动核对，只需上传“证明材料”所列的文件。",
            },
            {"question": "多久能到账？", "answer": f"审定后 {days} 个工作日内拨付到登记的账户。"},
        ]
    return {
        "plain_summary": summary,
        "materials": materials,
        "application_window": window,
        "faq": faq,
        **OVERRIDES.get(item.get("code", ""), {}),
    }


def with_guide(item: dict[str, Any]) -> dict[str, Any]:
    """The item with its guide (fields the item states itself win)."""
    return {**guide_for(item), **item}

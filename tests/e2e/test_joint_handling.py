"""Transfer and joint handling through the gateway (一个窗口接单，后台共同处理): a partner files a request; 人才办
transfers a misrouted one to 教育局; on another, 人才办 (the lead) invites 住建局 to handle its part, 住建局 answers
only its own part, and 人才办 replies once every part is answered. Every call goes over real HTTP through the
gateway's access rules with department tokens."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.timeout(600)

LEAD, CO, OTHER = "人才办", "住建局", "人社局"


def _file(driver: Any, title: str) -> str:
    resp = driver.partner.post(
        "/api/v1/tickets",
        json={
            "type": "其他诉求",
            "title": title,
            "channel": "api",
            "requester_name": "端到端企业",
            "requester_phone": driver.new_phone(),
        },
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["ticket_number"])


def test_transfer_and_joint_handling_through_the_gateway(driver: Any) -> None:
    misrouted = _file(driver, "子女转学咨询")
    moved = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{misrouted}/transfer",
        LEAD,
        json={"department": "教育局", "reason": "子女入学属教育局"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["department"] == "教育局" and moved.json()["status"] == "submitted"
    assert driver.as_staff("officer", "GET", f"/api/v1/tickets/{misrouted}", LEAD).status_code == 403
    assert driver.as_staff("officer", "GET", f"/api/v1/tickets/{misrouted}", "教育局").status_code == 200

    joint = _file(driver, "人才安家：公寓与落户")
    for to in ("accepted", "in_progress"):
        step = driver.as_staff(
            "officer", "POST", f"/api/v1/tickets/{joint}/transitions", LEAD, json={"to": to}
        )
        assert step.status_code == 200, step.text
    not_owner = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{joint}/parts",
        CO,
        json={"department": OTHER, "task": "越权邀请"},
    )
    assert not_owner.status_code == 403, not_owner.text
    invited = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{joint}/parts",
        LEAD,
        json={"department": CO, "task": "人才公寓配租"},
    )
    assert invited.status_code == 201, invited.text
    early = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{joint}/transitions",
        LEAD,
        json={"to": "replied", "reply": "已办理"},
    )
    assert early.status_code == 409 and early.json()["code"] == "parts_unanswered"
    outsider = driver.as_staff(
        "officer", "POST", f"/api/v1/tickets/{joint}/parts/{CO}/answer", OTHER, json={"answer": "代答"}
    )
    assert outsider.status_code == 403, outsider.text
    answered = driver.as_staff(
        "officer", "POST", f"/api/v1/tickets/{joint}/parts/{CO}/answer", CO, json={"answer": "下月可签约入住"}
    )
    assert answered.status_code == 200, answered.text
    replied = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{joint}/transitions",
        LEAD,
        json={"to": "replied", "reply": "人才公寓下月可签约入住"},
    )
    assert replied.status_code == 200, replied.text
    body = replied.json()
    assert body["status"] == "replied" and body["joint"] is True
    assert [(p["department"], p["answer"]) for p in body["parts"]] == [(CO, "下月可签约入住")]

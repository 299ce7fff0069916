"""The 消息 page's own checks: a message opens only a page of this site, and quiet hours are whole hours 0–23."""

from __future__ import annotations

import pytest
from kunruyi_gateway.self_service.messages import _hour, _local_link


@pytest.mark.parametrize("link", ["/m/funds", "/m/applications/abc?x=1"])
def test_a_message_opens_a_page_of_this_site(link: str) -> None:
    assert _local_link(link) == link


@pytest.mark.parametrize(
    "link",
    ["https://evil.example/m/funds", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", None, 3],
)
def test_a_message_never_opens_another_site(link: object) -> None:
    assert _local_link(link) is None


@pytest.mark.parametrize(("text", "hour"), [("0", 0), (" 8 ", 8), ("22", 22), ("23", 23)])
def test_quiet_hours_take_whole_hours(text: str, hour: int) -> None:
    assert _hour(text) == hour


@pytest.mark.parametrize("text", ["24", "25", "-1", "8.5", "晚上", "", "123"])
def test_quiet_hours_refuse_what_is_no_hour(text: str) -> None:
    assert _hour(text) is None

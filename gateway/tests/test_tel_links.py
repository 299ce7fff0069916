"""Phone numbers on the pages are tap-to-call links; everything else stays escaped text."""

from kunruyi_gateway.web.templating import tel_links


def test_landlines_and_mobiles_become_tel_links_and_the_rest_is_escaped() -> None:
    html = str(tel_links("服务中心 · 电话 0512-5751 0000 · 经纪人 139 1234 5678 <b>前进西路 1801 号</b>"))
    assert '<a class="tel" href="tel:051257510000">0512-5751 0000</a>' in html
    assert '<a class="tel" href="tel:13912345678">139 1234 5678</a>' in html
    assert "&lt;b&gt;前进西路 1801 号&lt;/b&gt;" in html


def test_numbers_that_are_not_phones_stay_text() -> None:
    html = str(tel_links("统一社会信用代码 91320583MA1KR8Y29Y，金额 1380000123456 分，编号 KS20261205000001"))
    assert "tel:" not in html

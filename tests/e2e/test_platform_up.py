import httpx
from kunruyi_launcher.stack import Platform


def test_the_gateway_reports_every_service_ready(platform: Platform) -> None:
    ready = httpx.get(f"{platform.gateway_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert {k for k in checks if k.startswith("upstream:")} == {
        "upstream:policy",
        "upstream:talent",
        "upstream:disbursement",
        "upstream:matching",
    }
    assert set(checks.values()) == {"ok"}
    assert {e.spec.name for e in platform.emulators} <= {
        "bank",
        "yiqilaiban",
        "sms",
        "identity",
        "staff-identity",
    }

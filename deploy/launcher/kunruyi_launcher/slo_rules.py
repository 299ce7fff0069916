"""The service level objectives as Prometheus rules: each objective's error ratio over the burn-rate windows
(recording rules) and multi-window, multi-burn-rate alerts (the SRE workbook's: a fast burn pages, a slow burn
opens a ticket), plus a promtool test per alert that fires on a burning series and stays quiet on a healthy one.

``python -m kunruyi_launcher.slo_rules`` rewrites ``deploy/observability/rules/slo.yml`` and
``deploy/observability/tests/slo_test.yml``; a test fails when they drift. docs/slo.md explains the objectives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
RULES_PATH = ROOT / "deploy" / "observability" / "rules" / "slo.yml"
TESTS_PATH = ROOT / "deploy" / "observability" / "tests" / "slo_test.yml"

# (long window, short window, burn rate): the alert fires when both windows burn faster than the rate.
FAST = (("1h", "5m", 14.4), ("6h", "30m", 6.0))  # 2% / 5% of a 30-day budget in 1 h / 6 h: page
SLOW = (("1d", "2h", 3.0), ("3d", "6h", 1.0))  # 10% of the budget in a day, or all of it at this pace: ticket


@dataclass(frozen=True)
class Objective:
    slo: str
    title: str
    target: float
    # PromQL for the rate of bad and of all events over a window, written ``{w}`` (replaced, not str.format).
    bad: str
    total: str
    # Enough events for 5-minute windows (fast burn alerts); rare events get the slow ones only.
    fast: bool
    # Synthetic input for the promtool tests: series name → (value added per minute when healthy, when burning).
    test_series: tuple[tuple[str, float, float], ...]

    @property
    def budget(self) -> float:
        return round(1 - self.target, 6)

    @property
    def windows(self) -> list[str]:
        pairs = (*FAST, *SLOW) if self.fast else SLOW
        return sorted({w for long, short, _ in pairs for w in (long, short)}, key=_seconds)


def _seconds(window: str) -> int:
    return int(window[:-1]) * {"m": 60, "h": 3600, "d": 86400}[window[-1]]


def _latency(series: str, selector: str, le: str) -> tuple[str, str]:
    inner = f"{{{selector}}}" if selector else ""
    bucket = f'{{{selector + ", " if selector else ""}le="{le}"}}'
    total = f"sum(rate({series}_count{inner}[{{w}}]))"
    return f"({total} - sum(rate({series}_bucket{bucket}[{{w}}])))", total  # "{w}": the window, filled later


_PAGE = 'service="gateway", route="/q/{token}", method="GET"'

OBJECTIVES: tuple[Objective, ...] = (
    Objective(
        slo="partner-availability",
        title="合作方调用成功：99.5% 的已验签调用不返回 5xx（30 天）",
        target=0.995,
        bad='sum(rate(kunruyi_gateway_partner_requests_total{status=~"5.."}[{w}]))',
        total="sum(rate(kunruyi_gateway_partner_requests_total[{w}]))",
        fast=True,
        test_series=(
            ('kunruyi_gateway_partner_requests_total{app_key="p1", status="200"}', 1000, 900),
            ('kunruyi_gateway_partner_requests_total{app_key="p1", status="500"}', 1, 100),
        ),
    ),
    Objective(
        slo="partner-latency",
        title="合作方调用时延：99% 的已验签调用在 1 秒内答复（30 天）",
        target=0.99,
        bad=_latency("kunruyi_gateway_partner_request_duration_seconds", "", "1.0")[0],
        total=_latency("kunruyi_gateway_partner_request_duration_seconds", "", "1.0")[1],
        fast=True,
        test_series=(
            ("kunruyi_gateway_partner_request_duration_seconds_count", 1000, 1000),
            ('kunruyi_gateway_partner_request_duration_seconds_bucket{le="1.0"}', 999, 700),
        ),
    ),
    Objective(
        slo="page-latency",
        title="昆e服页面时延：99% 的页面在 0.5 秒内返回（30 天）",
        target=0.99,
        bad=_latency("kunruyi_http_request_duration_seconds", _PAGE, "0.5")[0],
        total=_latency("kunruyi_http_request_duration_seconds", _PAGE, "0.5")[1],
        fast=True,
        test_series=(
            (f"kunruyi_http_request_duration_seconds_count{{{_PAGE}}}", 600, 600),
            (f'kunruyi_http_request_duration_seconds_bucket{{{_PAGE}, le="0.5"}}', 600, 400),
        ),
    ),
    Objective(
        slo="entitlement-to-settlement",
        title="免申即享到账：99% 的兑现在认定后 1 天内到账（30 天）",
        target=0.99,
        bad=_latency("kunruyi_disbursement_entitlement_to_settlement_seconds", "", "86400.0")[0],
        total=_latency("kunruyi_disbursement_entitlement_to_settlement_seconds", "", "86400.0")[1],
        fast=False,
        test_series=(
            ("kunruyi_disbursement_entitlement_to_settlement_seconds_count", 10, 10),
            ('kunruyi_disbursement_entitlement_to_settlement_seconds_bucket{le="86400.0"}', 10, 8),
        ),
    ),
    Objective(
        slo="ticket-first-reply",
        title="工单首次答复：95% 的工单在办理时限内首次答复（30 天）",
        target=0.95,
        bad='sum(rate(kunruyi_talent_ticket_first_replies_total{in_time="false"}[{w}]))',
        total="sum(rate(kunruyi_talent_ticket_first_replies_total[{w}]))",
        fast=False,
        test_series=(
            ('kunruyi_talent_ticket_first_replies_total{in_time="true"}', 2, 1),
            ('kunruyi_talent_ticket_first_replies_total{in_time="false"}', 0, 1),
        ),
    ),
)


def record_name(window: str) -> str:
    return f"slo:kunruyi_error_ratio:rate{window}"


def _burn_expr(o: Objective, pairs: tuple[tuple[str, str, float], ...]) -> str:
    sel = f'{{slo="{o.slo}"}}'
    parts = [
        f"({record_name(long)}{sel} > {rate} * {o.budget} and {record_name(short)}{sel} > {rate} * {o.budget})"
        for long, short, rate in pairs
    ]
    return " or ".join(parts)


def _alert(o: Objective, fast: bool) -> dict[str, Any]:
    pairs = FAST if fast else SLOW
    return {
        "alert": "KunruyiErrorBudgetBurnFast" if fast else "KunruyiErrorBudgetBurnSlow",
        "expr": _burn_expr(o, pairs),
        "for": "2m" if fast else "15m",
        "labels": {"severity": "page" if fast else "ticket", "slo": o.slo},
        "annotations": {
            "summary": f"{o.title}: error budget burning {'fast' if fast else 'slowly'}",
            "description": (
                f"Objective {o.slo} (target {o.target:.3%}) burns its 30-day budget "
                + (
                    "14.4x over 1h and 5m, or 6x over 6h and 30m"
                    if fast
                    else "3x over 1d and 2h, or 1x over 3d and 6h"
                )
                + ". See docs/slo.md."
            ),
        },
    }


def rules() -> dict[str, Any]:
    recording: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    for o in OBJECTIVES:
        for w in o.windows:
            recording.append(
                {
                    "record": record_name(w),
                    "expr": "(" + o.bad.replace("{w}", w) + ") / (" + o.total.replace("{w}", w) + ")",
                    "labels": {"slo": o.slo},
                }
            )
        if o.fast:
            alerts.append(_alert(o, fast=True))
        alerts.append(_alert(o, fast=False))
    return {
        "groups": [
            {"name": "kunruyi-slo-ratios", "rules": recording},
            {"name": "kunruyi-slo-alerts", "rules": alerts},
        ]
    }


def _expected(o: Objective, fast: bool) -> dict[str, Any]:
    alert = _alert(o, fast)
    return {"exp_labels": alert["labels"], "exp_annotations": alert["annotations"]}


def tests() -> dict[str, Any]:
    cases: list[dict[str, Any]] = []
    for o in OBJECTIVES:
        for fast in (True, False) if o.fast else (False,):
            # A series that starts burning fills every window with the same ratio (rate() over the samples there
            # are), so the alert fires once its for: has passed; the healthy series never does.
            minutes = 20 if fast else 40
            name = "KunruyiErrorBudgetBurnFast" if fast else "KunruyiErrorBudgetBurnSlow"
            healthy = [{"series": s, "values": f"0+{good:g}x{minutes}"} for s, good, _ in o.test_series]
            burning = [{"series": s, "values": f"0+{bad:g}x{minutes}"} for s, _, bad in o.test_series]
            at = f"{minutes}m"
            cases.append(
                {
                    "name": f"{o.slo}: {name} fires when the budget burns",
                    "interval": "1m",
                    "input_series": burning,
                    "alert_rule_test": [
                        {"eval_time": at, "alertname": name, "exp_alerts": [_expected(o, fast)]},
                    ],
                }
            )
            cases.append(
                {
                    "name": f"{o.slo}: {name} stays quiet within the objective",
                    "interval": "1m",
                    "input_series": healthy,
                    "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": []}],
                }
            )
    return {"rule_files": ["../rules/slo.yml"], "evaluation_interval": "1m", "tests": cases}


HEADER = "# Generated by `python -m kunruyi_launcher.slo_rules` (objectives in kunruyi_launcher/slo_rules.py,\n# explained in docs/slo.md); a test fails when this file drifts. Do not edit by hand.\n"


def render(data: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def main() -> None:
    RULES_PATH.write_text(render(rules()), encoding="utf-8")
    TESTS_PATH.write_text(render(tests()), encoding="utf-8")
    print(f"wrote {RULES_PATH} and {TESTS_PATH}")


if __name__ == "__main__":
    main()

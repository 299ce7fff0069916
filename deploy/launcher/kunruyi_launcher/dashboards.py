"""The Grafana dashboards, written as code: service overview, money path, events, partners, 昆e服.

``python -m kunruyi_launcher.dashboards`` rewrites ``deploy/observability/grafana/dashboards/*.json`` (provisioned by
the compose profile ``observability``); a test fails when they drift, and another when a query uses a metric not in
docs/metrics.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS_DIR = ROOT / "deploy" / "observability" / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "kunruyi-prometheus"}


@dataclass
class Panel:
    title: str
    queries: list[tuple[str, str]]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"
    width: int = 12
    height: int = 8
    description: str = ""


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    panels: list[Panel] = field(default_factory=list)


def _panel(panel: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.kind == "stat":
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}],
        }
    return {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}}
        if panel.kind == "timeseries"
        else {},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(panel.queries)
        ],
    }


def render(dashboard: Dashboard) -> dict[str, Any]:
    panels = []
    x = y = row_height = 0
    for pid, panel in enumerate(dashboard.panels, start=1):
        if x + panel.width > 24:
            x, y, row_height = 0, y + row_height, 0
        panels.append(_panel(panel, pid, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["kunruyi"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "links": [{"title": "Kunruyi", "type": "dashboards", "tags": ["kunruyi"], "asDropdown": True}],
        "panels": panels,
    }


def _rate(metric: str, by: str, selector: str = "", window: str = "5m") -> str:
    return f"sum by ({by}) (rate({metric}{selector}[{window}]))"


def _p(q: float, metric: str, by: str, selector: str = "", window: str = "5m") -> str:
    return f"histogram_quantile({q}, sum by ({by}le) (rate({metric}_bucket{selector}[{window}])))"


PAGE = '{service="gateway", route="/q/{token}", method="GET"}'

DASHBOARDS = [
    Dashboard(
        "kunruyi-overview",
        "Kunruyi · 服务总览 Service overview",
        "Every app: up, traffic, 5xx, latency by route; firing alerts; periodic checks.",
        [
            Panel("Apps up", [('up{job="kunruyi"}', "{{app}}")], kind="stat", width=8, height=5),
            Panel(
                "Firing alerts",
                [
                    (
                        'count by (alertname, severity) (ALERTS{alertstate="firing"})',
                        "{{alertname}} ({{severity}})",
                    )
                ],
                width=16,
                height=5,
            ),
            Panel(
                "Requests/s by app",
                [(_rate("kunruyi_http_requests_total", "service"), "{{service}}")],
                "reqps",
            ),
            Panel(
                "5xx ratio by app",
                [
                    (
                        _rate("kunruyi_http_requests_total", "service", '{status=~"5.."}')
                        + " / "
                        + _rate("kunruyi_http_requests_total", "service"),
                        "{{service}}",
                    )
                ],
                "percentunit",
            ),
            Panel(
                "p95 latency by app",
                [(_p(0.95, "kunruyi_http_request_duration_seconds", "service, "), "{{service}}")],
                "s",
            ),
            Panel(
                "Routes: p95 over 5 minutes (top 10)",
                [
                    (
                        "topk(10, service_route:kunruyi_http_request_duration_seconds:p95_5m)",
                        "{{service}} {{route}}",
                    )
                ],
                "s",
            ),
            Panel(
                "Routes: 5xx ratio (top 10)",
                [("topk(10, service_route:kunruyi_http_error_ratio:rate5m > 0)", "{{service}} {{route}}")],
                "percentunit",
            ),
            Panel(
                "Periodic checks: seconds since last success",
                [
                    (
                        "time() - max by (service, check) (kunruyi_periodic_check_last_success_timestamp_seconds)",
                        "{{service}} {{check}}",
                    )
                ],
                "s",
            ),
        ],
    ),
    Dashboard(
        "kunruyi-money",
        "Kunruyi · 资金链路 Money path",
        "Ledger invariants, audit chain, payments in flight, budget waits, reconciliation, time to settlement.",
        [
            Panel(
                "Ledger invariants (1 = holds)",
                [("min by (check) (kunruyi_disbursement_ledger_invariant_ok)", "{{check}}")],
                kind="stat",
                width=16,
                height=5,
            ),
            Panel(
                "Audit chain (1 = verifies)",
                [("min(kunruyi_disbursement_audit_chain_ok)", "audit chain")],
                kind="stat",
                width=8,
                height=5,
            ),
            Panel(
                "Payments in flight",
                [
                    ("max(kunruyi_disbursement_payments_in_flight)", "in flight"),
                    ("max(kunruyi_disbursement_awaiting_budget)", "awaiting budget"),
                ],
            ),
            Panel(
                "Oldest in flight / awaiting budget",
                [
                    ("max(kunruyi_disbursement_payment_in_flight_oldest_age_seconds)", "oldest in flight"),
                    (
                        "max(kunruyi_disbursement_awaiting_budget_oldest_age_seconds)",
                        "oldest awaiting budget",
                    ),
                ],
                "s",
            ),
            Panel(
                "Latest reconciliation: mismatches",
                [("max by (kind) (kunruyi_disbursement_reconciliation_mismatches)", "{{kind}}")],
            ),
            Panel(
                "Entitlement to settlement (p50, p95)",
                [
                    (
                        _p(0.5, "kunruyi_disbursement_entitlement_to_settlement_seconds", "", "").replace(
                            "[5m]", "[1h]"
                        ),
                        "p50",
                    ),
                    (
                        _p(0.95, "kunruyi_disbursement_entitlement_to_settlement_seconds", "", "").replace(
                            "[5m]", "[1h]"
                        ),
                        "p95",
                    ),
                ],
                "s",
            ),
            Panel(
                "Objective entitlement-to-settlement: error ratio (budget 1%)",
                [
                    ('slo:kunruyi_error_ratio:rate6h{slo="entitlement-to-settlement"}', "6h"),
                    ('slo:kunruyi_error_ratio:rate1d{slo="entitlement-to-settlement"}', "1d"),
                    ('slo:kunruyi_error_ratio:rate3d{slo="entitlement-to-settlement"}', "3d"),
                ],
                "percentunit",
            ),
            Panel(
                "svc-disbursement requests/s by route",
                [(_rate("kunruyi_http_requests_total", "route", '{service="disbursement"}'), "{{route}}")],
                "reqps",
            ),
        ],
    ),
    Dashboard(
        "kunruyi-events",
        "Kunruyi · 事件 Events",
        "Outbox relay, consumers, lag and dead letters per app.",
        [
            Panel(
                "Outbox published/s and failures/s",
                [
                    (_rate("kunruyi_outbox_published_total", "service"), "published {{service}}"),
                    (_rate("kunruyi_outbox_publish_failures_total", "service"), "failed {{service}}"),
                ],
                "ops",
            ),
            Panel(
                "Outbox backlog",
                [
                    ("max by (service) (kunruyi_outbox_unpublished)", "waiting {{service}}"),
                    (
                        "max by (service) (kunruyi_outbox_oldest_unpublished_age_seconds)",
                        "oldest (s) {{service}}",
                    ),
                ],
            ),
            Panel(
                "Events consumed/s by consumer and outcome",
                [(_rate("kunruyi_events_consumed_total", "consumer, outcome"), "{{consumer}} {{outcome}}")],
                "ops",
            ),
            Panel(
                "Consumer lag (pending / unacknowledged)",
                [
                    ("max by (consumer) (kunruyi_consumer_pending_messages)", "pending {{consumer}}"),
                    ("max by (consumer) (kunruyi_consumer_ack_pending_messages)", "unacked {{consumer}}"),
                ],
            ),
            Panel(
                "Dead letters waiting in KUNRUYI_DLQ",
                [("max by (consumer) (kunruyi_dead_letters_waiting)", "{{consumer}}")],
            ),
            Panel(
                "Dead-lettered (last hour)",
                [("sum by (consumer) (increase(kunruyi_events_dead_lettered_total[1h]))", "{{consumer}}")],
            ),
        ],
    ),
    Dashboard(
        "kunruyi-partners",
        "Kunruyi · 合作方 Partners",
        "Signed partner calls per app key: traffic, status, 429s, latency, objectives; nonce store; 一企来办.",
        [
            Panel(
                "Partner calls/s by app key and status",
                [
                    (
                        _rate("kunruyi_gateway_partner_requests_total", "app_key, status"),
                        "{{app_key}} {{status}}",
                    )
                ],
                "reqps",
            ),
            Panel(
                "429s/s by app key",
                [
                    (
                        _rate("kunruyi_gateway_partner_requests_total", "app_key", '{status="429"}'),
                        "{{app_key}}",
                    )
                ],
                "reqps",
            ),
            Panel(
                "Partner call latency (p50, p95, p99)",
                [
                    (_p(0.5, "kunruyi_gateway_partner_request_duration_seconds", ""), "p50"),
                    (_p(0.95, "kunruyi_gateway_partner_request_duration_seconds", ""), "p95"),
                    (_p(0.99, "kunruyi_gateway_partner_request_duration_seconds", ""), "p99"),
                ],
                "s",
            ),
            Panel(
                "Objectives: error ratio over 1h (availability budget 0.5%, latency 1%)",
                [
                    ('slo:kunruyi_error_ratio:rate1h{slo="partner-availability"}', "availability"),
                    ('slo:kunruyi_error_ratio:rate1h{slo="partner-latency"}', "latency"),
                ],
                "percentunit",
            ),
            Panel(
                "Nonce store errors (5 min)",
                [
                    (
                        "sum by (operation) (increase(kunruyi_gateway_nonce_store_errors_total[5m]))",
                        "{{operation}}",
                    )
                ],
            ),
            Panel(
                "一企来办 deliveries/s",
                [(_rate("kunruyi_gateway_portal_deliveries_total", "kind, outcome"), "{{kind}} {{outcome}}")],
                "ops",
            ),
        ],
    ),
    Dashboard(
        "kunruyi-qr-page",
        "Kunruyi · 昆e服",
        "The 昆e服 pages (/q/{token}): scans, latency against the 0.5 s objective, errors; the tickets they file.",
        [
            Panel(
                "Scans/s by kind", [(_rate("kunruyi_service_code_scans_total", "kind"), "{{kind}}")], "ops"
            ),
            Panel(
                "Page latency (p50, p95, p99)",
                [
                    (_p(0.5, "kunruyi_http_request_duration_seconds", "", PAGE), "p50"),
                    (_p(0.95, "kunruyi_http_request_duration_seconds", "", PAGE), "p95"),
                    (_p(0.99, "kunruyi_http_request_duration_seconds", "", PAGE), "p99"),
                ],
                "s",
            ),
            Panel(
                "Page routes: requests/s by status",
                [
                    (
                        _rate(
                            "kunruyi_http_requests_total",
                            "route, status",
                            '{service="gateway", route=~"/q/.*"}',
                        ),
                        "{{route}} {{status}}",
                    )
                ],
                "reqps",
            ),
            Panel(
                "Objective page-latency: error ratio (budget 1%)",
                [
                    ('slo:kunruyi_error_ratio:rate5m{slo="page-latency"}', "5m"),
                    ('slo:kunruyi_error_ratio:rate1h{slo="page-latency"}', "1h"),
                    ('slo:kunruyi_error_ratio:rate6h{slo="page-latency"}', "6h"),
                ],
                "percentunit",
            ),
            Panel(
                "Tickets awaiting a reply / overdue",
                [
                    ("max(kunruyi_talent_tickets_awaiting_reply)", "awaiting reply"),
                    ("max(kunruyi_talent_tickets_overdue)", "overdue"),
                ],
            ),
            Panel(
                "First replies in time (1 day)",
                [
                    (
                        'sum(increase(kunruyi_talent_ticket_first_replies_total{in_time="true"}[1d]))'
                        " / sum(increase(kunruyi_talent_ticket_first_replies_total[1d]))",
                        "in time",
                    )
                ],
                "percentunit",
            ),
        ],
    ),
]


def main() -> None:
    DASHBOARDS_DIR.mkdir(parents=True, exist_ok=True)
    for dashboard in DASHBOARDS:
        path = DASHBOARDS_DIR / f"{dashboard.uid}.json"
        path.write_text(json.dumps(render(dashboard), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Observability as code (deploy/observability/): the rules pass promtool's checks and unit tests (one per alert:
it fires on a synthetic series and stays quiet on a healthy one), the generated files (docs/metrics.md, the SLO
rules, the dashboards) match the code, and every query uses a metric the apps export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kunruyi_launcher import dashboards, metrics_doc, slo_rules
from kunruyi_launcher.observability import LocalPrometheus, local_config

ROOT = Path(__file__).resolve().parents[1]
OBS = ROOT / "deploy" / "observability"
RULE_FILES = sorted((OBS / "rules").glob("*.yml"))
TEST_FILES = sorted((OBS / "tests").glob("*.yml"))
DASHBOARD_FILES = sorted((OBS / "grafana" / "dashboards").glob("*.json"))
# Series Prometheus makes itself.
BUILTIN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}
KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool not found: `make promtool` installs Debian's prometheus package (make test does)"
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=OBS, timeout=300)


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads (label matchers, grouping labels, ranges and functions left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name in KEYWORDS or name.lower() in {"inf", "nan"}:
            continue
        names.add(name)
    return names


def documented_series() -> set[str]:
    return {series for m in metrics_doc.load_metrics() for series in m.series}


def recorded() -> set[str]:
    return {
        rule["record"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def rules_of(kind: str) -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
        if kind in rule
    ]


def test_metric_names_are_read_from_promql() -> None:
    expr = (
        'sum by (service) (rate(kunruyi_http_requests_total{status=~"5.."}[5m])) / on (service) '
        "service_route:kunruyi_http_requests:rate5m > 0.05 and time() - max(up) > 1"
    )
    assert metric_names(expr) == {
        "kunruyi_http_requests_total",
        "service_route:kunruyi_http_requests:rate5m",
        "up",
    }


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", *[str(p) for p in RULE_FILES])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_and_stays_quiet_in_promtool_unit_tests() -> None:
    result = promtool("test", "rules", *[str(p) for p in TEST_FILES])
    assert result.returncode == 0, result.stdout + result.stderr
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    alerts = {rule["alert"] for rule in rules_of("alert")}
    assert alerts - fired == set(), "alerts without a test that makes them fire"
    assert alerts - quiet == set(), "alerts without a test where they stay quiet"


def test_prometheus_configs_pass_promtool_check(tmp_path: Path) -> None:
    # The compose one (its rules are mounted at /etc/prometheus/rules) and the one make run writes.
    result = promtool("check", "config", "--syntax-only", str(OBS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    local = LocalPrometheus(tmp_path, 9090)
    local.write_config({"gateway": "127.0.0.1:9000", "policy": "127.0.0.1:9001"})
    result = promtool("check", "config", str(local.config_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 3 rule files found" in result.stdout + result.stderr
    jobs = {j["job_name"]: j for j in local_config({"gateway": "127.0.0.1:9000"})["scrape_configs"]}
    assert jobs["kunruyi"]["static_configs"] == [
        {"targets": ["127.0.0.1:9000"], "labels": {"app": "gateway"}}
    ]


def test_alertmanager_routes_to_declared_receivers() -> None:
    config = yaml.safe_load((OBS / "alertmanager.yml").read_text(encoding="utf-8"))
    receivers = {r["name"] for r in config["receivers"]}
    routes = [config["route"], *config["route"].get("routes", [])]
    assert {r["receiver"] for r in routes} <= receivers
    severities = {rule["labels"]["severity"] for rule in rules_of("alert")}
    assert severities == {"page", "ticket"}, "every alert is a page or a ticket"


def test_docs_metrics_is_generated_from_the_registry() -> None:
    # A fresh interpreter: the owner of a metric is the app whose import registers it.
    result = subprocess.run(
        [sys.executable, "-m", "kunruyi_launcher.metrics_doc", "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_slo_rules_and_their_tests_are_generated() -> None:
    assert slo_rules.RULES_PATH.read_text(encoding="utf-8") == slo_rules.render(slo_rules.rules()), (
        "rules/slo.yml is stale: run `python -m kunruyi_launcher.slo_rules`"
    )
    assert slo_rules.TESTS_PATH.read_text(encoding="utf-8") == slo_rules.render(slo_rules.tests())


def test_dashboards_are_generated_and_parse() -> None:
    assert {p.stem for p in DASHBOARD_FILES} == {d.uid for d in dashboards.DASHBOARDS}
    for dashboard in dashboards.DASHBOARDS:
        path = dashboards.DASHBOARDS_DIR / f"{dashboard.uid}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data == dashboards.render(dashboard), (
            f"{path.name} is stale: run `python -m kunruyi_launcher.dashboards`"
        )
        assert data["panels"] and all(p["targets"] for p in data["panels"])


@pytest.mark.parametrize("source", ["dashboards", "rules"])
def test_every_query_reads_documented_metrics(source: str) -> None:
    if source == "dashboards":
        exprs = [
            (path.name, target["expr"])
            for path in DASHBOARD_FILES
            for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]
            for target in panel["targets"]
        ]
    else:
        exprs = [(rule.get("alert") or rule["record"], rule["expr"]) for rule in rules_of("expr")]
    known = documented_series() | recorded() | BUILTIN
    unknown = {f"{where}: {name}" for where, expr in exprs for name in metric_names(expr) - known}
    assert not unknown, "metrics not in docs/metrics.md (nor recorded by a rule):\n" + "\n".join(
        sorted(unknown)
    )

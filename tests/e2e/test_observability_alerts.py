"""The alert rules on a real Prometheus (Debian's, as ``make run OBSERVABILITY=1`` starts it) scraping the running
platform: every app is scraped, the periodic checks export their gauges, and an injected dead letter fires
KunruyiDeadLetters for its consumer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.observability import (
    DRILL_CONSUMER,
    DRILL_SUBJECT,
    LocalPrometheus,
    firing,
    publish_malformed,
    query,
    rules_evaluated,
    scraped_apps,
    start_prometheus,
    wait_for,
)
from kunruyi_launcher.stack import Platform, run_coroutine


@pytest.fixture(scope="module")
def prometheus(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    data_dir: Path = tmp_path_factory.mktemp("prometheus")
    metrics = {name: app.metrics_url for name, app in platform.apps.items() if app.metrics_url}
    running = start_prometheus(data_dir, metrics)
    try:
        yield running
    finally:
        running.stop()


def quiet(_message: str) -> None:
    return None


def test_prometheus_scrapes_every_app_and_evaluates_the_rules(prometheus: LocalPrometheus) -> None:
    started = time.monotonic()
    expected = dict.fromkeys((a.name for a in APPS), "1")
    wait_for("all apps up", lambda: scraped_apps(prometheus.url) == expected, 90, started, quiet)
    wait_for("rules evaluated", lambda: rules_evaluated(prometheus.url), 90, started, quiet)

    def checks_exported() -> bool:
        result = query(
            prometheus.url, "/api/v1/query?query=kunruyi_periodic_check_last_success_timestamp_seconds"
        )["result"]
        return {r["metric"]["service"] for r in result} == {a.name for a in APPS}

    wait_for("every app's periodic checks exported", checks_exported, 90, started, quiet)
    for name in ("kunruyi_disbursement_ledger_invariant_ok", "kunruyi_disbursement_audit_chain_ok"):
        result = query(prometheus.url, f"/api/v1/query?query=min({name})")["result"]
        assert result and result[0]["value"][1] == "1", f"{name}: the fresh platform's money path is healthy"


def test_an_injected_dead_letter_fires_its_alert(platform: Platform, prometheus: LocalPrometheus) -> None:
    started = time.monotonic()
    wait_for("rules evaluated", lambda: rules_evaluated(prometheus.url), 90, started, quiet)
    assert firing(prometheus.url, "KunruyiDeadLetters", consumer=DRILL_CONSUMER) == []

    run_coroutine(publish_malformed(platform.infra.nats_url, DRILL_SUBJECT))
    alert = wait_for(
        "KunruyiDeadLetters firing",
        lambda: firing(prometheus.url, "KunruyiDeadLetters", consumer=DRILL_CONSUMER),
        120,
        started,
        quiet,
    )
    assert alert[0]["labels"]["severity"] == "page" and alert[0]["labels"]["service"] == "disbursement"
    assert f"kunruyi_dlq.{DRILL_CONSUMER}" in alert[0]["annotations"]["description"]

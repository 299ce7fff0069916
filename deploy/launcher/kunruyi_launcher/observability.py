"""``make run OBSERVABILITY=1``: Debian's Prometheus (the ``prometheus`` package, which also gives promtool) against
the local apps, with the rules of deploy/observability/rules, so the alerts run for real.

The scrape targets are the metrics ports the launcher gave the apps; the config is written next to the run's data
(``var/run/prometheus/prometheus.yml``) and checked with ``promtool check config`` before Prometheus starts.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kunruyi_launcher.infra import free_port

ROOT = Path(__file__).resolve().parents[3]
OBSERVABILITY_DIR = ROOT / "deploy" / "observability"
RULES_DIR = OBSERVABILITY_DIR / "rules"


def local_config(metrics_targets: dict[str, str], *, scrape_interval: str = "5s") -> dict[str, Any]:
    """The compose Prometheus config with the local apps' ``host:port`` targets and the repository's rules."""
    config: dict[str, Any] = yaml.safe_load(
        (OBSERVABILITY_DIR / "prometheus.yml").read_text(encoding="utf-8")
    )
    config["global"]["scrape_interval"] = scrape_interval
    config["global"]["evaluation_interval"] = scrape_interval
    config["rule_files"] = [str(RULES_DIR / "*.yml")]
    config.pop("alerting", None)  # no Alertmanager locally: firing alerts show at /alerts and in the API
    for job in config["scrape_configs"]:
        if job["job_name"] == "kunruyi":
            # Local processes on known ports: every replica (``policy.2``) a static target labelled app=policy.
            job.pop("dns_sd_configs", None)
            job.pop("relabel_configs", None)
            job["static_configs"] = [
                {"targets": [target], "labels": {"app": app.split(".", 1)[0]}}
                for app, target in sorted(metrics_targets.items())
            ]
    return config


@dataclass
class LocalPrometheus:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "prometheus.yml"

    def write_config(self, metrics_targets: dict[str, str], scrape_interval: str = "5s") -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            yaml.safe_dump(local_config(metrics_targets, scrape_interval=scrape_interval), sort_keys=False),
            encoding="utf-8",
        )
        promtool = shutil.which("promtool")
        if promtool is not None:
            check = subprocess.run(
                [promtool, "check", "config", str(self.config_path)], capture_output=True, text=True
            )
            if check.returncode != 0:
                raise RuntimeError(f"promtool check config failed:\n{check.stdout}{check.stderr}")

    def start(self) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus not found: `make promtool` installs Debian's prometheus package")
        log = open(self.data_dir / "prometheus.log", "ab")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.data_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=3d",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited; see {self.data_dir / 'prometheus.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"prometheus not ready; see {self.data_dir / 'prometheus.log'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_prometheus(
    data_dir: Path, metrics_urls: dict[str, str], *, port: int | None = None
) -> LocalPrometheus:
    """Prometheus scraping ``metrics_urls`` (app → ``http://host:port/metrics``)."""
    targets = {app: url.split("//", 1)[1].split("/", 1)[0] for app, url in metrics_urls.items()}
    prometheus = LocalPrometheus(data_dir, port or free_port())
    prometheus.write_config(targets)
    prometheus.start()
    return prometheus


# ---------------------------------------------------------------------------------------------------------------
# The dead-letter drill: the whole platform and Prometheus, one injected dead letter, its alert firing.
# ---------------------------------------------------------------------------------------------------------------

DRILL_SUBJECT = (
    "kunruyi.policy.policy.suspended"  # consumed by svc-disbursement's kit consumer (and the gateway's)
)
DRILL_CONSUMER = "disbursement-policies"


def query(prometheus_url: str, path: str) -> Any:
    import json

    with urllib.request.urlopen(f"{prometheus_url}{path}", timeout=5) as resp:
        return json.loads(resp.read())["data"]


def wait_for(what: str, check: Any, timeout_s: float, started: float, log: Any = print) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            log(f"{time.monotonic() - started:6.1f}s  {what}")
            return found
        time.sleep(0.5)
    raise TimeoutError(f"not within {timeout_s:.0f}s: {what}")


def scraped_apps(prometheus_url: str) -> dict[str, str]:
    """app → its ``up`` value as Prometheus last saw it."""
    results = query(prometheus_url, "/api/v1/query?query=up%7Bjob%3D%22kunruyi%22%7D")["result"]
    return {r["metric"]["app"]: r["value"][1] for r in results}


def rules_evaluated(prometheus_url: str) -> bool:
    groups = query(prometheus_url, "/api/v1/rules")["groups"]
    return bool(groups) and all(g.get("lastEvaluation", "").startswith("20") for g in groups)


def firing(prometheus_url: str, alertname: str, **labels: str) -> list[dict[str, Any]]:
    return [
        a
        for a in query(prometheus_url, "/api/v1/alerts")["alerts"]
        if a["state"] == "firing"
        and a["labels"]["alertname"] == alertname
        and all(a["labels"].get(k) == v for k, v in labels.items())
    ]


async def publish_malformed(nats_url: str, subject: str) -> None:
    """A message no consumer can read (not a CloudEvent): the kit dead-letters it at once, no retries."""
    import nats

    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish(
            subject, b"this is not an event", headers={"Nats-Msg-Id": f"drill-{time.time()}"}
        )
    finally:
        await nc.close()


def dead_letter_drill(data_dir: Path, log: Any = print) -> dict[str, float]:
    """Start PostgreSQL, NATS, every app and Prometheus with the rules; check every app is scraped and no dead
    letter alert fires; dead-letter one message; wait for KunruyiDeadLetters. Returns the timings (seconds)."""
    from kunruyi_launcher.apps import APPS, EMULATORS
    from kunruyi_launcher.stack import migrate_all, run_coroutine, start_apps, start_infra

    started = time.monotonic()
    timings: dict[str, float] = {}
    infra = start_infra(data_dir, fast_unsafe=True, log=lambda _m: None)
    platform = prometheus = None
    try:
        migrate_all(infra, recreate=True)
        ports = {a.name: free_port() for a in APPS} | {e.name: free_port() for e in EMULATORS}
        platform = start_apps(infra, data_dir / "log", ports=ports)
        timings["apps ready"] = time.monotonic() - started
        log(f"{timings['apps ready']:6.1f}s  apps ready")
        metrics = {name: app.metrics_url for name, app in platform.apps.items() if app.metrics_url}
        prometheus = start_prometheus(data_dir / "prometheus", metrics)
        url = prometheus.url

        def all_up() -> bool:
            return scraped_apps(url) == dict.fromkeys((a.name for a in APPS), "1")

        wait_for(f"Prometheus scrapes all {len(APPS)} apps (up == 1)", all_up, 60, started, log)
        timings["all scraped"] = time.monotonic() - started
        wait_for("every rule group evaluated", lambda: rules_evaluated(url), 60, started, log)
        names = sorted({a["labels"]["alertname"] for a in query(url, "/api/v1/alerts")["alerts"]})
        log(f"{time.monotonic() - started:6.1f}s  alerts before the injection: {names or 'none'}")
        if "KunruyiDeadLetters" in names:
            raise RuntimeError("a dead letter before the drill: start from an empty data directory")

        run_coroutine(publish_malformed(infra.nats_url, DRILL_SUBJECT))
        injected = time.monotonic()
        log(f"{injected - started:6.1f}s  published a malformed message on {DRILL_SUBJECT}")
        alert = wait_for(
            f"KunruyiDeadLetters firing for {DRILL_CONSUMER}",
            lambda: firing(url, "KunruyiDeadLetters", consumer=DRILL_CONSUMER),
            120,
            started,
            log,
        )
        timings["alert firing after injection"] = time.monotonic() - injected
        log(f"         {alert[0]['annotations']['summary']}: {alert[0]['annotations']['description']}")
    finally:
        if prometheus is not None:
            prometheus.stop()
        if platform is not None:
            platform.stop()
        infra.stop()
    timings["total"] = time.monotonic() - started
    return timings


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m kunruyi_launcher.observability")
    sub = parser.add_subparsers(dest="command", required=True)
    drill = sub.add_parser(
        "dead-letter-drill", help="the platform + Prometheus; one dead letter fires its alert"
    )
    drill.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kunruyi-drill-", dir=ROOT / "var") as tmp:
        timings = dead_letter_drill(args.data_dir or Path(tmp))
    print("timings:", ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())

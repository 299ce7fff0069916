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
            job["static_configs"] = [
                {"targets": [target], "labels": {"app": app}}
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

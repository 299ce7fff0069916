"""Static checks of the ops deployment description (compose.yaml + deploy/).

No Docker engine is needed: compose.yaml is validated against the vendored
Compose Specification JSON schema (deploy/compose-spec.schema.json) and a few
project rules are asserted on top of it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
SCHEMA = ROOT / "deploy" / "compose-spec.schema.json"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_DB = ROOT / "deploy" / "postgres" / "init-databases.sh"

try:
    from kunruyi_launcher.apps import APPS

    APP_NAMES = [a.name for a in APPS]
except ImportError:
    APP_NAMES = ["gateway", "policy", "talent", "disbursement", "matching"]

SENSITIVE = re.compile(r"PASSWORD|SECRET|KEY|DATABASE_URL", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _is_migrate(name: str) -> bool:
    return name.startswith("migrate-")


def _is_ops_job(svc: dict[str, Any]) -> bool:
    """An operator's one-shot job (backup) in a profile of its own: run on demand, nothing depends on it."""
    return "backup" in (svc.get("profiles") or [])


def _env(svc: dict[str, Any]) -> dict[str, Any]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def _depends(svc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    dep = svc.get("depends_on") or {}
    if isinstance(dep, list):  # short syntax == service_started
        return {name: {"condition": "service_started"} for name in dep}
    return dep


def _secret_names(svc: dict[str, Any]) -> list[str]:
    return [s if isinstance(s, str) else s["source"] for s in svc.get("secrets") or []]


def test_compose_matches_compose_spec_schema(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator_cls.check_schema(schema)
    errors = sorted(validator_cls(schema).iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_every_app_is_a_service_with_a_migrate_job(services: dict[str, dict[str, Any]]) -> None:
    for app in APP_NAMES:
        assert app in services, f"app {app!r} missing from compose.yaml"
        assert f"migrate-{app}" in services, f"migrate job for {app!r} missing"
        assert services[f"migrate-{app}"]["image"] == services[app]["image"]


def test_healthchecks_and_one_shot_jobs(services: dict[str, dict[str, Any]]) -> None:
    depended_on: dict[str, set[str]] = {}
    for svc in services.values():
        for dep, spec in _depends(svc).items():
            depended_on.setdefault(dep, set()).add(spec.get("condition", "service_started"))
    for name, svc in services.items():
        if _is_migrate(name):
            assert svc.get("restart") == "no", f"{name}: one-shot job needs restart: 'no'"
            assert depended_on.get(name) == {"service_completed_successfully"}, (
                f"{name}: must be depended upon with service_completed_successfully"
            )
            continue
        if _is_ops_job(svc):
            assert svc.get("restart") == "no", f"{name}: one-shot job needs restart: 'no'"
            assert name not in depended_on, f"{name}: nothing may wait for an operator's job"
            continue
        hc = svc.get("healthcheck")
        assert hc and hc.get("test") and not hc.get("disable"), f"{name}: healthcheck missing"
        assert svc.get("restart") in {"always", "unless-stopped", "on-failure"}, f"{name}: restart policy"


def test_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        image = svc.get("image")
        assert image, f"{name}: no image (tag)"
        if "@sha256:" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        assert ":" in last, f"{name}: image {image!r} has no tag"
        tag = last.rsplit(":", 1)[1]
        assert tag and tag != "latest" and "$" not in tag, f"{name}: image {image!r} is not pinned"


def test_only_gateway_publishes_ports(services: dict[str, dict[str, Any]]) -> None:
    publishing = {name for name, svc in services.items() if svc.get("ports") and not svc.get("profiles")}
    assert publishing == {"gateway"}
    assert "8000:8000" in [str(p) for p in services["gateway"]["ports"]]
    # Optional tools (profiles) publish on the host's loopback only.
    for name, svc in services.items():
        if svc.get("profiles"):
            for port in svc.get("ports") or []:
                assert str(port).startswith("127.0.0.1:"), f"{name}: {port} is published beyond loopback"


def test_metrics_are_on_an_internal_port_never_published(services: dict[str, dict[str, Any]]) -> None:
    for app in APP_NAMES:
        env = _env(services[app])
        prefix = f"KRY_{app.upper()}_"
        port = str(env.get(f"{prefix}METRICS_PORT"))
        assert port.isdigit(), f"{app}: {prefix}METRICS_PORT not set"
        # Reachable by a Prometheus on the backend network, published to no one.
        assert env.get(f"{prefix}METRICS_HOST") == "0.0.0.0", app
        assert port in [str(p) for p in services[app].get("expose") or []], f"{app}: metrics port not exposed"
        published = [str(p) for p in services[app].get("ports") or []]
        assert not any(port in p.split(":") for p in published), f"{app}: metrics port published"


def test_apps_depend_on_healthy_infra(services: dict[str, dict[str, Any]]) -> None:
    for app in APP_NAMES:
        deps = _depends(services[app])
        for infra in ("postgres", "nats"):
            assert deps.get(infra, {}).get("condition") == "service_healthy", f"{app} -> {infra}"
        assert deps.get(f"migrate-{app}", {}).get("condition") == "service_completed_successfully"
        migrate_deps = _depends(services[f"migrate-{app}"])
        assert migrate_deps.get("postgres", {}).get("condition") == "service_healthy"


def test_no_secret_values_in_environment(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        for key, value in _env(svc).items():
            if not SENSITIVE.search(key):
                continue
            # *_FILE variables only point at a mounted secret (e.g. POSTGRES_PASSWORD_FILE).
            is_secret_path = key.endswith("_FILE") and str(value).startswith("/run/secrets/")
            assert is_secret_path, f"{name}: {key} must come from a secret, not environment"


def test_app_secrets_follow_settings_naming(services: dict[str, dict[str, Any]]) -> None:
    # pydantic-settings reads /run/secrets/<env var name in lowercase>
    for app in APP_NAMES:
        for svc_name in (app, f"migrate-{app}"):
            targets = {
                s if isinstance(s, str) else s.get("target", s["source"])
                for s in services[svc_name].get("secrets") or []
            }
            for field in ("database_url", "pii_key", "blind_index_key", "internal_token_secret"):
                assert f"kry_{app}_{field}" in targets, f"{svc_name}: kry_{app}_{field} not mounted"


def test_secrets_are_declared_and_file_based(compose: dict[str, Any]) -> None:
    declared = compose.get("secrets") or {}
    for name, svc in compose["services"].items():
        for secret in _secret_names(svc):
            assert secret in declared, f"{name}: secret {secret!r} not declared at top level"
    for secret, spec in declared.items():
        assert spec.get("file", "").startswith("./deploy/secrets/"), secret


def test_dockerfile_is_multistage_uv_frozen() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+\S+", text, flags=re.IGNORECASE | re.MULTILINE)
    assert len(stages) >= 2, "Dockerfile must be multi-stage (FROM ... AS ...)"
    syncs = [line for line in text.splitlines() if "uv sync" in line]
    assert syncs and all("--frozen" in s and "--package" in s for s in syncs)
    assert re.search(r"^USER\s+(?!root\b|0\b)\S+", text, flags=re.MULTILINE), "runtime must be non-root"
    assert "HEALTHCHECK" in text


def test_init_script_creates_all_databases() -> None:
    text = INIT_DB.read_text(encoding="utf-8")
    for app in APP_NAMES:
        assert f"kunruyi_{app}" in text


OBSERVABILITY = ROOT / "deploy" / "observability"


def _mounts(svc: dict[str, Any]) -> dict[str, Path]:
    """Container path → host path of a service's bind mounts (short syntax, relative to the repository)."""
    found = {}
    for volume in svc.get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            found[target] = ROOT / source
    return found


def test_observability_profile(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    tools = {"prometheus", "alertmanager", "grafana"}
    assert {n for n, s in services.items() if "observability" in (s.get("profiles") or [])} == tools
    # Prometheus reaches the apps' metrics ports (backend) and is reached by Grafana (observability).
    assert set(services["prometheus"]["networks"]) == {"backend", "observability"}
    assert not compose["networks"]["observability"].get("internal")
    for name in ("grafana", "alertmanager"):
        assert "backend" not in services[name]["networks"], f"{name} has no business on the backend network"
    for name in tools:
        for target, host in _mounts(services[name]).items():
            assert host.exists(), f"{name}: {host} (mounted at {target}) is missing"
    prometheus = _mounts(services["prometheus"])
    assert prometheus["/etc/prometheus/prometheus.yml"] == OBSERVABILITY / "prometheus.yml"
    assert prometheus["/etc/prometheus/rules"] == OBSERVABILITY / "rules"
    grafana = _mounts(services["grafana"])
    assert (grafana["/etc/grafana/provisioning"] / "datasources").is_dir()
    assert list(grafana["/var/lib/grafana/dashboards"].glob("*.json"))


def test_prometheus_scrapes_every_app_on_its_compose_metrics_port(
    services: dict[str, dict[str, Any]],
) -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text(encoding="utf-8"))
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "kunruyi")
    targets = {
        target: group["labels"]["app"] for group in job["static_configs"] for target in group["targets"]
    }
    # Replicated services are found by DNS (every replica a target), labelled app=<the name resolved>.
    for sd in job.get("dns_sd_configs", []):
        assert sd["type"] == "A"
        for name in sd["names"]:
            targets[f"{name}:{sd['port']}"] = name
    if job.get("dns_sd_configs"):
        assert {"source_labels": ["__meta_dns_name"], "regex": "(.+)", "target_label": "app"} in job[
            "relabel_configs"
        ]
    expected = {f"{app}:{_env(services[app])[f'KRY_{app.upper()}_METRICS_PORT']}": app for app in APP_NAMES}
    assert targets == expected
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    alertmanagers = [
        t for a in config["alerting"]["alertmanagers"] for c in a["static_configs"] for t in c["targets"]
    ]
    assert alertmanagers == ["alertmanager:9093"] and "alertmanager" in services


def test_backup_job_reads_the_apps_settings(services: dict[str, dict[str, Any]]) -> None:
    backup = services["backup"]
    assert backup["profiles"] == ["backup"]
    assert backup["command"][:4] == ["python", "-m", "kunruyi_launcher", "backup"]
    assert {f"kry_{app}_database_url" for app in APP_NAMES} <= set(_secret_names(backup))
    assert _env(backup)["KRY_NATS_URL"] == "nats://nats:4222"
    for infra in ("postgres", "nats"):
        assert _depends(backup)[infra]["condition"] == "service_healthy"


def test_services_run_as_replicas_within_the_connection_budget(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """Every service as several replicas behind its DNS name (the gateway balances over its addresses), and
    PostgreSQL allows what they may all hold at once: 2 × pool size (10, plus as much overflow) per process."""
    processes = 1  # the gateway
    for app in APP_NAMES:
        if app == "gateway":
            continue
        replicas = services[app].get("deploy", {}).get("replicas", 1)
        assert replicas >= 2, f"{app} runs as one process"
        processes += replicas
    command = services["postgres"]["command"]
    max_connections = int(next(c.split("=", 1)[1] for c in command if c.startswith("max_connections=")))
    assert max_connections >= processes * 2 * 10 + 50

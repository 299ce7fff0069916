"""Production secrets: every secret of every app comes from a compose secret, and an app outside explicit development
mode refuses to start on a development key, naming it.

The secrets are found by walking each app's settings class (fields declared with ``secret_field``), so a new secret
that compose does not provide fails here.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from kunruyi_common.settings import ServiceSettings
from kunruyi_launcher.apps import APPS, AppSpec
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, production_secrets
from pydantic_settings import SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
GENERATE = ROOT / "deploy" / "secrets" / "generate.sh"
EX_CONFIG = 78


def settings_class(app: AppSpec) -> type[ServiceSettings]:
    cls = importlib.import_module(f"{app.package}.settings").Settings
    assert issubclass(cls, ServiceSettings)
    return cls


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _mounts(svc: dict[str, Any]) -> dict[str, str]:
    """target file name under /run/secrets -> top-level secret name."""
    out = {}
    for s in svc.get("secrets") or []:
        if isinstance(s, str):
            out[s] = s
        else:
            out[s.get("target", s["source"])] = s["source"]
    return out


def test_apps_declare_their_secrets() -> None:
    # The walk below is only as good as the declarations: the known secrets of each app must be among them.
    expected = {
        "gateway": {"service_code_secret", "yiqilaiban_secret"},
        "disbursement": {"bank_callback_secret", "s3_access_key", "s3_secret_key"},
    }
    for app in APPS:
        fields = set(settings_class(app).secret_fields())
        assert {"pii_key", "pii_retired_keys", "blind_index_key", "internal_token_secret"} <= fields, app.name
        assert expected.get(app.name, set()) <= fields, app.name


def test_compose_provides_every_secret_of_every_app_as_a_secret_file(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    for app in APPS:
        cls = settings_class(app)
        # Optional secrets (S3 keys, only with the S3 backend) may be absent; retired PII keys must be wired so a
        # rotation is a file edit, not a compose change.
        needed = [*cls.secret_fields(include_optional=False), "pii_retired_keys", "database_url"]
        for svc_name in (app.name, f"migrate-{app.name}"):
            mounts = _mounts(compose["services"][svc_name])
            for field in needed:
                target = f"{app.env_prefix}{field}".lower()
                assert target in mounts, f"{svc_name}: {target} is not mounted from a compose secret"
                source = mounts[target]
                assert declared[source]["file"] == f"./deploy/secrets/{source}", source


def test_emulators_share_the_secret_of_the_app_they_talk_to(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert (
        _mounts(services["bank-emulator"])["kry_bank_callback_secret"]
        == (_mounts(services["disbursement"])["kry_disbursement_bank_callback_secret"])
    )
    assert (
        _mounts(services["yiqilaiban-emulator"])["kry_yqlb_secret"]
        == (_mounts(services["gateway"])["kry_gateway_yiqilaiban_secret"])
    )


def test_no_service_in_compose_sets_development_mode(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        env = svc.get("environment") or {}
        names = env if isinstance(env, list) else list(env)
        assert not [n for n in names if "DEV_MODE" in str(n).upper()], f"{name} sets development mode"
        assert "dev" not in str(svc.get("command", "")).lower().split(), name


def test_generated_secrets_let_every_app_start_outside_development_mode(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """generate.sh writes every compose secret; mounted as compose mounts them, each app's settings pass."""
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    shutil.copy(GENERATE, secrets_dir / "generate.sh")
    subprocess.run(["sh", str(secrets_dir / "generate.sh")], check=True, capture_output=True, timeout=60)
    for source, spec in compose["secrets"].items():
        path = secrets_dir / Path(spec["file"]).name
        assert path.is_file(), f"generate.sh does not write {source}"
        if source != "pii_retired_keys":
            assert path.read_text().strip(), f"generate.sh writes an empty {source}"
    for app in APPS:
        run_secrets = tmp_path / f"run-{app.name}"
        run_secrets.mkdir()
        for target, source in _mounts(compose["services"][app.name]).items():
            shutil.copy(secrets_dir / Path(compose["secrets"][source]["file"]).name, run_secrets / target)
        cls = settings_class(app)

        class FromSecrets(cls):  # type: ignore[valid-type,misc]
            model_config = SettingsConfigDict(
                env_prefix=app.env_prefix, extra="ignore", secrets_dir=str(run_secrets)
            )

        settings = FromSecrets(dev_mode=False)
        assert settings.development_secrets() == [], app.name
        settings.check_secrets()
        settings.field_cipher()


# -- real processes --------------------------------------------------------------------------------------------


def _production_env(app: AppSpec, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(app.env_prefix)}
    env[f"{app.env_prefix}DEV_MODE"] = "false"
    for name, value in settings.items():
        env[f"{app.env_prefix}{name}".upper()] = value
    return env


def _serve(app: AppSpec, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", app.package, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_an_app_outside_development_mode_refuses_every_development_key_and_names_it(app: AppSpec) -> None:
    cls = settings_class(app)
    required = cls.secret_fields(include_optional=False)
    # With every secret left at its development value: refused, each one named.
    proc = _serve(app, _production_env(app), free_port())
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == EX_CONFIG, err
    for field in required:
        assert f"{app.env_prefix}{field}".upper() in err
    # With real values for all but one: refused, naming that one only (each app's own secrets, else the PII key;
    # the shared ones are the same code path in every app).
    own = [f for f in required if f not in ServiceSettings.model_fields] or ["pii_key"]
    for dev_one in own:
        real = production_secrets(cls)
        del real[dev_one]
        proc = _serve(app, _production_env(app, **real), free_port())
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == EX_CONFIG, err
        named = [f for f in required if f"{app.env_prefix}{f}".upper() in err]
        assert named == [dev_one], err


def test_uvicorn_started_directly_also_refuses(tmp_path: Path) -> None:
    app = next(a for a in APPS if a.name == "policy")
    env = _production_env(app)
    proc = subprocess.run(
        [sys.executable, "-m", "uvicorn", f"{app.package}.main:app", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "KRY_POLICY_PII_KEY" in proc.stdout + proc.stderr


def test_demo_data_is_never_seeded_outside_development_mode(infra: Infra) -> None:
    app = next(a for a in APPS if a.name == "gateway")
    db_url = migrated_database(infra, app.package, "secrets_seed_gateway")
    env = _production_env(app, **production_secrets(settings_class(app)), database_url=db_url)
    done = subprocess.run(
        [sys.executable, "-m", app.package, "seed"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == EX_CONFIG and "development mode only" in done.stderr


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_an_app_with_real_keys_starts_outside_development_mode(app: AppSpec, infra: Infra) -> None:
    db_url = migrated_database(infra, app.package, f"secrets_{app.name}")
    env = _production_env(
        app, **production_secrets(settings_class(app)), database_url=db_url, nats_url=infra.nats_url
    )
    port = free_port()
    proc = _serve(app, env, port)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(port):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, f"{app.name} did not start"
            time.sleep(0.2)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # What is tested is the start; a slow graceful stop on a loaded machine must not fail it.
            proc.kill()
            proc.communicate(timeout=30)

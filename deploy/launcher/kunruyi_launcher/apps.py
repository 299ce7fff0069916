"""The apps the launcher starts, in start order. compose.yaml and the gateway's route table follow this list."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AppSpec:
    name: str
    package: str
    port: int
    env_prefix: str
    # Prometheus metrics, on a port of their own (never the app's port, which for the gateway is public).
    metrics_port: int
    has_seed: bool = True

    @property
    def database(self) -> str:
        return f"kunruyi_{self.name}"

    @property
    def metrics_key(self) -> str:
        """The app's metrics port in a launcher ``ports`` mapping."""
        return f"{self.name}:metrics"


APPS: list[AppSpec] = [
    AppSpec("policy", "kunruyi_policy", 8001, "KRY_POLICY_", 9001),
    AppSpec("talent", "kunruyi_talent", 8002, "KRY_TALENT_", 9002),
    AppSpec("disbursement", "kunruyi_disbursement", 8003, "KRY_DISBURSEMENT_", 9003),
    AppSpec("matching", "kunruyi_matching", 8004, "KRY_MATCHING_", 9004),
    AppSpec("gateway", "kunruyi_gateway", 8000, "KRY_GATEWAY_", 9000),
]

SERVICES = [a for a in APPS if a.name != "gateway"]
GATEWAY = next(a for a in APPS if a.name == "gateway")


@dataclass(frozen=True)
class EmulatorSpec:
    """An external system we cannot reach, emulated by its own process in local runs and tests."""

    name: str
    module: str
    port: int
    # The env var (per app) that points the app's adapter at this emulator.
    wired_into: tuple[tuple[str, str], ...]
    # The env var naming the file where the emulator keeps its state across restarts (as the real system would).
    state_file_env: str | None = None


EMULATORS: list[EmulatorSpec] = [
    EmulatorSpec(
        "bank",
        "kunruyi_emulators.bank",
        8101,
        (("disbursement", "KRY_DISBURSEMENT_BANK_URL"),),
        state_file_env="KRY_BANK_STATE_FILE",
    ),
    EmulatorSpec(
        "yiqilaiban", "kunruyi_emulators.yiqilaiban", 8102, (("gateway", "KRY_GATEWAY_YIQILAIBAN_URL"),)
    ),
    # The city's staff identity provider (OIDC): the console at /console signs staff in through it.
    EmulatorSpec(
        "staff-identity",
        "kunruyi_emulators.staff_identity",
        8104,
        (("gateway", "KRY_GATEWAY_STAFF_IDP_URL"),),
    ),
    # The province's personal identity service (统一身份认证, OIDC) talents sign in with on 昆e服.
    EmulatorSpec("identity", "kunruyi_emulators.identity", 8103, (("gateway", "KRY_GATEWAY_IDENTITY_URL"),)),
    EmulatorSpec("sms", "kunruyi_emulators.sms", 8105, (("talent", "KRY_TALENT_SMS_URL"),)),
]


# `make run` and `make test` run every app in explicit development mode: the development keys printed in the source
# are accepted there and nowhere else (compose.yaml never sets it; see docs/operations.md "Secrets").
DEV_MODE_WARNING = (
    "WARNING: development mode — every app runs with the development keys printed in the source "
    "(PII, blind index, internal token, 昆e服 code, 一企来办 and bank secrets); never put real data in it."
)


def dev_mode_env() -> dict[str, str]:
    return {f"{app.env_prefix}DEV_MODE": "true" for app in APPS}


def enable_development_mode(environ: MutableMapping[str, str] = os.environ) -> None:
    """Turn explicit development mode on for every app started from ``environ`` (unless already set)."""
    for name, value in dev_mode_env().items():
        environ.setdefault(name, value)

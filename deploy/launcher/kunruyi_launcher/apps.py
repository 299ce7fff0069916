"""The apps the launcher starts, in start order. compose.yaml and the gateway's route table follow this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppSpec:
    name: str
    package: str
    port: int
    env_prefix: str
    has_seed: bool = True

    @property
    def database(self) -> str:
        return f"kunruyi_{self.name}"


APPS: list[AppSpec] = [
    AppSpec("policy", "kunruyi_policy", 8001, "KRY_POLICY_"),
    AppSpec("talent", "kunruyi_talent", 8002, "KRY_TALENT_"),
    AppSpec("disbursement", "kunruyi_disbursement", 8003, "KRY_DISBURSEMENT_"),
    AppSpec("matching", "kunruyi_matching", 8004, "KRY_MATCHING_"),
    AppSpec("gateway", "kunruyi_gateway", 8000, "KRY_GATEWAY_"),
]

SERVICES = [a for a in APPS if a.name != "gateway"]
GATEWAY = next(a for a in APPS if a.name == "gateway")

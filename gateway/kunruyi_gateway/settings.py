from __future__ import annotations

from kunruyi_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("KRY_GATEWAY_")

    service_name: str = "gateway"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_gateway"
    upstream_policy_url: str = "http://127.0.0.1:8001"
    upstream_talent_url: str = "http://127.0.0.1:8002"
    upstream_disbursement_url: str = "http://127.0.0.1:8003"
    upstream_matching_url: str = "http://127.0.0.1:8004"
    upstream_connect_timeout_s: float = 1.0
    upstream_read_timeout_s: float = 30.0
    # After this many consecutive connection failures an upstream is skipped (503 at once) for the cool-down.
    breaker_failure_threshold: int = 5
    breaker_cooldown_s: float = 5.0
    max_body_bytes: int = 10 * 1024 * 1024

    def upstream_urls(self) -> dict[str, str]:
        return {
            "policy": self.upstream_policy_url,
            "talent": self.upstream_talent_url,
            "disbursement": self.upstream_disbursement_url,
            "matching": self.upstream_matching_url,
        }


def get_settings() -> Settings:
    return Settings()

from __future__ import annotations

from kunruyi_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("KRY_POLICY_")

    service_name: str = "policy"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_policy"


def get_settings() -> Settings:
    return Settings()

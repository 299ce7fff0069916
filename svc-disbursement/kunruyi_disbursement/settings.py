from __future__ import annotations

from kunruyi_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("KRY_DISBURSEMENT_")

    service_name: str = "disbursement"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_disbursement"


def get_settings() -> Settings:
    return Settings()

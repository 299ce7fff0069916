from __future__ import annotations

from kunruyi_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("KRY_POLICY_")

    service_name: str = "policy"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_policy"
    # Background jobs (jobs/): entities per chunk (one transaction each), how long a worker's claim holds without a
    # chunk committed before another replica takes the job over, how often an idle worker looks for work, and how
    # many times a chunk that fails is retried before the job is failed.
    job_chunk_size: int = 5000
    job_lease_s: float = 60.0
    job_poll_interval_s: float = 2.0
    job_max_attempts: int = 3
    # catalog import: items written per chunk (each chunk one transaction with its drafts and outbox rows)
    catalog_import_chunk_size: int = 50
    # The calculator answers from the catalog compiled for the revision token this process read less than this
    # long ago (no database round trip); a catalog write by another replica is seen at most this much later, one
    # by this replica at once. 0: read the token for every answer.
    calculator_catalog_max_age_s: float = 1.0


def get_settings() -> Settings:
    return Settings()

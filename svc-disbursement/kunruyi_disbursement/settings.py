from __future__ import annotations

from pathlib import Path
from typing import Literal

from kunruyi_common.settings import ServiceSettings, secret_field, service_config

DEV_BANK_CALLBACK_SECRET = "kunruyi-dev-bank-callback-secret"


class Settings(ServiceSettings):
    model_config = service_config("KRY_DISBURSEMENT_")

    service_name: str = "disbursement"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_disbursement"

    # 免申即享 disbursements at or below this amount are approved automatically; above it an approver decides.
    auto_approve_max_fen: int = 5_000_000
    bank_url: str = "http://127.0.0.1:8101"
    # Shared HMAC-SHA256 secret the bank signs its callbacks with.
    bank_callback_secret: str = secret_field(DEV_BANK_CALLBACK_SECRET)
    bank_timeout_s: float = 5.0
    # svc-policy, whose calculator computes an application's amount when the applicant sends none: one base URL or,
    # comma-separated, every replica's (taken in turn; an unreachable, timed-out or 5xx replica is left for the next).
    policy_url: str = "http://127.0.0.1:8001"
    # Connect and read timeout of each calculator call (the applicant is waiting; past it: 503 policy_unavailable).
    policy_timeout_s: float = 3.0
    payment_worker_enabled: bool = True
    payment_worker_idle_s: float = 0.2
    payment_batch_size: int = 200
    # Entitlement events handled per transaction (one set-based intake per batch).
    entitlement_batch_size: int = 500
    # First retry of an unanswered instruction after this many seconds, doubling up to the maximum.
    payment_retry_base_s: float = 1.0
    payment_retry_max_s: float = 60.0
    # Ask the bank about an instructed payment whose callback has not arrived after this many seconds.
    payment_poll_after_s: float = 10.0
    awaiting_budget_sweep_s: float = 5.0
    # Test-only fault injection: "before_instruct" stops the payment worker for good after it has claimed (and
    # committed) a reserved payment and before the bank hears of it; "after_instruct" after the bank accepted it and
    # before the acceptance is recorded. The process keeps running until the test SIGKILLs it there.
    crash_point: str | None = None
    # Attachments: "local" (a directory) or "s3" (any S3-compatible object store, path-style, Signature V4).
    attachments_backend: Literal["local", "s3"] = "local"
    attachments_dir: Path = Path("var/disbursement/attachments")
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    # Only needed with attachments_backend="s3"; give them as secrets (KRY_DISBURSEMENT_S3_ACCESS_KEY/_SECRET_KEY).
    s3_access_key: str = secret_field("", optional=True)
    s3_secret_key: str = secret_field("", optional=True)
    s3_prefix: str = "attachments/"
    attachment_max_bytes: int = 20 * 1024 * 1024


def get_settings() -> Settings:
    return Settings()

from __future__ import annotations

from datetime import date

from kunruyi_common.settings import ServiceSettings, service_config
from pydantic import Field

# Officers on duty per department (专人). Tickets go to the least-loaded one; deployments override this list.
DEFAULT_OFFICERS: dict[str, list[str]] = {
    "公安局": ["王警官", "李警官"],
    "教育局": ["陈老师", "周老师"],
    "卫健委": ["吴医生", "郑医生"],
    "人社局": ["孙科长", "钱科长"],
    "住建局": ["冯科长", "褚科长"],
    "行政审批局": ["蒋科长", "沈科长"],
    "人才办": ["韩主任", "杨主任", "朱专员"],
    "金融监管局": ["秦科长", "尤科长"],
}


class Settings(ServiceSettings):
    model_config = service_config("KRY_TALENT_")

    service_name: str = "talent"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_talent"
    department_officers: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_OFFICERS))
    # Public holidays that are not working days, and weekend days that are (调休). ISO dates.
    holidays: list[date] = Field(default_factory=list)
    makeup_workdays: list[date] = Field(default_factory=list)
    overdue_scan_interval_s: float = 300.0
    housing_offer_days: int = 7
    # The department that runs talent housing (人才公寓): only its staff (and admins) register projects, read the
    # units, the waiting list and a talent's applications, apply or answer an offer for a talent, release units.
    housing_department: str = Field(default="住建局", min_length=1, max_length=40)
    import_max_bytes: int = 20 * 1024 * 1024
    # Messages and SMS (messages/): the SMS gateway (the emulator in local runs), how often the queue is worked,
    # how often a failed send is retried (back-off doubling from sms_backoff_s), and when a housing offer is
    # reminded of before it lapses.
    sms_url: str = "http://127.0.0.1:8105"
    sms_sign_name: str = "昆如意"
    sms_timeout_s: float = Field(default=5.0, gt=0)
    sms_send_interval_s: float = Field(default=5.0, gt=0)
    sms_batch_size: int = Field(default=50, ge=1, le=500)
    sms_max_attempts: int = Field(default=5, ge=1, le=20)
    sms_backoff_s: float = Field(default=30.0, ge=0)
    housing_reminder_hours: int = Field(default=48, ge=1)
    # Quiet hours (Asia/Shanghai, [start, end)) for people who set no preferences; null: none.
    sms_default_quiet_hours: tuple[int, int] | None = (22, 8)


def get_settings() -> Settings:
    return Settings()

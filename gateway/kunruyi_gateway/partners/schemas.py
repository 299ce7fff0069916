from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AppKeyCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "一企来办 对接",
                    "scopes": ["policy:read", "disbursement:write"],
                    "rate": "600/minute",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200, description="合作方名称")
    scopes: list[str] = Field(default_factory=list, description="权限范围，如 policy:read")
    rate: str | None = Field(default=None, description="速率上限，如 600/minute")
    app_key: str | None = Field(default=None, description="指定 AppKey（默认随机生成）")


class AppKeyUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"scopes": ["policy:read", "talent:read"], "rate": "1200/minute"}]}
    )

    scopes: list[str] | None = None
    rate: str | None = None


class AppKeyRotate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_s": 86400}]})

    overlap_s: int | None = Field(default=None, ge=0, le=30 * 24 * 3600, description="旧密钥继续有效的秒数")


class AppKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    app_key: str
    name: str
    scopes: list[str]
    rate: str
    status: str
    is_demo: bool
    created_at: datetime
    disabled_at: datetime | None


class AppKeyWithSecret(AppKeyOut):
    secret: str = Field(description="只显示这一次，请妥善保存")
    previous_secret_valid_until: datetime | None = None


class AppKeyList(BaseModel):
    items: list[AppKeyOut]

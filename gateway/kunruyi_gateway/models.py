"""The gateway service's tables. Each domain module adds its models to this metadata."""

from __future__ import annotations

from kunruyi_common.events import event_tables
from kunruyi_common.periodic import periodic_runs_table

from kunruyi_gateway.db_base import Base
from kunruyi_gateway.integrations.models import OutboundDelivery
from kunruyi_gateway.jobs.models import BackgroundJob
from kunruyi_gateway.partners.models import AppKey, AppKeySecret, RateWindow, UsedNonce
from kunruyi_gateway.service_codes.models import ServiceCode
from kunruyi_gateway.staff.models import RevokedToken
from kunruyi_gateway.web.models import WebSessionRow

outbox_events, inbox_events = event_tables(Base.metadata)
periodic_runs = periodic_runs_table(Base.metadata)

__all__ = [
    "AppKey",
    "AppKeySecret",
    "BackgroundJob",
    "Base",
    "OutboundDelivery",
    "RateWindow",
    "RevokedToken",
    "ServiceCode",
    "UsedNonce",
    "WebSessionRow",
]

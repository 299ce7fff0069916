"""The inbox's metrics (docs/metrics.md)."""

from __future__ import annotations

from prometheus_client import Counter

SMS_SENDS = Counter(
    "kunruyi_talent_sms_sends_total",
    "SMS send attempts to the gateway, by outcome (sent, retry — tried again later, rejected, failed — given up)",
    ["outcome"],
)
MESSAGES_CREATED = Counter(
    "kunruyi_talent_messages_created_total", "Messages put in a person's inbox, by kind", ["kind"]
)

"""Posts pending deliveries to the portal until they land: exponential back-off, one row at a time, rows locked
with SKIP LOCKED so several replicas share the work without sending a row twice at once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_gateway.integrations.models import OutboundDelivery
from kunruyi_gateway.integrations.yiqilaiban.client import PortalError, YiqilaibanClient

logger = logging.getLogger("kunruyi.gateway.yiqilaiban")
DELIVERIES = Counter("kunruyi_gateway_portal_deliveries_total", "Deliveries to 一企来办", ["kind", "outcome"])


class DeliverySender:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: YiqilaibanClient,
        *,
        base_backoff_s: float,
        max_backoff_s: float,
        timeout_s: float = 10.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.client = client
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.timeout_s = timeout_s

    def backoff(self, attempts: int) -> float:
        return float(min(self.base_backoff_s * 2 ** max(attempts - 1, 0), self.max_backoff_s))

    async def send_tick(self, _session: AsyncSession) -> int:
        """The periodic task's tick (kunruyi_common.periodic): each row is sent in a transaction of its own."""
        return await self.send_due()

    async def send_due(self, limit: int = 20) -> int:
        """Try every due delivery once. Returns how many were attempted."""
        attempted = 0
        for _ in range(limit):
            async with self.sessionmaker() as session, session.begin():
                row = (
                    await session.scalars(
                        select(OutboundDelivery)
                        .where(
                            OutboundDelivery.delivered_at.is_(None),
                            OutboundDelivery.next_attempt_at <= datetime.now(UTC),
                        )
                        .order_by(OutboundDelivery.next_attempt_at)
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if row is None:
                    return attempted
                attempted += 1
                row.attempts += 1
                try:
                    await self.client.request(
                        "POST",
                        row.path,
                        row.payload,
                        timeout_s=self.timeout_s,
                        extra_headers={"X-YQLB-Idempotency-Key": row.idempotency_key},
                    )
                except PortalError as exc:
                    row.last_error = str(exc)[:500]
                    row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=self.backoff(row.attempts))
                    DELIVERIES.labels(row.kind, "retry").inc()
                    logger.info(
                        "delivery %s failed (attempt %d), retrying: %s",
                        row.idempotency_key,
                        row.attempts,
                        exc,
                    )
                else:
                    row.delivered_at = datetime.now(UTC)
                    row.last_error = None
                    DELIVERIES.labels(row.kind, "delivered").inc()
        return attempted

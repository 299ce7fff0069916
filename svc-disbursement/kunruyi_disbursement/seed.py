from __future__ import annotations

from kunruyi_common.settings import ServiceSettings


async def seed(settings: ServiceSettings) -> None:
    return None

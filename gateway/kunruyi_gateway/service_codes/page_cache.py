"""What a 昆e服 page shows, kept per replica for a few seconds.

A printed code is scanned by many people in a short time (a park's door, an event's poster), and every scan would
read the code's row and ask four services for the same public sections. Both are kept for
``qr_page_cache_ttl_s`` (0 turns the cache off): the live code by its id, and the sections by the code. Nothing
personal is kept — the sections are what the public page shows anyway, and each visitor's own session, form id
and CSRF token are added per request. A revocation on this replica forgets the code at once; other replicas
stop showing it within the TTL.
"""

from __future__ import annotations

import uuid
from typing import Any

from cachetools import TTLCache

from kunruyi_gateway.service_codes.models import ServiceCode


class PageCache:
    def __init__(self, ttl_s: float, *, maxsize: int = 10_000) -> None:
        self.enabled = ttl_s > 0
        ttl = max(ttl_s, 0.001)
        self._codes: TTLCache[uuid.UUID, ServiceCode] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._sections: TTLCache[uuid.UUID, dict[str, Any]] = TTLCache(maxsize=maxsize, ttl=ttl)

    def code(self, code_id: uuid.UUID) -> ServiceCode | None:
        return self._codes.get(code_id) if self.enabled else None

    def keep_code(self, code: ServiceCode) -> None:
        if self.enabled:
            self._codes[code.id] = code

    def sections(self, code_id: uuid.UUID) -> dict[str, Any] | None:
        return self._sections.get(code_id) if self.enabled else None

    def keep_sections(self, code_id: uuid.UUID, sections: dict[str, Any]) -> None:
        if self.enabled:
            self._sections[code_id] = sections

    def forget(self, code_id: uuid.UUID) -> None:
        self._codes.pop(code_id, None)
        self._sections.pop(code_id, None)

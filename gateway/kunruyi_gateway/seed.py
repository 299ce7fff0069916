"""``python -m kunruyi_gateway seed``: the demo partner key and demo service codes (idempotent)."""

from __future__ import annotations

import uuid

from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.settings import ServiceSettings

from kunruyi_gateway.partners import service
from kunruyi_gateway.partners.models import AppKey
from kunruyi_gateway.service_codes.models import ServiceCode
from kunruyi_gateway.service_codes.tokens import code_token
from kunruyi_gateway.settings import Settings

DEMO_APP_KEY = "demo-partner"
DEMO_SECRET = "s3cr3t-demo"  # published in the partner guide: demo only
DEMO_CODES = [
    # (fixed id, kind, target, name, industry chain). The enterprise is one svc-talent's demo seed registers
    # (kunruyi_talent.seed, enterprise #2), so its page shows real policies, payments and brokers.
    (
        uuid.UUID("6f2f1c52-0000-4000-8000-000000000001"),
        "enterprise",
        "9132058300000ACL6L",
        "昆山凯博微电子有限公司",
        "集成电路",
    ),
    (uuid.UUID("6f2f1c52-0000-4000-8000-000000000002"), "park", "PARK-KSKJC", "昆山科技创业园", None),
    (uuid.UUID("6f2f1c52-0000-4000-8000-000000000003"), "lounge", "LOUNGE-KSRC", "昆山人才会客厅", None),
]


async def seed(settings: ServiceSettings) -> None:
    assert isinstance(settings, Settings)
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if await session.get(AppKey, DEMO_APP_KEY) is None:
                await service.create_key(
                    session,
                    settings.field_cipher(),
                    name="演示合作方（demo）",
                    scopes=list(service.SCOPES),
                    rate="6000/minute",
                    app_key=DEMO_APP_KEY,
                    secret=DEMO_SECRET,
                    is_demo=True,
                )
            for code_id, kind, target, name, chain in DEMO_CODES:
                if await session.get(ServiceCode, code_id) is None:
                    session.add(
                        ServiceCode(
                            id=code_id,
                            kind=kind,
                            target=target,
                            name=name,
                            industry_chain=chain,
                            created_by="seed",
                        )
                    )
        for code_id, _kind, _target, name, _chain in DEMO_CODES:
            print(f"{name}: {settings.public_base_url}/q/{code_token(code_id, settings.service_code_secret)}")
    finally:
        await engine.dispose()

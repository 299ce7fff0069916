"""The names of the companies and talents money goes to, a read model of svc-talent's registry events, so that
lists staff read (申报, 拨付, 报表) carry a name beside the code without a call per row. Declared on the service's one
metadata exactly as ``disbursement_0011``
(and ``disbursement_0012``, the qualification dates) create it."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, PrimaryKeyConstraint, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from kunruyi_disbursement.tables import metadata

entity_names = Table(
    "entity_names",
    metadata,
    Column("entity_type", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    # the registry event's time: a late, older event never overwrites a newer name
    Column("source_event_time", DateTime(timezone=True), nullable=False),
    # a company's qualifications as {kind: {"granted_on", "expires_on"}} (disbursement_0012): acceptance's green
    # channel reads when a company reached 高企/专精特新/瞪羚/独角兽培育/规上
    Column("qualification_dates", JSONB),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("entity_type", "entity_id", name="entity_names_pkey"),
)

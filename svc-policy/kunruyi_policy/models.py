"""The policy service's tables. Each domain declares its own in its ``models.py`` against ``db_base.Base``; this
module gathers them (and the kit's event and idempotency tables) into the one metadata the migrations and the
service use."""

from __future__ import annotations

from kunruyi_common.events import event_tables
from kunruyi_common.idempotency import idempotency_table

from kunruyi_policy.catalog.models import (
    CatalogRevision,
    Department,
    Policy,
    PolicyCategory,
    PolicyGroup,
    PolicyTheme,
    PolicyVersion,
)
from kunruyi_policy.db_base import Base
from kunruyi_policy.documents.models import PolicyDocument
from kunruyi_policy.entitlements.models import Entitlement, EntitlementRun
from kunruyi_policy.jobs.models import BackgroundJob
from kunruyi_policy.profiles.models import EntityProfile, ProgramAward
from kunruyi_policy.reach.models import PolicyReach

outbox_events, inbox_events = event_tables(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
# Triggers alembic does not see, by table (tests/test_models_match_migrations.py checks them against the database):
# each statement writing a catalog table changes the catalog's revision token (policy_0013, CatalogRevision).
Base.metadata.info["triggers"] = {
    table: ("bump_catalog_revision",)
    for table in (
        "policies",
        "policy_versions",
        "policy_groups",
        "departments",
        "policy_categories",
        "policy_themes",
    )
}

__all__ = [
    "BackgroundJob",
    "Base",
    "CatalogRevision",
    "Department",
    "Entitlement",
    "EntitlementRun",
    "EntityProfile",
    "Policy",
    "PolicyCategory",
    "PolicyDocument",
    "PolicyGroup",
    "PolicyReach",
    "PolicyTheme",
    "PolicyVersion",
    "ProgramAward",
]

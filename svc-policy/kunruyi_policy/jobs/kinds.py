"""The kinds of background job svc-policy runs, and what each does per chunk and when it ends."""

from __future__ import annotations

from kunruyi_policy.catalog_sheets import service as catalog_sheets
from kunruyi_policy.entitlements import service as entitlements
from kunruyi_policy.jobs.service import JobKind

KINDS: dict[str, JobKind] = {
    entitlements.ENTITLEMENT_RUN: JobKind(chunk=entitlements.run_chunk, ended=entitlements.run_ended),
    entitlements.POLICY_EVALUATION: JobKind(chunk=entitlements.publication_chunk),
    catalog_sheets.CATALOG_IMPORT: JobKind(chunk=catalog_sheets.import_chunk),
}

CHUNK_SIZES: dict[str, int] = {catalog_sheets.CATALOG_IMPORT: 50}
"""Entities per chunk where a kind's entity is much heavier than a profile (a catalog row writes a policy, a
version and their events); the others use the worker's ``chunk_size``."""

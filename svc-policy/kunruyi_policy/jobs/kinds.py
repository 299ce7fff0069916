"""The kinds of background job svc-policy runs, and what each does per chunk and when it ends."""

from __future__ import annotations

from kunruyi_policy.entitlements import service as entitlements
from kunruyi_policy.jobs.service import JobKind

KINDS: dict[str, JobKind] = {
    entitlements.ENTITLEMENT_RUN: JobKind(chunk=entitlements.run_chunk, ended=entitlements.run_ended),
    entitlements.POLICY_EVALUATION: JobKind(chunk=entitlements.publication_chunk),
}

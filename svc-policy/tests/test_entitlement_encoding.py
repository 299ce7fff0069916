"""The run's fast text (entitlements/encoding.py, the kit's EnvelopeWriter) against the canonical forms it stands in
for: ``entitlement_digest`` (json.dumps of the body + sha256), the pydantic ``EntitlementDetermined`` payload and
the kit's CloudEvent — byte for byte, over the varied entitlements of a synthetic read model, supplements with loan
keys, and text that needs escaping; and what ``record`` commits (rows and outbox envelopes) against the same."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from kunruyi_common.clock import local_today
from kunruyi_common.events import EnvelopeWriter, build_event
from kunruyi_policy.catalog import repository as catalog
from kunruyi_policy.demo.synthetic import synthetic_enterprises
from kunruyi_policy.entitlements.encoding import VersionText
from kunruyi_policy.entitlements.service import (
    SOURCE,
    Candidate,
    bulk_candidates,
    entitlement_digest,
    entitlement_id,
    entitlement_id_text,
    period_of,
    record,
    settle_candidates,
)
from kunruyi_policy.events import EntitlementDetermined
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PREFIX = "91320583ENC"


async def synthetic_candidates(session: AsyncSession, n: int = 600) -> list[Candidate]:
    """The settled candidates of ``n`` synthetic companies (some newly certified this year) in the read model."""
    rows = []
    for i, profile in enumerate(synthetic_enterprises(n, seed=23, certified_in=local_today().year)):
        rows.append({"i": f"{PREFIX}{i:07d}", "p": json.dumps(profile)})
    await session.execute(
        text(
            "INSERT INTO entity_profiles (entity_type, entity_id, name, profile) "
            "VALUES ('enterprise', :i, '', CAST(:p AS jsonb))"
        ),
        rows,
    )
    at = local_today()
    policies = await catalog.compiled_in_force(session, at, mode="automatic")
    counts = {
        "entities": 0,
        "evaluations": 0,
        "eligible": 0,
        "vectorised_policies": 0,
        "row_by_row_policies": 0,
    }
    return await settle_candidates(session, await bulk_candidates(session, policies, at, counts), at)


def odd_candidates(base: list[Candidate]) -> list[Candidate]:
    """Supplements with loan keys, quotes, backslashes, control characters and CJK text in ids and keys, inputs
    that are nested, missing or dates (json.dumps writes those with ``default=str``)."""
    out = []
    for n, c in enumerate(base[:40]):
        profile: dict[str, Any] = {
            **c.profile,
            "qualification_dates": {'高新"技术': {"granted_on": local_today()}},
            "extra": ["a\\b", "换\n行", None, 1.5],
        }
        for name in sorted(c.compiled.reads())[: n % 3]:
            profile.pop(name.split(".")[0], None)
        out.append(
            Candidate(
                c.compiled,
                c.entity_type,
                f'{c.entity_id}"\\\t昆山',
                c.amount_fen + n,
                profile,
                sequence=n % 4,
                supplement_of=uuid.uuid4() if n % 4 else None,
                loan_keys=[f'昆山农商银行|"L{n}"', "a\\b|\u2028"] if n % 2 else None,
            )
        )
    return out


def canonical_digest(c: Candidate, period: str, at: date) -> str:
    """The trace digest as the service's canonical function writes it."""
    return entitlement_digest(
        c.compiled, c.entity_type, c.entity_id, period, c.amount_fen, c.profile, at, c.sequence, c.loan_keys
    )


def canonical_payload(c: Candidate, eid: str, period: str, digest: str) -> EntitlementDetermined:
    """The payload as the model writes it (what the text encoding must equal)."""
    return EntitlementDetermined(
        entitlement_id=eid,
        policy_code=c.compiled.meta.code,
        policy_title=c.compiled.meta.title,
        department=c.compiled.meta.department,
        version=c.compiled.version,
        period=period,
        entity_type=c.entity_type,  # type: ignore[arg-type]
        entity_id=c.entity_id,
        amount_fen=c.amount_fen,
        trace_digest=digest,
        sequence=c.sequence,
        supplement_of=str(c.supplement_of) if c.supplement_of else None,
        loan_keys=c.loan_keys,
    )


async def test_fast_digests_and_payloads_are_the_canonical_bytes(session: AsyncSession) -> None:
    at = local_today()
    period = period_of(at)
    settled = await synthetic_candidates(session)
    candidates = settled + odd_candidates(settled)
    assert len({c.compiled.meta.code for c in candidates}) > 10  # many versions, many sets of inputs
    assert any(c.loan_keys for c in candidates) and any(c.sequence for c in candidates)
    texts: dict[int, VersionText] = {}
    for c in candidates:
        parts = texts.setdefault(id(c.compiled), VersionText(c.compiled, period, at))
        canonical = canonical_digest(c, period, at)
        digest = parts.digest(c.entity_type, c.entity_id, c.amount_fen, c.profile, c.sequence, c.loan_keys)
        assert digest == canonical, (c.compiled.meta.code, c.entity_id)
        eid = str(entitlement_id(c.compiled.meta.code, c.entity_type, c.entity_id, period, c.sequence))
        assert (
            entitlement_id_text(c.compiled.meta.code, c.entity_type, c.entity_id, period, c.sequence) == eid
        )
        supplement_of = str(c.supplement_of) if c.supplement_of else None
        model = canonical_payload(c, eid, period, digest)
        payload = parts.payload(
            eid, c.entity_type, c.entity_id, c.amount_fen, digest, c.sequence, supplement_of, c.loan_keys
        )
        assert payload == model.model_dump_json()
        # the envelope: as build_event makes it, at the writer's time
        time = datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC)
        event = build_event(SOURCE, model, subject=f"{c.entity_type}:{c.entity_id}", event_id=eid)
        event.time = time
        writer = EnvelopeWriter(SOURCE, EntitlementDetermined, time=time)
        assert writer.envelope(eid, f"{c.entity_type}:{c.entity_id}", payload) == event.model_dump_json()


async def test_the_payload_keeps_the_schemas_constraints(session: AsyncSession) -> None:
    at = local_today()
    c = (await synthetic_candidates(session, 50))[0]
    parts = VersionText(c.compiled, period_of(at), at)
    for bad in (
        {"amount_fen": 0},
        {"amount_fen": -5},
        {"sequence": -1},
        {"entity_type": "person"},
        {"amount_fen": 12.0},
    ):
        args: dict[str, Any] = {
            "entitlement_id": "x",
            "entity_type": "enterprise",
            "entity_id": "E",
            "amount_fen": 100,
            "trace_digest": "0" * 64,
            **bad,
        }
        with pytest.raises((ValueError, TypeError)):
            parts.payload(**args)


async def test_recorded_rows_and_envelopes_are_what_the_canonical_path_writes(session: AsyncSession) -> None:
    at = local_today()
    period = period_of(at)
    settled = await synthetic_candidates(session)
    candidates = settled + odd_candidates(settled)
    # one of them recorded already by an earlier transaction: its row stays, no second event
    assert await record(session, candidates[:1], at) == 1
    again = [*candidates[:1], *candidates]
    begun = datetime.now(UTC)
    created = await record(session, [*candidates[:1], *candidates], at)
    assert created == len({(c.compiled.meta.code, c.entity_id, c.sequence) for c in again}) - 1
    rows = {
        r[0]: r
        for r in await session.execute(
            text(
                "SELECT id, version, amount_fen, trace_digest, sequence, supplement_of, loan_keys "
                "FROM entitlements WHERE entity_id LIKE :p"
            ),
            {"p": PREFIX + "%"},
        )
    }
    envelopes = {
        r[0]: (r[1], r[2])
        for r in await session.execute(
            text(
                "SELECT envelope->>'id', subject, envelope FROM outbox_events "
                "WHERE type = 'kunruyi.policy.entitlement.determined' AND envelope->'data'->>'entity_id' LIKE :p"
            ),
            {"p": PREFIX + "%"},
        )
    }
    assert len(rows) == len(envelopes) == created + 1
    for c in candidates:
        eid = entitlement_id(c.compiled.meta.code, c.entity_type, c.entity_id, period, c.sequence)
        digest = canonical_digest(c, period, at)
        _, version, amount, trace_digest, sequence, supplement_of, loan_keys = rows[eid]
        assert (version, amount, trace_digest, sequence, supplement_of, loan_keys) == (
            c.compiled.version,
            c.amount_fen,
            digest,
            c.sequence,
            c.supplement_of,
            c.loan_keys,
        )
        subject, envelope = envelopes[str(eid)]
        event = build_event(
            SOURCE,
            canonical_payload(c, str(eid), period, digest),
            subject=f"{c.entity_type}:{c.entity_id}",
            event_id=str(eid),
        )
        expected = event.model_dump(mode="json")
        if c is not candidates[0]:
            assert datetime.fromisoformat(envelope["time"]) >= begun.replace(microsecond=0)
        expected["time"] = envelope["time"]
        assert envelope == expected
        assert subject == event.subject

"""免申即享: determine entitlements exactly once per (policy, entity, period) and announce them through the outbox.

The unique ``entitlements`` row is the guard: an entitlement's event is staged only in the transaction that
inserted its row, so a redelivered profile event, a second run or a concurrent run can never emit it twice.
A financing item's period may also get supplements (补充认定, ``sequence`` ≥ 1) for loans that closed after its
entitlement was determined, each its own row, id and event (entitlements/loans.py): once per loan.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from kunruyi_common.clock import local_today
from kunruyi_common.events import EnvelopeWriter, add_envelopes
from sqlalchemy import func, literal, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.entitlements import loans
from kunruyi_policy.entitlements.encoding import VersionText, uuid5_text
from kunruyi_policy.entitlements.exceptions import EvaluationDateInFuture
from kunruyi_policy.events import EntitlementDetermined
from kunruyi_policy.jobs import service as jobs
from kunruyi_policy.models import BackgroundJob, EntitlementRun, EntityProfile
from kunruyi_policy.profiles.period import UNKNOWN_KEY, for_period
from kunruyi_policy.rules.bulk import Columns, evaluate_bulk
from kunruyi_policy.rules.evaluation import ELIGIBLE, CompiledVersion, evaluate_version, reads_unknown
from kunruyi_policy.rules.jsonlogic import resolve_var, split_path
from kunruyi_policy.rules.stacking import settle
from kunruyi_policy.rules.variables import INTEREST_FIGURES

SOURCE = "policy"
ENTITLEMENT_NAMESPACE = uuid.UUID("5b0f6a52-3c1e-4c55-9a55-6b756e727579")
ENTITY_TYPES = ("enterprise", "talent")
_CHUNK = 2000
# the kinds of background job (jobs/) this module does
ENTITLEMENT_RUN = "entitlement_run"
POLICY_EVALUATION = "policy_evaluation"


def entitlement_id(
    policy_code: str, entity_type: str, entity_id: str, period: str, sequence: int = 0
) -> uuid.UUID:
    """Deterministic: the period's entitlement over policy|type|entity|period, its n-th supplement with ``|n``."""
    name = f"{policy_code}|{entity_type}|{entity_id}|{period}"
    return uuid.uuid5(ENTITLEMENT_NAMESPACE, name if sequence == 0 else f"{name}|{sequence}")


def entitlement_id_text(
    policy_code: str, entity_type: str, entity_id: str, period: str, sequence: int = 0
) -> str:
    """``str(entitlement_id(...))``, cheaper (a run writes hundreds of thousands)."""
    name = f"{policy_code}|{entity_type}|{entity_id}|{period}"
    return uuid5_text(ENTITLEMENT_NAMESPACE, name if sequence == 0 else f"{name}|{sequence}")


def period_of(at: date) -> str:
    return str(at.year)


def entitlement_digest(
    compiled: CompiledVersion,
    entity_type: str,
    entity_id: str,
    period: str,
    amount_fen: int,
    profile: dict[str, Any],
    at: date,
    sequence: int = 0,
    loan_keys: list[str] | None = None,
) -> str:
    """sha256 over what decided the entitlement: inputs read, parameter values in force, version and amount
    (and, for a financing item, the loans covered and the supplement's sequence)."""
    names = sorted({v for c in compiled.criteria for v in c.variables} | set(compiled.amount_variables))
    body = {
        "policy_code": compiled.meta.code,
        "version": compiled.version,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "period": period,
        "amount_fen": amount_fen,
        "inputs": {n: resolve_var(profile, split_path(n)) for n in names},
        "parameters": compiled.parameters_at(at),
    }
    if sequence:
        body["sequence"] = sequence
    if loan_keys is not None:
        body["loan_keys"] = loan_keys
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


@dataclass
class Candidate:
    compiled: CompiledVersion
    entity_type: str
    entity_id: str
    amount_fen: int
    profile: dict[str, Any]
    # 补充认定: 0 the period's entitlement, n ≥ 1 a supplement of ``supplement_of`` covering ``loan_keys``
    sequence: int = 0
    supplement_of: uuid.UUID | None = None
    loan_keys: list[str] | None = None
    # the entity holds this (policy, period, sequence) already (read by ``settle_candidates`` in this transaction):
    # ``record`` passes it over
    held: bool = False


# One statement per batch whatever its size (arrays, not one bind parameter per value): a run's chunk of thousands
# of entitlements costs a round trip, not a compiled statement of tens of thousands of parameters.
# loan keys travel as one JSON array text per row (a text[][] would have to be rectangular)
_INSERT = text(
    "INSERT INTO entitlements (id, policy_code, entity_type, entity_id, period, version, amount_fen, run_id, "
    "trace_digest, sequence, supplement_of, loan_keys) "
    "SELECT id, c, t, i, p, v, a, r, d, s, so, CASE WHEN lk IS NULL THEN NULL "
    "ELSE ARRAY(SELECT jsonb_array_elements_text(CAST(lk AS jsonb))) END "
    "FROM unnest(CAST(:id AS uuid[]), CAST(:c AS text[]), CAST(:t AS text[]), CAST(:i AS text[]), "
    "CAST(:p AS text[]), CAST(:v AS integer[]), CAST(:a AS bigint[]), CAST(:r AS uuid[]), CAST(:d AS text[]), "
    "CAST(:s AS integer[]), CAST(:so AS uuid[]), CAST(:lk AS text[])) AS x(id, c, t, i, p, v, a, r, d, s, so, lk) "
    "ON CONFLICT DO NOTHING RETURNING CAST(id AS text)"
)


async def record(
    session: AsyncSession, candidates: list[Candidate], at: date, run_id: uuid.UUID | None = None
) -> int:
    """Insert the entitlements not yet determined and stage one event for each; returns how many were new.

    A candidate ``settle_candidates`` found held already (``held``) is skipped; the others are inserted with
    ``ON CONFLICT DO NOTHING RETURNING id``, so a row a concurrent writer committed meanwhile stays theirs and only
    the rows this statement inserted get an event. Digests and payloads are written from each version's parts
    encoded once (entitlements/encoding.py: the same text as ``entitlement_digest`` and the pydantic payload)."""
    period = period_of(at)
    created = 0
    texts: dict[int, VersionText] = {}
    for start in range(0, len(candidates), _CHUNK):
        fresh = [c for c in candidates[start : start + _CHUNK] if not c.held]
        if not fresh:
            continue
        ids: list[str] = []
        digests: list[str] = []
        loan_keys: list[str | None] = []
        for c in fresh:
            compiled = c.compiled
            parts = texts.get(id(compiled))
            if parts is None:
                parts = texts[id(compiled)] = VersionText(compiled, period, at)
            ids.append(
                entitlement_id_text(compiled.meta.code, c.entity_type, c.entity_id, period, c.sequence)
            )
            digests.append(
                parts.digest(c.entity_type, c.entity_id, c.amount_fen, c.profile, c.sequence, c.loan_keys)
            )
            loan_keys.append(None if c.loan_keys is None else json.dumps(c.loan_keys, ensure_ascii=False))
        # ON CONFLICT covers a concurrent writer since the entity's entitlements were read.
        inserted = set(
            (
                await session.execute(
                    _INSERT,
                    {
                        "id": ids,
                        "c": [c.compiled.meta.code for c in fresh],
                        "t": [c.entity_type for c in fresh],
                        "i": [c.entity_id for c in fresh],
                        "p": [period] * len(fresh),
                        "v": [c.compiled.version for c in fresh],
                        "a": [c.amount_fen for c in fresh],
                        "r": [run_id] * len(fresh),
                        "d": digests,
                        "s": [c.sequence for c in fresh],
                        "so": [c.supplement_of for c in fresh],
                        "lk": loan_keys,
                    },
                )
            ).scalars()
        )
        if not inserted:
            continue
        writer = EnvelopeWriter(SOURCE, EntitlementDetermined)
        event_ids: list[str] = []
        subjects: list[str | None] = []
        envelopes: list[str] = []
        for c, eid, digest in zip(fresh, ids, digests, strict=True):
            if eid not in inserted:
                continue
            inserted.discard(eid)  # a candidate twice in one batch: one row, one event
            subject = f"{c.entity_type}:{c.entity_id}"
            payload = texts[id(c.compiled)].payload(
                eid,
                c.entity_type,
                c.entity_id,
                c.amount_fen,
                digest,
                c.sequence,
                str(c.supplement_of) if c.supplement_of else None,
                c.loan_keys,
            )
            event_ids.append(eid)
            subjects.append(subject)
            envelopes.append(writer.envelope(eid, subject, payload))
        await add_envelopes(session, writer.type, event_ids, subjects, envelopes)
        created += len(event_ids)
    return created


async def determine_for_entity(
    session: AsyncSession, entity_type: str, entity_id: str, profile: dict[str, Any], at: date | None = None
) -> int:
    """After a profile change: the automatic policies in force for this entity, evaluated one by one."""
    at = at or local_today()
    policies = await repository.compiled_in_force(session, at, beneficiary=entity_type, mode="automatic")
    unknown = frozenset(profile.get(UNKNOWN_KEY) or ())
    key = (entity_type, entity_id)
    subsidised = (await loans.subsidised_loans(session, {key: profile}, at)).get(key, frozenset())
    view = for_period(entity_type, profile, at, subsidised)
    candidates = []
    for _, compiled in policies:
        if reads_unknown(compiled, unknown):
            continue  # a figure the policy reads is unknown: needs data, never paid on a made-up 0
        result = evaluate_version(compiled, view, at, explain=False)
        if result["status"] == ELIGIBLE and result["amount_fen"]:
            candidates.append(Candidate(compiled, entity_type, entity_id, result["amount_fen"], view))
    return await record(session, await settle_candidates(session, candidates, at), at)


async def load_columns(
    session: AsyncSession, entity_type: str, at: date | None = None
) -> tuple[list[str], Columns]:
    """The read model as columns, with the period variables computed for ``at`` (default today)."""
    at = at or local_today()
    rows = (
        await session.execute(
            select(EntityProfile.entity_id, EntityProfile.profile)
            .where(EntityProfile.entity_type == entity_type)
            .order_by(EntityProfile.entity_id)
        )
    ).all()
    subsidised = await loans.subsidised_loans(session, {(entity_type, r[0]): r[1] for r in rows}, at)
    views = [
        for_period(entity_type, r[1], at, subsidised.get((entity_type, r[0]), frozenset())) for r in rows
    ]
    return [r[0] for r in rows], Columns(entity_type, views)


def unknown_mask(columns: Columns, compiled: CompiledVersion) -> npt.NDArray[np.bool_] | None:
    """Entities for which a figure this version reads is unknown (``_unknown`` of the stored profile)."""
    names = {v for c in compiled.criteria for v in c.variables} | set(compiled.amount_variables)
    mask: npt.NDArray[np.bool_] | None = None
    for name in sorted(names):
        column = columns.unknown(name)
        if column is not None:
            mask = column if mask is None else mask | column
    return mask


def candidates_of(
    compiled_versions: list[CompiledVersion],
    entity_type: str,
    ids: list[str],
    columns: Columns,
    at: date,
    counts: dict[str, int],
) -> list[Candidate]:
    """The eligible (status, positive amount) results of these versions over these entities, vectorised."""
    candidates: list[Candidate] = []
    for compiled in compiled_versions:
        result = evaluate_bulk(compiled, columns, at)
        counts["evaluations"] += len(ids)
        counts["vectorised_policies" if result.vectorised else "row_by_row_policies"] += 1
        decided = (result.status == 0) & (result.amount_fen > 0)
        missing = unknown_mask(columns, compiled)
        if missing is not None:
            counts["needs_data"] = counts.get("needs_data", 0) + int((decided & missing).sum())
            decided &= ~missing
        hits = np.flatnonzero(decided)
        counts["eligible"] += len(hits)
        for i in hits.tolist():
            candidates.append(
                Candidate(compiled, entity_type, ids[i], int(result.amount_fen[i]), columns.profiles[i])
            )
    return candidates


async def bulk_candidates(
    session: AsyncSession, policies: list[tuple[Any, CompiledVersion]], at: date, counts: dict[str, int]
) -> list[Candidate]:
    candidates: list[Candidate] = []
    for entity_type in ENTITY_TYPES:
        relevant = [c for p, c in policies if p.beneficiary == entity_type]
        if not relevant:
            continue
        ids, columns = await load_columns(session, entity_type, at)
        counts["entities"] += len(ids)
        if not ids:
            continue
        candidates.extend(candidates_of(relevant, entity_type, ids, columns, at, counts))
    return candidates


def settle_entity(
    items: list[Candidate], past: list[tuple[str, str, int]], metas: dict[str, Any], period: str
) -> list[Candidate]:
    """One entity's candidates that may be determined, given its entitlements so far (``past``: policy code,
    period, amount) and the automatic items in force (``metas``, by code)."""
    this_period = {code for code, p, _ in past if p == period}
    earlier = {code for code, p, _ in past if p != period}
    held_groups: dict[str, str] = {}
    paid: dict[str, int] = {}
    for code, p, amount in past:
        meta = metas.get(code)
        if p != period or meta is None:
            continue
        if meta.exclusion_group:
            held_groups[meta.exclusion_group] = code
        if meta.stacking_group:
            paid[meta.stacking_group] = paid.get(meta.stacking_group, 0) + amount
    fresh = [
        c
        for c in items
        if c.compiled.meta.code not in this_period
        and not (c.compiled.meta.once_per_entity and c.compiled.meta.code in earlier)
        and not (c.compiled.meta.exclusion_group and c.compiled.meta.exclusion_group in held_groups)
    ]
    # already determined this period: passed on as they are (``record`` recognises them)
    kept = [c for c in items if c.compiled.meta.code in this_period]
    settled = settle([(c.compiled.meta, ELIGIBLE, c.amount_fen) for c in fresh], paid)
    for c, (status, granted, _) in zip(fresh, settled, strict=True):
        if status == ELIGIBLE and granted is not None and granted > 0:
            c.amount_fen = granted
            kept.append(c)
    return kept


async def settle_candidates(session: AsyncSession, candidates: list[Candidate], at: date) -> list[Candidate]:
    """Per entity, the eligible items that may actually be determined: exclusion groups (就高不重复) and stacking
    caps (rules/stacking.py, as in the calculator), a one-off award never twice, and an exclusion group or a cap
    already used this period by entitlements determined earlier. A candidate the entity holds already this period
    comes back marked ``held`` (``record`` passes it over)."""
    if not candidates:
        return []
    period = period_of(at)
    by_entity: dict[tuple[str, str], list[Candidate]] = {}
    for c in candidates:
        by_entity.setdefault((c.entity_type, c.entity_id), []).append(c)
    held = await loans.held_by(session, by_entity)
    # every automatic item in force, so that an entitlement of another tier determined earlier is recognised
    in_force = await repository.compiled_in_force(session, at, mode="automatic")
    metas = {meta.code: meta for meta, _ in in_force}
    interest = frozenset(c.meta.code for _, c in in_force if c.reads() & INTEREST_FIGURES)
    kept: list[Candidate] = []
    for key, items in by_entity.items():
        past = held.get(key, [])
        settled = settle_entity(items, [(h.policy_code, h.period, h.amount_fen) for h in past], metas, period)
        out = with_loans(settled, past, interest, at, period)
        have = {(h.policy_code, h.sequence) for h in past if h.period == period}
        if have:
            for c in out:
                c.held = (c.compiled.meta.code, c.sequence) in have
        kept.extend(out)
    return kept


def with_loans(
    items: list[Candidate], held: list[loans.Held], interest: frozenset[str], at: date, period: str
) -> list[Candidate]:
    """One entity's settled candidates with the loans each financing item covers, and a supplement (补充认定) after
    every financing item already determined this period for which loans closed since yield more."""
    out: list[Candidate] = []
    determined = {h.policy_code for h in held if h.period == period}
    for c in items:
        out.append(c)
        if not loans.financing_reads(c.compiled):
            continue
        subsidised = loans.subsidised_of(c.profile.get("financings") or {}, held, interest)
        if c.compiled.meta.code not in determined:
            c.loan_keys = loans.base_loan_keys(c.compiled, c.profile, at, subsidised)
            continue
        supplement = loans.supplement_for(c.compiled, c.profile, at, period, held, subsidised)
        if supplement is None:
            continue
        view = for_period(c.entity_type, {**c.profile, "financings": supplement.financings}, at, subsidised)
        result = evaluate_version(c.compiled, view, at, explain=False)
        amount = int(result["amount_fen"] or 0) if result["status"] == ELIGIBLE else 0
        if supplement.room_fen is not None:
            amount = min(amount, supplement.room_fen)
        if amount > 0:
            out.append(
                Candidate(
                    c.compiled,
                    c.entity_type,
                    c.entity_id,
                    amount,
                    view,
                    sequence=supplement.sequence,
                    supplement_of=supplement.supplement_of,
                    loan_keys=supplement.loan_keys,
                )
            )
    return out


async def catalog_digest(session: AsyncSession, policies: list[tuple[Any, CompiledVersion]]) -> str:
    watermark = (
        await session.execute(
            select(func.count(), func.max(EntityProfile.updated_at)).select_from(EntityProfile)
        )
    ).one()
    body = {
        "policies": sorted((c.meta.code, c.version) for _, c in policies),
        "profiles": [watermark[0], watermark[1].isoformat() if watermark[1] else None],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


async def start_run(
    session: AsyncSession, at: date, started_by: str | None, *, department: str | None = None
) -> tuple[EntitlementRun, BackgroundJob, bool]:
    """Queue a full run as a background job; the same period and catalog/read-model state returns the existing
    run and its job instead (a run that was cancelled or failed is queued again, with a new job).

    ``department``: the starter's; the job belongs to it (every department reads a run's progress, only that
    department and admins cancel it: jobs/access.py).

    A run determines payable entitlements, so it cannot be dated in the future: that would pay a period early.
    """
    if at > local_today():
        raise EvaluationDateInFuture(
            f"批次的评估日期 {at.isoformat()} 晚于今天，不能提前认定以后期间的兑现",
            field="evaluation_date",
        )
    period = period_of(at)
    policies = await repository.compiled_in_force(session, at, mode="automatic")
    digest = await catalog_digest(session, policies)
    run_id = uuid.uuid4()
    inserted = (
        await session.execute(
            insert(EntitlementRun)
            .values(
                id=run_id,
                period=period,
                evaluation_date=at,
                catalog_digest=digest,
                status="queued",
                counts={},
                started_by=started_by,
            )
            .on_conflict_do_nothing()
            .returning(EntitlementRun.id)
        )
    ).scalar_one_or_none()
    if inserted is None:
        existing = (
            await session.execute(
                select(EntitlementRun)
                .where(EntitlementRun.period == period, EntitlementRun.catalog_digest == digest)
                .with_for_update()
            )
        ).scalar_one()
        job = await jobs.get_job(session, existing.job_id) if existing.job_id else None
        if job is not None and existing.status not in ("cancelled", "failed"):
            return existing, job, False
        existing.status = "queued"
        existing.finished_at = None
        existing.duration_ms = None
        job = await _queue_run(session, existing, policies, started_by, department)
        return existing, job, True
    run = await session.get(EntitlementRun, run_id)
    assert run is not None
    return run, await _queue_run(session, run, policies, started_by, department), True


async def _entity_total(session: AsyncSession, entity_types: list[str]) -> int:
    if not entity_types:
        return 0
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(EntityProfile)
                .where(EntityProfile.entity_type.in_(entity_types))
            )
        ).scalar_one()
    )


def _beneficiaries(policies: list[tuple[Any, CompiledVersion]]) -> list[str]:
    return sorted({p.beneficiary for p, _ in policies} & set(ENTITY_TYPES))


async def _queue_run(
    session: AsyncSession,
    run: EntitlementRun,
    policies: list[tuple[Any, CompiledVersion]],
    started_by: str | None,
    department: str | None,
) -> BackgroundJob:
    job = await jobs.enqueue(
        session,
        kind=ENTITLEMENT_RUN,
        subject=f"entitlement-run:{run.id}",
        params={"run_id": str(run.id), "evaluation_date": run.evaluation_date.isoformat()},
        total=await _entity_total(session, _beneficiaries(policies)),
        created_by=started_by,
        department=department,
    )
    run.job_id = job.id
    run.counts = {}
    await session.flush()
    return job


async def queue_publication(
    session: AsyncSession, code: str, version: int, created_by: str | None, *, department: str | None = None
) -> BackgroundJob | None:
    """After an automatic policy is published: a job evaluating every entity of the read model against it
    (``determine_chunk`` with that one policy), or nothing when no entity of its beneficiary type is held.
    ``department``: the policy's, to which the job belongs (whoever published it: an admin may)."""
    at = local_today()
    policies = await repository.compiled_in_force(session, at, mode="automatic", codes=[code])
    total = await _entity_total(session, _beneficiaries(policies))
    if total == 0:
        return None
    return await jobs.enqueue(
        session,
        kind=POLICY_EVALUATION,
        subject=f"policy:{code}:{version}",
        params={"policy_code": code, "version": version, "evaluation_date": at.isoformat()},
        total=total,
        created_by=created_by,
        department=department,
    )


async def determine_chunk(
    session: AsyncSession,
    at: date,
    *,
    codes: list[str] | None,
    after: dict[str, Any] | None,
    limit: int,
    run_id: uuid.UUID | None = None,
) -> jobs.Chunk:
    """The next at most ``limit`` entities of the read model after ``after`` (keyset on entity type and id),
    against the automatic policies in force (or ``codes``): evaluated vectorised, settled per entity, recorded
    once each (``record``: the unique row guards a chunk done twice). Runs in the caller's transaction."""
    policies = await repository.compiled_in_force(session, at, mode="automatic", codes=codes)
    types = _beneficiaries(policies)
    counts = {"entities": 0, "evaluations": 0, "eligible": 0, "needs_data": 0, "settled": 0, "determined": 0}
    per_type = {"vectorised_policies": 0, "row_by_row_policies": 0}
    gauges = {"policies": len(policies)}
    if not types:
        return jobs.Chunk(0, after, counts, gauges, finished=True)
    query = select(EntityProfile.entity_type, EntityProfile.entity_id, EntityProfile.profile).where(
        EntityProfile.entity_type.in_(types)
    )
    if after is not None:
        query = query.where(
            tuple_(EntityProfile.entity_type, EntityProfile.entity_id)
            > tuple_(literal(after["entity_type"]), literal(after["entity_id"]))
        )
    rows = (
        await session.execute(query.order_by(EntityProfile.entity_type, EntityProfile.entity_id).limit(limit))
    ).all()
    candidates: list[Candidate] = []
    for entity_type in types:
        part = [r for r in rows if r[0] == entity_type]
        relevant = [c for p, c in policies if p.beneficiary == entity_type]
        if not part or not relevant:
            continue
        subsidised = await loans.subsidised_loans(session, {(entity_type, r[1]): r[2] for r in part}, at)
        columns = Columns(
            entity_type,
            [
                for_period(entity_type, r[2], at, subsidised.get((entity_type, r[1]), frozenset()))
                for r in part
            ],
        )
        tally = {**counts, **per_type}
        found = candidates_of(relevant, entity_type, [r[1] for r in part], columns, at, tally)
        candidates.extend(found)
        for name in counts:
            counts[name] = tally[name]
        for name in per_type:
            gauges[name] = gauges.get(name, 0) + tally[name]
    counts["entities"] = len(rows)
    settled = await settle_candidates(session, candidates, at)
    counts["settled"] = len(settled)
    counts["determined"] = await record(session, settled, at, run_id)
    cursor = {"entity_type": rows[-1][0], "entity_id": rows[-1][1]} if rows else after
    return jobs.Chunk(len(rows), cursor, counts, gauges, finished=len(rows) < limit)


def _run_id(job: BackgroundJob) -> uuid.UUID:
    return uuid.UUID(str(job.params["run_id"]))


async def run_chunk(session: AsyncSession, job: BackgroundJob, limit: int) -> jobs.Chunk:
    """One chunk of a full 免申即享 run (job kind ``entitlement_run``)."""
    run = await session.get(EntitlementRun, _run_id(job))
    if run is not None and run.status == "queued":
        run.status = "running"
    return await determine_chunk(
        session,
        date.fromisoformat(str(job.params["evaluation_date"])),
        codes=None,
        after=job.cursor,
        limit=limit,
        run_id=_run_id(job),
    )


def run_counts(counts: dict[str, Any]) -> dict[str, int]:
    """A run's counts from its job's: what was eligible, settled, newly determined, excluded or held already."""
    out = {name: int(value) for name, value in counts.items()}
    for name in ("policies", "entities", "evaluations", "eligible", "settled", "determined"):
        out.setdefault(name, 0)
    out.setdefault("vectorised_policies", 0)
    out.setdefault("row_by_row_policies", 0)
    out["excluded"] = out["eligible"] - out["settled"]
    out["already_determined"] = out["settled"] - out["determined"]
    return out


async def run_ended(session: AsyncSession, job: BackgroundJob) -> None:
    """The run's status, counts and duration when its job ends (in the same transaction)."""
    run = await session.get(EntitlementRun, _run_id(job), populate_existing=True)
    if run is None or run.job_id != job.id:
        return
    run.status = {"succeeded": "completed"}.get(job.status, job.status)
    run.counts = run_counts(job.counts or {})
    run.finished_at = job.finished_at or datetime.now(UTC)
    begun = job.started_at or run.started_at
    run.duration_ms = int((run.finished_at - begun).total_seconds() * 1000)


async def publication_chunk(session: AsyncSession, job: BackgroundJob, limit: int) -> jobs.Chunk:
    """One chunk of a publication's re-evaluation (job kind ``policy_evaluation``): that policy only."""
    return await determine_chunk(
        session,
        date.fromisoformat(str(job.params["evaluation_date"])),
        codes=[str(job.params["policy_code"])],
        after=job.cursor,
        limit=limit,
    )


def run_public(run: EntitlementRun) -> dict[str, Any]:
    return {
        "id": str(run.id),
        "period": run.period,
        "evaluation_date": run.evaluation_date,
        "status": run.status,
        "catalog_digest": run.catalog_digest,
        "counts": run.counts,
        "duration_ms": run.duration_ms,
        "started_by": run.started_by,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "job_id": str(run.job_id) if run.job_id else None,
        "job_url": jobs.job_url(run.job_id) if run.job_id else None,
    }

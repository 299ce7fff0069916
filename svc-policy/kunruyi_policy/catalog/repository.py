"""Reads of the catalog and of the versions in force; compiled rules are cached by immutable version id."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from kunruyi_policy.models import (
    CatalogRevision,
    Department,
    Policy,
    PolicyCategory,
    PolicyGroup,
    PolicyTheme,
    PolicyVersion,
)
from kunruyi_policy.rules.evaluation import CompiledVersion, PolicyMeta, compile_version


@dataclass(frozen=True)
class Names:
    departments: dict[str, str]
    categories: dict[str, str]
    themes: dict[str, str]
    group_caps: dict[str, int | None]


async def load_names(session: AsyncSession) -> Names:
    departments = dict((await session.execute(select(Department.code, Department.name))).all())
    categories = dict((await session.execute(select(PolicyCategory.code, PolicyCategory.name))).all())
    themes = dict((await session.execute(select(PolicyTheme.code, PolicyTheme.name))).all())
    caps = dict((await session.execute(select(PolicyGroup.code, PolicyGroup.annual_cap_fen))).all())
    return Names(departments, categories, themes, caps)


async def get_policy(session: AsyncSession, code: str) -> Policy | None:
    return (await session.execute(select(Policy).where(Policy.code == code))).scalar_one_or_none()


async def versions_of(session: AsyncSession, policy_id: uuid.UUID) -> list[PolicyVersion]:
    rows = await session.execute(
        select(PolicyVersion).where(PolicyVersion.policy_id == policy_id).order_by(PolicyVersion.version)
    )
    return list(rows.scalars())


def version_in_force(versions: list[PolicyVersion], at: date) -> PolicyVersion | None:
    candidates = [
        v for v in versions if v.state == "published" and v.effective_from and v.effective_from <= at
    ]
    return max(candidates, key=lambda v: (v.effective_from, v.version)) if candidates else None


def in_force_query(at: date) -> Select[Policy, PolicyVersion]:
    return (
        select(Policy, PolicyVersion)
        .join(PolicyVersion, PolicyVersion.policy_id == Policy.id)
        .where(
            Policy.status == "published",
            Policy.valid_from <= at,
            or_(Policy.valid_to.is_(None), Policy.valid_to >= at),
            and_(PolicyVersion.state == "published", PolicyVersion.effective_from <= at),
        )
        .order_by(Policy.code, PolicyVersion.effective_from.desc(), PolicyVersion.version.desc())
    )


_COMPILED: dict[uuid.UUID, CompiledVersion] = {}


def compiled(policy: Policy, version: PolicyVersion, names: Names) -> CompiledVersion:
    """Published versions never change, so their compiled rules are reused across requests (with fresh metadata)."""
    meta = meta_of(policy, names)
    cached = _COMPILED.get(version.id)
    if cached is not None and version.state == "published":
        if cached.meta != meta:
            cached = _COMPILED[version.id] = replace(cached, meta=meta)
        return cached
    result = compile_version(
        meta,
        version.version,
        version.effective_from,
        version.criteria,
        version.amount,
        version.amount_cap_fen,
        version.parameters,
    )
    if version.state == "published":
        _COMPILED[version.id] = result
    return result


def meta_of(policy: Policy, names: Names) -> PolicyMeta:
    return PolicyMeta(
        code=policy.code,
        title=policy.title,
        department=names.departments.get(policy.department_code, ""),
        category=names.categories.get(policy.category_code, ""),
        theme=names.themes.get(policy.theme_code, ""),
        policy_type=policy.policy_type,
        beneficiary=policy.beneficiary,
        mode=policy.mode,
        annual_budget_fen=policy.annual_budget_fen,
        legal_source=policy.legal_source,
        document_code=policy.document_code,
        benefit_kind=policy.benefit_kind,
        exclusion_group=policy.exclusion_group,
        stacking_group=policy.stacking_group,
        stacking_cap_fen=names.group_caps.get(policy.stacking_group) if policy.stacking_group else None,
        once_per_entity=policy.once_per_entity,
    )


# The catalog's revision token: a trigger changes it with every write to the tables compiled versions and their
# metadata come from (migration policy_0013), so one primary-key read tells whether the compiled catalog is current.
_CATALOG_REVISION = select(CatalogRevision.token).where(CatalogRevision.id == 1)
_IN_FORCE_CACHE: dict[tuple[Any, ...], list[tuple[PolicyMeta, CompiledVersion]]] = {}


class RevisionWatch:
    """The catalog revision token last read by this process, per database, and when: lets the calculator answer
    from the compiled catalog without a database round trip while that read is recent.

    Bound: a catalog write committed by any replica at time *w* is seen by every calculator answer that starts
    after *w* + ``max_age_s`` (an answer uses a token whose read began less than ``max_age_s`` before it started).
    A write committed through this process is seen at once: the app's after-commit hook calls :meth:`forget`, and
    a read that was under way while it ran is not kept (``generation``). ``max_age_s = 0`` reads the token for
    every answer.

    One read at a time per database (the others wait for it instead of all checking out a connection when the
    token ages out together), and once the token is half the bound old the next answer reads it while the others
    still use it, so under steady load nobody waits."""

    def __init__(self, max_age_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self.clock = clock
        self.generation = 0
        self._seen: dict[Any, tuple[Any, float]] = {}
        self._reading: dict[Any, tuple[asyncio.Future[Any], float]] = {}

    def recent(self, database: Any) -> Any | None:
        """The token read for ``database`` less than ``max_age_s`` ago, or None."""
        seen = self._seen.get(database)
        if seen is None or self.clock() - seen[1] >= self.max_age_s:
            return None
        return seen[0]

    def saw(self, database: Any, token: Any, read_since: float, generation: int) -> None:
        """``token`` was read for ``database`` by a read begun at ``read_since`` (this watch's clock) in
        ``generation``; kept unless :meth:`forget` ran meanwhile."""
        if generation == self.generation and self.max_age_s > 0:
            self._seen[database] = (token, read_since)

    def forget(self) -> None:
        """This process committed something (perhaps to the catalog): the next answer reads the token."""
        self.generation += 1
        self._seen.clear()
        self._reading.clear()

    async def token(self, database: Any, read: Callable[[], Awaitable[Any]]) -> Any:
        """The revision token for an answer starting now: the recent one, the one a read under way (begun within
        the bound) gives, or ``read()``'s own."""
        now = self.clock()
        seen = self._seen.get(database)
        pending = self._reading.get(database)
        if seen is not None:
            age = now - seen[1]
            if age < self.max_age_s and (age < self.max_age_s / 2 or pending is not None):
                return seen[0]
        if pending is not None and pending[1] > now - self.max_age_s:
            try:
                return await asyncio.shield(pending[0])
            except Exception:  # that read failed (its own request reports it): read again here
                pass
        generation = self.generation
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._reading[database] = (future, now)
        try:
            token = await read()
        except BaseException as exc:
            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("read cancelled"))
            future.exception()  # retrieved: waiters, if any, read again
            raise
        else:
            future.set_result(token)
            if token is not None:
                self.saw(database, token, now, generation)
            return token
        finally:
            if self._reading.get(database, (None,))[0] is future:
                del self._reading[database]


# The calculator's watch; configured from the settings and hooked to the app's commits at startup.
REVISION_WATCH = RevisionWatch()


def _fresh_engine_session(session: AsyncSession) -> AsyncEngine | None:
    """The engine of a session that has begun nothing yet (it sees only committed data, as another replica
    would), or None for a session already in a transaction, which may hold its own uncommitted catalog writes."""
    bind = session.bind
    if isinstance(bind, AsyncEngine) and not session.in_transaction():
        return bind
    return None


async def compiled_in_force(
    session: AsyncSession,
    at: date,
    *,
    beneficiary: str | None = None,
    mode: str | None = None,
    codes: list[str] | None = None,
    watch: RevisionWatch | None = None,
) -> list[tuple[PolicyMeta, CompiledVersion]]:
    """The compiled versions in force on ``at``; reused while the catalog's revision token is unchanged.

    The token is read in the caller's transaction: a change the caller made and has not committed has its own
    token (cached apart), and a rolled-back change restores the previous one. With a ``watch`` (the calculator's
    read-only answers) a fresh session reuses a token the process read less than ``watch.max_age_s`` ago instead
    of reading it (see :class:`RevisionWatch` for the bound); writers and the 免申即享 runs pass none."""
    engine = _fresh_engine_session(session) if watch is not None else None

    async def read() -> Any:
        return (await session.execute(_CATALOG_REVISION)).scalar_one_or_none()

    token = await (watch.token(engine.url, read) if watch is not None and engine is not None else read())
    if token is None:  # no revision row (a database emptied by hand): nothing to key a cache on
        return await _load_in_force(session, at, beneficiary=beneficiary, mode=mode, codes=codes)
    key = (token, at, beneficiary, mode, tuple(codes) if codes is not None else None)
    cached = _IN_FORCE_CACHE.get(key)
    if cached is not None:
        return cached
    result = await _load_in_force(session, at, beneficiary=beneficiary, mode=mode, codes=codes)
    if len(_IN_FORCE_CACHE) > 256:
        _IN_FORCE_CACHE.clear()
    _IN_FORCE_CACHE[key] = result
    return result


async def _load_in_force(
    session: AsyncSession,
    at: date,
    *,
    beneficiary: str | None,
    mode: str | None,
    codes: list[str] | None,
) -> list[tuple[PolicyMeta, CompiledVersion]]:
    query = in_force_query(at)
    if beneficiary:
        query = query.where(Policy.beneficiary == beneficiary)
    if mode:
        query = query.where(Policy.mode == mode)
    if codes is not None:
        query = query.where(Policy.code.in_(codes))
    names = await load_names(session)
    seen: set[str] = set()
    result: list[tuple[PolicyMeta, CompiledVersion]] = []
    for policy, version in await session.execute(query):
        if policy.code in seen:
            continue
        seen.add(policy.code)
        version_compiled = compiled(policy, version, names)
        result.append((version_compiled.meta, version_compiled))
    return result


def version_public(version: PolicyVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "state": version.state,
        "effective_from": version.effective_from,
        "criteria": version.criteria,
        "amount": version.amount,
        "amount_cap_fen": version.amount_cap_fen,
        "parameters": version.parameters,
        "note": version.note,
        "published_at": version.published_at.isoformat() if version.published_at else None,
    }

"""The platform's one vocabulary: industry chains ("2+6+X", each mapped to the national chain list), technical
fields, districts (区镇), qualifications and platform kinds.

The source is ``taxonomy.json`` beside this module (versioned: ``TAXONOMY.version``); every service validates and
displays through it instead of keeping its own copy::

    from kunruyi_common.taxonomy import TAXONOMY

    TAXONOMY.industry_chains.normalise("集成电路")  # "semiconductor" (a code, a name or an alias in; the code out)
    TAXONOMY.industry_chains.display("semiconductor")  # "集成电路"
    TAXONOMY.districts.lookup("玉山镇")  # "high_tech_zone"; None when unknown (normalise raises instead)

A value a vocabulary does not know raises a 422 problem naming the field; an event consumer that meets one
dead-letters the event (:class:`~kunruyi_common.events.inbox.EventRejected`), it never maps it to ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kunruyi_common.errors import UnknownIndustryChain, UnknownTaxonomyTerm, Unprocessable

SOURCE = Path(__file__).with_name("taxonomy.json")


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    # Codes of broader terms: a chain's parent chain and its national chains, a field's chain.
    parents: tuple[str, ...] = ()
    tier: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)


class Vocabulary:
    """One list of terms; codes, names and aliases are unique across the list (checked on load)."""

    def __init__(self, kind: str, title: str, terms: tuple[Term, ...], error: type[Unprocessable]) -> None:
        self.kind = kind
        self.title = title
        self.terms = terms
        self.error = error
        self.by_code = {t.code: t for t in terms}
        self._index: dict[str, str] = {}
        for term in terms:
            for key in (term.code, term.name, *term.aliases):
                other = self._index.setdefault(_key(key), term.code)
                if other != term.code:
                    raise ValueError(f"{kind}: {key!r} names both {other} and {term.code}")

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def codes(self) -> tuple[str, ...]:
        return tuple(self.by_code)

    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.terms)

    def lookup(self, value: str | None) -> str | None:
        """The code of a code, name or alias; None when the value is empty or unknown."""
        if value is None:
            return None
        return self._index.get(_key(value))

    def normalise(self, value: str, *, field: str | None = None) -> str:
        """The code of a code, name or alias, or a 422 problem naming ``field``."""
        code = self.lookup(value)
        if code is None:
            shown = value.strip()[:64] if isinstance(value, str) else repr(value)
            raise self.error(f"“{shown}”不在{self.title}中", field=field or self.kind)
        return code

    def display(self, code: str) -> str:
        """The Chinese name people read; an unknown code is shown as it is (never an empty cell)."""
        term = self.by_code.get(code)
        return term.name if term else code

    def parent_in_vocabulary(self, code: str) -> str | None:
        """The first parent that belongs to this same vocabulary (a sub-chain's chain)."""
        term = self.by_code.get(code)
        if term is None:
            return None
        return next((p for p in term.parents if p in self.by_code), None)

    def root(self, code: str) -> str:
        """The top term above ``code`` in this vocabulary (新能源 → 新能源新材料); itself when it has none."""
        seen = {code}
        while (parent := self.parent_in_vocabulary(code)) is not None and parent not in seen:
            seen.add(parent)
            code = parent
        return code


def _key(value: str) -> str:
    return value.strip().casefold()


@dataclass(frozen=True)
class Taxonomy:
    version: str
    national_chains: Vocabulary
    industry_chains: Vocabulary
    technical_fields: Vocabulary
    districts: Vocabulary
    qualifications: Vocabulary
    platform_kinds: Vocabulary

    def vocabularies(self) -> dict[str, Vocabulary]:
        return {
            "national_chains": self.national_chains,
            "industry_chains": self.industry_chains,
            "technical_fields": self.technical_fields,
            "districts": self.districts,
            "qualifications": self.qualifications,
            "platform_kinds": self.platform_kinds,
        }


def _vocabulary(kind: str, raw: Mapping[str, Any]) -> Vocabulary:
    terms = tuple(
        Term(
            code=t["code"],
            name=t["name"],
            aliases=tuple(t.get("aliases", ())),
            parents=tuple(t.get("parents", ())),
            tier=t.get("tier"),
            attrs=dict(t.get("attrs", {})),
        )
        for t in raw["terms"]
    )
    error = UnknownIndustryChain if kind == "industry_chains" else UnknownTaxonomyTerm
    return Vocabulary(kind, raw["title"], terms, error)


@cache
def load(path: Path = SOURCE) -> Taxonomy:
    raw = json.loads(path.read_text(encoding="utf-8"))
    vocabularies = {kind: _vocabulary(kind, v) for kind, v in raw["vocabularies"].items()}
    taxonomy = Taxonomy(version=raw["version"], **vocabularies)
    _check_parents(taxonomy)
    return taxonomy


def _check_parents(taxonomy: Taxonomy) -> None:
    known = {code for v in taxonomy.vocabularies().values() for code in v.codes()}
    for vocabulary in taxonomy.vocabularies().values():
        for term in vocabulary:
            missing = set(term.parents) - known
            if missing:
                raise ValueError(f"{vocabulary.kind}.{term.code}: unknown parents {sorted(missing)}")


TAXONOMY = load()

__all__ = ["SOURCE", "TAXONOMY", "Taxonomy", "Term", "Vocabulary", "load"]

"""The per-entitlement text of a 免申即享 chunk, from parts encoded once per policy version: the trace digest and the
``entitlement.determined`` payload.

A run determines hundreds of thousands of entitlements; building a digest body dict, a pydantic payload and a
CloudEvent for each cost more than the database does. These produce the same bytes as the canonical forms
(``service.entitlement_digest`` and ``EntitlementDetermined(...).model_dump_json()``) — svc-policy's
tests/test_entitlement_encoding.py compares them over varied entitlements — with what is constant for a version
(its code, title, department, version, parameters in force, the variables it reads) encoded once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from json.encoder import encode_basestring
from typing import Any

from kunruyi_policy.rules.evaluation import CompiledVersion
from kunruyi_policy.rules.jsonlogic import resolve_var, split_path

# json.dumps(body, sort_keys=True, ensure_ascii=False, default=str), as entitlement_digest writes the body
_digest_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode
# pydantic's JSON: compact separators, UTF-8 kept
_event_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

ENTITY_TYPES = frozenset({"enterprise", "talent"})


def uuid5_text(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))`` without the two UUID objects (a third of the time)."""
    raw = bytearray(hashlib.sha1(namespace.bytes + name.encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class VersionText:
    """One policy version's constant parts of its entitlements' digest bodies and event payloads, for ``period``
    and the evaluation date ``at``."""

    __slots__ = ("_digest_end", "_digest_middle", "_event_middle", "_paths", "_version")

    def __init__(self, compiled: CompiledVersion, period: str, at: date) -> None:
        meta = compiled.meta
        if not isinstance(compiled.version, int):
            raise TypeError(f"version of {meta.code} is not an int: {compiled.version!r}")
        # the digest body's keys in sorted order: amount_fen, entity_id, entity_type, inputs, loan_keys,
        # parameters, period, policy_code, sequence, version
        self._paths = tuple((name, split_path(name)) for name in sorted(compiled.reads()))
        self._digest_middle = (
            f', "parameters": {_digest_json(compiled.parameters_at(at))}, "period": {_digest_json(period)}, '
            f'"policy_code": {_digest_json(meta.code)}'
        )
        self._digest_end = f', "version": {compiled.version}}}'
        self._version = compiled.version
        # EntitlementDetermined's fields in declaration order
        self._event_middle = (
            f',"policy_code":{_event_json(meta.code)},"policy_title":{_event_json(meta.title)},'
            f'"department":{_event_json(meta.department)},"version":{compiled.version},"period":{_event_json(period)}'
        )

    def digest(
        self,
        entity_type: str,
        entity_id: str,
        amount_fen: int,
        profile: dict[str, Any],
        sequence: int = 0,
        loan_keys: list[str] | None = None,
    ) -> str:
        """``entitlement_digest`` of this version's entitlement (same sha256 over the same JSON text)."""
        inputs = {name: resolve_var(profile, path) for name, path in self._paths}
        text = (
            f'{{"amount_fen": {_int(amount_fen)}, "entity_id": {encode_basestring(entity_id)}, '
            f'"entity_type": {encode_basestring(entity_type)}, "inputs": {_digest_json(inputs)}'
        )
        if loan_keys is not None:
            text += f', "loan_keys": {_digest_json(loan_keys)}'
        text += self._digest_middle
        if sequence:
            text += f', "sequence": {_int(sequence)}'
        text += self._digest_end
        return hashlib.sha256(text.encode()).hexdigest()

    def payload(
        self,
        entitlement_id: str,
        entity_type: str,
        entity_id: str,
        amount_fen: int,
        trace_digest: str,
        sequence: int = 0,
        supplement_of: str | None = None,
        loan_keys: list[str] | None = None,
    ) -> str:
        """The ``entitlement.determined`` payload as JSON text, with the schema's constraints checked (amount > 0,
        sequence ≥ 0, a known entity type) since no model validates it."""
        if entity_type not in ENTITY_TYPES:
            raise ValueError(f"entity_type {entity_type!r} is not one of {sorted(ENTITY_TYPES)}")
        if _int(amount_fen) <= 0 or _int(sequence) < 0:
            raise ValueError(f"amount_fen {amount_fen} must be > 0 and sequence {sequence} >= 0")
        return (
            f'{{"entitlement_id":{encode_basestring(entitlement_id)}{self._event_middle},'
            f'"entity_type":"{entity_type}","entity_id":{encode_basestring(entity_id)},"amount_fen":{amount_fen},'
            f'"mode":"automatic","trace_digest":{encode_basestring(trace_digest)},"sequence":{sequence},'
            f'"supplement_of":{_event_json(supplement_of)},"loan_keys":{_event_json(loan_keys)}}}'
        )


def _int(value: int) -> int:
    """Ints only: anything else would be written differently by the canonical encoders."""
    if type(value) is not int:
        raise TypeError(f"expected an int, got {value!r}")
    return value

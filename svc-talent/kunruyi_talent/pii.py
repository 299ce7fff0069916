"""Personal data at rest: AES-GCM ciphertext plus a keyed blind index, and the masks shown in responses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from kunruyi_common.crypto import FieldCipher, blind_index
from kunruyi_common.idempotency import SEALED_RESPONSES
from kunruyi_common.pii_text import protected_text_column
from kunruyi_common.reencrypt import EncryptedColumn
from kunruyi_common.settings import ServiceSettings

ID_NUMBER_PURPOSE = "talent.id_number"
PHONE_PURPOSE = "phone"


@lru_cache(maxsize=8)
def _cipher(key_b64: str, retired: tuple[str, ...] = ()) -> FieldCipher:
    return FieldCipher.from_keys(key_b64, retired)


def _column_aad(label: str) -> Callable[[Mapping[str, Any]], bytes]:
    def aad(_row: Mapping[str, Any]) -> bytes:
        return label.encode()

    return aad


def _encrypted(table: str, field: str) -> EncryptedColumn:
    """Column ``<field>_encrypted`` of ``table``, encrypted by :class:`PersonalData` as ``"<table>.<field>"``."""
    return EncryptedColumn(table, f"{field}_encrypted", aad=_column_aad(f"{table}.{field}"))


# Every encrypted column of svc-talent, for `python -m kunruyi_talent reencrypt` (key rotation). A new encrypted
# column written through PersonalData.encrypt(value, "<table>.<field>") is one more line here, and so is free text
# protected with kunruyi_common.pii_text (servicedesk: associated data "<table>.<field>:<ticket id>").
# tests/test_encrypted_columns.py fails when a migrated database has an encrypted column missing here.
ENCRYPTED_COLUMNS: list[EncryptedColumn] = [
    _encrypted("talents", "id_number"),
    _encrypted("talents", "phone"),
    _encrypted("talents", "birth_date"),
    _encrypted("enterprise_contacts", "phone"),
    _encrypted("tickets", "requester_phone"),
    # The phone an SMS goes to, copied when it is queued (messages/).
    _encrypted("sms_deliveries", "phone"),
    # The phone of a person registered for an activity on 昆e服 (activities/).
    _encrypted("activity_registrations", "attendee_phone"),
    protected_text_column("tickets", "title"),
    protected_text_column("tickets", "description"),
    protected_text_column("tickets", "reply"),
    # A transition's comment is bound to its ticket (servicedesk.service._text_ad).
    protected_text_column("ticket_transitions", "comment", row_key="ticket_id"),
    # A co-handler's task and answer are bound to their ticket as well.
    protected_text_column("ticket_parts", "task", row_key="ticket_id"),
    protected_text_column("ticket_parts", "answer", row_key="ticket_id"),
    # Answers replayed for an Idempotency-Key, sealed because they carry personal data.
    SEALED_RESPONSES,
]


class PersonalData:
    """Encrypts with associated data naming the column so a ciphertext cannot be moved to another column.

    ``retired_pii_keys`` (settings ``pii_retired_keys``) still decrypt rows written before a key rotation."""

    def __init__(self, pii_key: str, blind_index_key: str, retired_pii_keys: Iterable[str] = ()) -> None:
        self._cipher = _cipher(pii_key, tuple(retired_pii_keys))
        self._index_key = blind_index_key

    @property
    def cipher(self) -> FieldCipher:
        """For free text protected with kunruyi_common.pii_text (associated data chosen by the caller)."""
        return self._cipher

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> PersonalData:
        return cls(settings.pii_key, settings.blind_index_key, settings.pii_retired_key_list())

    def encrypt(self, value: str, column: str) -> str:
        return self._cipher.encrypt(value, associated_data=column.encode())

    def decrypt(self, token: str, column: str) -> str:
        return self._cipher.decrypt(token, associated_data=column.encode())

    def index(self, value: str, purpose: str) -> str:
        return blind_index(value, self._index_key, purpose=purpose)

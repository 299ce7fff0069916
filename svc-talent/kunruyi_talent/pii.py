"""Personal data at rest: AES-GCM ciphertext plus a keyed blind index, and the masks shown in responses."""

from __future__ import annotations

from functools import lru_cache

from kunruyi_common.crypto import FieldCipher, blind_index

ID_NUMBER_PURPOSE = "talent.id_number"
PHONE_PURPOSE = "phone"


@lru_cache(maxsize=8)
def _cipher(key_b64: str) -> FieldCipher:
    return FieldCipher.from_b64(key_b64)


class PersonalData:
    """Encrypts with associated data naming the column so a ciphertext cannot be moved to another column."""

    def __init__(self, pii_key: str, blind_index_key: str) -> None:
        self._cipher = _cipher(pii_key)
        self._index_key = blind_index_key

    @property
    def cipher(self) -> FieldCipher:
        """For free text protected with kunruyi_common.pii_text (associated data chosen by the caller)."""
        return self._cipher

    def encrypt(self, value: str, column: str) -> str:
        return self._cipher.encrypt(value, associated_data=column.encode())

    def decrypt(self, token: str, column: str) -> str:
        return self._cipher.decrypt(token, associated_data=column.encode())

    def index(self, value: str, purpose: str) -> str:
        return blind_index(value, self._index_key, purpose=purpose)

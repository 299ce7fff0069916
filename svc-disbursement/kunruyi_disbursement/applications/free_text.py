"""Free text on applications (step comments, reject reasons, objections): resident IDs, phones and card numbers in it
are stored and shown masked, the original kept encrypted beside it (kunruyi_common.pii_text).

The applications router binds the app's cipher for each request (``bind_text_cipher``), so the workflow functions
protect their text without carrying a cipher through every signature. Text without personal data needs no
cipher (e.g. the settlement's own "资金已拨付到账" step, written outside a request).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from kunruyi_common.pii_text import TextCipher, TextCipherDep, has_pii, protect_text

_cipher: ContextVar[TextCipher | None] = ContextVar("kunruyi_disbursement_text_cipher", default=None)


async def bind_text_cipher(cipher: TextCipherDep) -> None:
    """Router dependency (async, so it runs in the request's own context): the cipher :func:`protect` uses."""
    _cipher.set(cipher)


def protect(text: str | None, column: str, application_id: uuid.UUID) -> tuple[str | None, str | None]:
    """(masked text for the clear column, the original encrypted or None); bound to the column and application."""
    if text is None or not has_pii(text):
        return text, None
    cipher = _cipher.get()
    if cipher is None:
        raise RuntimeError(f"{column} holds personal data but no text cipher is bound (bind_text_cipher)")
    protected = protect_text(text, cipher, associated_data=f"{column}:{application_id}".encode())
    return protected.masked, protected.encrypted

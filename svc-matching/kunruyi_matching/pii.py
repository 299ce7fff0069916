"""svc-matching's encrypted columns, for ``python -m kunruyi_matching reencrypt`` after a PII key rotation."""

from __future__ import annotations

from kunruyi_common.idempotency import SEALED_RESPONSES
from kunruyi_common.pii_text import protected_text_column
from kunruyi_common.reencrypt import EncryptedColumn

# A demand's free text protected with kunruyi_common.pii_text (demand.service.protect: associated data
# "demands.<field>:<demand id>"). tests/test_encrypted_columns.py fails when a migrated database has an encrypted
# column missing here.
ENCRYPTED_COLUMNS: list[EncryptedColumn] = [
    protected_text_column("demands", "title"),
    protected_text_column("demands", "description"),
    protected_text_column("demands", "review_note"),
    # The filer's contact phone (demand.service.phone_ad: "demands.contact_phone:<demand id>").
    protected_text_column("demands", "contact_phone"),
    # 科技金融: a financing demand's purpose and a pipeline step's note ("financing_demands.purpose:<id>",
    # "financing_stage_records.note:<record id>").
    protected_text_column("financing_demands", "purpose"),
    protected_text_column("financing_stage_records", "note"),
    # POST /demands answers replayed for an Idempotency-Key, sealed because they carry the query code.
    SEALED_RESPONSES,
]

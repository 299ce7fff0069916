"""Payee registry: the bank account a beneficiary is paid to, encrypted at rest and masked everywhere else.

Without a payee on file, the treasury is told to pay the beneficiary's registered account: for an enterprise its
basic account (基本存款账户) on record with the treasury by USCC — the 国库集中支付 default — and for a talent the
account registered with the treasury under the talent id. No account number is then held here at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from kunruyi_common.crypto import FieldCipher, blind_index, mask_bank_account
from kunruyi_common.errors import InvalidUscc
from kunruyi_common.pii_text import protected_text_column
from kunruyi_common.reencrypt import EncryptedColumn
from kunruyi_common.validators import InvalidIdentifier, parse_uscc
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.payments import repository
from kunruyi_disbursement.payments.exceptions import InvalidAccountNumber
from kunruyi_disbursement.payments.schemas import PayeeIn
from kunruyi_disbursement.settings import Settings


def cipher(settings: Settings) -> FieldCipher:
    return settings.field_cipher()


def _aad(entity_type: str, entity_id: str) -> bytes:
    return f"payee:{entity_type}:{entity_id}".encode()


def _row_aad(row: Mapping[str, Any]) -> bytes:
    return _aad(row["entity_type"], row["entity_id"])


# Every encrypted column of svc-disbursement, for `python -m kunruyi_disbursement reencrypt` (key rotation): the
# payee's account number, the copy of it fixed in a disbursement's first bank instruction, and the applications'
# free text protected with kunruyi_common.pii_text (applications.free_text: associated data
# "<table>.<field>:<application id>", the application's id for its steps and objections too).
# tests/test_encrypted_columns.py fails when a migrated database has an encrypted column missing here.
ENCRYPTED_COLUMNS: list[EncryptedColumn] = [
    EncryptedColumn(
        "payees", "account_number_encrypted", aad=_row_aad, aad_columns=("entity_type", "entity_id")
    ),
    EncryptedColumn(
        "disbursements",
        "instruction_payee",
        aad=_row_aad,
        aad_columns=("entity_type", "entity_id"),
        json_key="account_number_encrypted",
    ),
    protected_text_column("applications", "reject_reason"),
    protected_text_column("application_steps", "comment", row_key="application_id"),
    protected_text_column("application_objections", "content", row_key="application_id"),
]


async def register_payee(
    session: AsyncSession, settings: Settings, payee: PayeeIn, actor: str
) -> dict[str, Any]:
    number = payee.account_number.replace(" ", "").replace("-", "")
    if not number.isdigit() or not 8 <= len(number) <= 32:
        raise InvalidAccountNumber("银行账号应为 8–32 位数字", field="account_number")
    entity_id = payee.entity_id
    if payee.entity_type == "enterprise":
        try:
            entity_id = parse_uscc(entity_id).code
        except InvalidIdentifier as exc:
            raise InvalidUscc(f"统一社会信用代码无效：{exc}", field="entity_id") from exc
    row = await repository.upsert_payee(
        session,
        {
            "id": uuid.uuid4(),
            "entity_type": payee.entity_type,
            "entity_id": entity_id,
            "account_name": payee.account_name,
            "account_number_encrypted": cipher(settings).encrypt(
                number, associated_data=_aad(payee.entity_type, entity_id)
            ),
            "account_number_index": blind_index(
                number, settings.blind_index_key, purpose="payee.account_number"
            ),
            "account_number_masked": mask_bank_account(number),
            "bank_name": payee.bank_name,
            "created_by": actor,
        },
    )
    return payee_view(row)


def payee_view(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "account_name": row.account_name,
        "account_number_masked": row.account_number_masked,
        "bank_name": row.bank_name,
        "updated_at": row.updated_at,
    }


def instruction_payee(settings: Settings, d: Any) -> dict[str, Any]:
    """The payee block of a bank instruction for disbursement row ``d`` joined with its payee (if any)."""
    if d.payee_account is None:
        return {"mode": "registered_account", "entity_type": d.entity_type, "entity_id": d.entity_id}
    return {
        "mode": "account",
        "entity_type": d.entity_type,
        "entity_id": d.entity_id,
        "account_name": d.payee_name,
        "bank_name": d.payee_bank,
        "account_number": cipher(settings).decrypt(d.payee_account, _aad(d.entity_type, d.entity_id)),
    }

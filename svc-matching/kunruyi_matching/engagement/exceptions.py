"""The problems engagement answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Unprocessable


class AssignmentRequired(Conflict):
    """需求需经认领（POST /api/v1/demands/{id}/claim）或指派（POST /api/v1/assignments/runs）进入该阶段"""

    code = "assignment_required"


class ContractAmountRequired(Unprocessable):
    """技术合同登记需要合同金额（分）"""

    code = "contract_amount_required"


class ContractNumberRequired(Unprocessable):
    """技术合同登记需要合同登记编号"""

    code = "contract_number_required"


class ContractNumberTaken(Conflict):
    """合同登记编号 … 已被使用"""

    code = "contract_number_taken"


class UnknownSupply(Unprocessable):
    """The supply named in ``supply_id`` does not exist. (Formerly ``supply_not_found``, the code of the 404.)"""

    code = "unknown_supply"

"""The problems search answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Unprocessable


class DemandNotApproved(Conflict):
    """需求审核入库后才能匹配"""

    code = "demand_not_approved"


class UnknownTechnicalField(Unprocessable):
    """未知技术领域：…"""

    code = "unknown_technical_field"

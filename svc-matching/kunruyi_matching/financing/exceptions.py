"""The problems financing answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, Forbidden, NotFound, Unprocessable


class FinancingDemandNotFound(NotFound):
    """融资需求 … 不存在"""

    code = "financing_demand_not_found"


class ProductNotFound(NotFound):
    """金融产品 … 不存在"""

    code = "financial_product_not_found"


class UnknownProduct(Unprocessable):
    """The ``product_id`` named in a new pipeline is not a registered, active financial product."""

    code = "unknown_financial_product"


class PipelineNotFound(NotFound):
    """融资对接 … 不存在"""

    code = "financing_pipeline_not_found"


class PipelineExists(Conflict):
    """该需求与该产品已在对接中（每个需求与产品一条对接）"""

    code = "financing_pipeline_exists"


class NotYourProduct(Forbidden):
    """A partner records only the pipelines of its own products (the product's ``partner_app_key``)."""

    code = "not_your_product"


class ClosingTermRequired(Unprocessable):
    """放款/交割缺少必填要素（编号、金额、贷款的年利率与期限、担保费、保费）; ``field`` names it."""

    code = "closing_term_required"


class AmountAboveDemand(Unprocessable):
    """放款/交割金额超过融资需求金额"""

    code = "amount_above_demand"


class LoanNumberTaken(Conflict):
    """该机构的贷款/交割编号已登记过一次放款/交割"""

    code = "loan_number_taken"

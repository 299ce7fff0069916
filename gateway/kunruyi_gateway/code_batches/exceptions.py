"""The problems code_batches answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Unprocessable


class CodeBatchRejected(Unprocessable):
    """企业清单有 … 处问题，未生成任何码（`errors` 逐项列出：字段如 `items[2].target`、原因）"""

    code = "code_batch_rejected"

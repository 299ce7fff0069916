"""Input text rules shared by the schemas: PostgreSQL text cannot hold NUL, so it is refused as bad input."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

MAX_FEN = 10**15  # ¥10 trillion: far above any real amount, far below BIGINT's limit


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("文本不能包含空字符（\\u0000）")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]

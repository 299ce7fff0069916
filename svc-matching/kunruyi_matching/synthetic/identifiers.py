from __future__ import annotations

import random

from kunruyi_common.validators import uscc_check_char

_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(rng: random.Random, region_code: str = "320583") -> str:
    """A valid unified social credit code for a company registered in Kunshan (行政区划 320583) by default."""
    first17 = "91" + region_code + "".join(rng.choice(_BODY) for _ in range(9))
    return first17 + uscc_check_char(first17)

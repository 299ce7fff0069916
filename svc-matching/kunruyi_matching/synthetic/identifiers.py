from __future__ import annotations

import random

from kunruyi_common.validators import USCC_ALPHABET, build_uscc


def make_uscc(rng: random.Random, region_code: str = "320583") -> str:
    """A valid unified social credit code for a company registered in Kunshan (行政区划 320583) by default:
    a random 8-character organisation code body, both check characters computed."""
    return build_uscc("".join(rng.choice(USCC_ALPHABET) for _ in range(8)), region=region_code)

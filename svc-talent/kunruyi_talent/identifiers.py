"""Valid demo identifiers for seeds, benchmarks and tests, derived deterministically from a number."""

from __future__ import annotations

from datetime import date, timedelta

from kunruyi_common.validators import USCC_ALPHABET, resident_id_check_char, uscc_check_char

KUNSHAN_REGION = "320583"


def make_uscc(n: int, region: str = KUNSHAN_REGION) -> str:
    """An enterprise USCC (authority 9, type 1) whose organisation code encodes ``n``."""
    digits = []
    value = n
    for _ in range(9):
        digits.append(USCC_ALPHABET[value % 31])
        value //= 31
    first17 = "91" + region + "".join(reversed(digits))
    return first17 + uscc_check_char(first17)


def make_resident_id(n: int, region: str = KUNSHAN_REGION, *, born: date | None = None) -> str:
    birth = born or (date(1970, 1, 1) + timedelta(days=(n * 37) % 12000))
    first17 = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def make_phone(n: int) -> str:
    return f"139{n % 100_000_000:08d}"

"""Valid demo identifiers for seeds, benchmarks and tests, derived deterministically from a number."""

from __future__ import annotations

from datetime import date, timedelta

from kunruyi_common.validators import USCC_ALPHABET, build_foreign_resident_id, build_resident_id, build_uscc

KUNSHAN_REGION = "320583"
# Nationalities of the demo's foreign talents (GB/T 2659 numeric): 德国, 日本, 韩国, 美国, 新加坡.
DEMO_NATIONALITIES = ("276", "392", "410", "840", "702")


def make_uscc(n: int, region: str = KUNSHAN_REGION) -> str:
    """An enterprise USCC (authority 9, type 1) whose organisation code body (8 characters) encodes ``n``;
    both check characters (GB 11714 and GB 32100) are computed."""
    digits = []
    value = n
    for _ in range(8):
        digits.append(USCC_ALPHABET[value % 31])
        value //= 31
    return build_uscc("".join(reversed(digits)), region=region)


def make_resident_id(n: int, region: str = KUNSHAN_REGION, *, born: date | None = None) -> str:
    birth = born or (date(1970, 1, 1) + timedelta(days=(n * 37) % 12000))
    return build_resident_id(region, birth, n % 1000)


def make_foreign_resident_id(n: int, province: str = KUNSHAN_REGION[:2], *, born: date | None = None) -> str:
    """A 2023-format foreigner's permanent residence ID (``9`` + province + nationality + birth + sequence)."""
    birth = born or (date(1970, 1, 1) + timedelta(days=(n * 37) % 12000))
    return build_foreign_resident_id(
        province, DEMO_NATIONALITIES[n % len(DEMO_NATIONALITIES)], birth, n % 1000
    )


def make_phone(n: int) -> str:
    return f"139{n % 100_000_000:08d}"

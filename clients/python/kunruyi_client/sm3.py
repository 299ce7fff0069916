"""SM3 (GB/T 32905-2016) and HMAC-SM3 (RFC 2104 over SM3) for interpreters whose OpenSSL lacks SM3.

``sm3_digest`` uses ``hashlib``'s SM3 when the interpreter's OpenSSL provides it (C speed), else the pure-Python
compression function below (a few hundred microseconds per signature: fine for a client).
"""

from __future__ import annotations

import hashlib
import hmac

_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
_MASK = 0xFFFFFFFF
BLOCK_SIZE = 64
DIGEST_SIZE = 32


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


def _p0(x: int) -> int:
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


_T = [_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64)]


def _compress(v: list[int], block: bytes) -> list[int]:
    w = [int.from_bytes(block[i : i + 4], "big") for i in range(0, 64, 4)]
    for j in range(16, 68):
        w.append(_p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    w1 = [w[j] ^ w[j + 4] for j in range(64)]
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = _rotl(a, 12)
        ss1 = _rotl((a12 + e + _T[j]) & _MASK, 7)
        ss2 = ss1 ^ a12
        if j < 16:
            ff, gg = a ^ b ^ c, e ^ f ^ g
        else:
            ff, gg = (a & b) | (a & c) | (b & c), (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + w1[j]) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        a, b, c, d = tt1, a, _rotl(b, 9), c
        e, f, g, h = _p0(tt2), e, _rotl(f, 19), g
    return [x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h), strict=True)]


def sm3_pure(data: bytes) -> bytes:
    """SM3 in pure Python (the reference for interpreters without OpenSSL's SM3)."""
    length = len(data) * 8
    padded = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + length.to_bytes(8, "big")
    v = list(_IV)
    for i in range(0, len(padded), 64):
        v = _compress(v, padded[i : i + 64])
    return b"".join(x.to_bytes(4, "big") for x in v)


def _has_openssl_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


OPENSSL_SM3 = _has_openssl_sm3()


def sm3_digest(data: bytes) -> bytes:
    if OPENSSL_SM3:
        return hashlib.new("sm3", data).digest()
    return sm3_pure(data)


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    """HMAC per RFC 2104 with SM3 (64-byte block, 32-byte tag)."""
    if OPENSSL_SM3:
        return hmac.new(key, message, "sm3").digest()
    return hmac_sm3_pure(key, message)


def hmac_sm3_pure(key: bytes, message: bytes) -> bytes:
    """The pure-Python construction whatever the interpreter has (for cross-checks)."""
    if len(key) > BLOCK_SIZE:
        key = sm3_pure(key)
    key = key.ljust(BLOCK_SIZE, b"\x00")
    inner = sm3_pure(bytes(k ^ 0x36 for k in key) + message)
    return sm3_pure(bytes(k ^ 0x5C for k in key) + inner)

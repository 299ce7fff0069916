from __future__ import annotations

from pydantic import BaseModel, Field


class PublicKey(BaseModel):
    """One public key of the gateway's issuer (RFC 7517 JWK; RFC 7518 §6.2 elliptic-curve parameters)."""

    kty: str = Field(description="key type; the gateway signs with `EC`", examples=["EC"])
    crv: str = Field(description="the curve", examples=["P-256"])
    x: str = Field(description="the x coordinate, base64url")
    y: str = Field(description="the y coordinate, base64url")
    kid: str = Field(description="key id, named in the `kid` header of each token it signs")
    use: str = Field(description="`sig`: the key verifies signatures", examples=["sig"])
    alg: str = Field(description="the signing algorithm", examples=["ES256"])


class KeySet(BaseModel):
    """The gateway issuer's public keys (RFC 7517 JWK Set)."""

    keys: list[PublicKey] = Field(description="the keys that verify the gateway's tokens")


class RevokedSession(BaseModel):
    """A session token signed out: the gateway refuses it from now on (401 `token_revoked`)."""

    revoked: bool = Field(description="always true", examples=[True])
    subject: str = Field(description="whose session it was", examples=["talent:3f0c…"])
    expires_at: str = Field(
        description="when the token would have expired (the denylist keeps it until then)"
    )

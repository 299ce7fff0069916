from __future__ import annotations

import ipaddress
from pathlib import Path

from kunruyi_common.crypto import decode_key
from kunruyi_common.settings import (
    DEV_INTERNAL_TOKEN_SECRET,
    InvalidSecretError,
    ServiceSettings,
    secret_field,
    service_config,
)
from pydantic import field_validator

# The repository's var/ when running from a checkout. The dev issuer is trusted only in development mode
# (``KRY_GATEWAY_DEV_MODE``, inherited from ServiceSettings, off by default).
DEV_YIQILAIBAN_SECRET = "yqlb-dev-secret"
DEV_IDENTITY_CLIENT_SECRET = "identity-dev-secret"

_REPO_VAR = Path(__file__).resolve().parents[2] / "var"


class Settings(ServiceSettings):
    model_config = service_config("KRY_GATEWAY_")

    service_name: str = "gateway"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/kunruyi_gateway"
    # Each upstream is one base URL or a comma-separated list of them (its replicas, e.g.
    # "http://127.0.0.1:8001,http://127.0.0.1:8011"); a DNS name resolving to several addresses (compose
    # ``deploy.replicas``) is one replica per address, re-resolved every ``upstream_dns_refresh_s``.
    upstream_policy_url: str = "http://127.0.0.1:8001"
    upstream_talent_url: str = "http://127.0.0.1:8002"
    upstream_disbursement_url: str = "http://127.0.0.1:8003"
    upstream_matching_url: str = "http://127.0.0.1:8004"
    upstream_connect_timeout_s: float = 1.0
    upstream_read_timeout_s: float = 30.0
    # Per upstream, overriding the default above, e.g. KRY_GATEWAY_UPSTREAM_READ_TIMEOUTS_S='{"policy": 120}' for
    # long 免申即享 runs and simulations while the rest stays short.
    upstream_read_timeouts_s: dict[str, float] = {}
    # ``https://`` upstream URLs are reached over TLS, their certificates checked against the system's trust store
    # and, when set, this PEM bundle (a private CA) as well.
    upstream_ca_bundle: Path | None = None
    # After this many consecutive connection failures an upstream is skipped (503 at once) for the cool-down.
    breaker_failure_threshold: int = 5
    breaker_cooldown_s: float = 5.0
    # Replicas: one whose connect fails or whose /readyz is not 200 leaves the rotation for this long, then is
    # probed back (readiness checked every ``upstream_health_interval_s``, only for services with several).
    upstream_eject_s: float = 10.0
    # Background jobs (bulk 昆e服 code batches): codes issued per chunk (one transaction each, with their events),
    # the lease a replica holds a job under, how often an idle worker looks for one, failures in a row before the
    # job is failed.
    code_batch_chunk_size: int = 500
    job_lease_s: float = 60.0
    job_poll_interval_s: float = 2.0
    job_max_attempts: int = 3
    upstream_health_interval_s: float = 2.0
    upstream_dns_refresh_s: float = 5.0
    max_body_bytes: int = 10 * 1024 * 1024

    # Partner signatures
    signature_window_s: int = 300
    nonce_ttl_s: int = 600
    # How long a replica trusts its in-memory copy of an app key (disable/rotate reach every replica within it).
    app_key_cache_ttl_s: float = 5.0
    # Rotation: how long the previous secret keeps working after a rotation, unless the admin says otherwise.
    rotation_overlap_s: int = 24 * 3600
    default_partner_rate: str = "600/minute"

    # Staff tokens (OIDC-style JWT): a JWKS by URL or inline JSON; in development mode the dev issuer is trusted too.
    jwks_url: str | None = None
    jwks_inline: str | None = None
    jwks_cache_ttl_s: float = 600.0
    oidc_issuer: str | None = None
    oidc_audience: str = "kunruyi"
    dev_issuer: str = "kunruyi-dev-issuer"
    dev_issuer_dir: Path = _REPO_VAR / "dev-issuer"
    # The key the gateway signs its session tokens with (苏商通 SSO, personal sign-in), base64 of 32 random bytes: one
    # value for every replica, so a session begun on one replica holds on the next and across restarts. Required
    # outside development mode; in it, left empty, a key pair under ``dev_issuer_dir`` is used (staff/tokens.py).
    session_signing_key: str = secret_field("")
    internal_token_ttl_s: int = 60

    # Limits. ``rate_limit_storage_uri`` is a `limits` storage URI: memory:// for one replica,
    # redis://host:6379 (or memcached://) to share counters between replicas.
    rate_limit_storage_uri: str = "memory://"
    staff_rate: str = "1200/minute"
    public_rate: str = "120/minute"
    cors_origins: list[str] = []
    # The reverse proxies or load balancers in front of the gateway (addresses or networks, e.g. ["10.0.0.0/8"]).
    # From a peer listed here the client's address is taken from X-Forwarded-For (the nearest address that is not
    # one of them) and the scheme from X-Forwarded-Proto, so the per-address rate limits (public API, 昆e服 pages,
    # activity sign-ups) count the caller, not the balancer, and cookies are marked Secure behind TLS. Empty: the
    # headers are never believed.
    trusted_proxies: list[str] = []

    # 昆e服 service codes: the key of the tag that makes a code token unforgeable.
    service_code_secret: str = secret_field(DEV_INTERNAL_TOKEN_SECRET + ":service-codes")
    # How long a replica keeps a code and its page's public sections (0: not at all); a revocation on another
    # replica shows within it.
    qr_page_cache_ttl_s: float = 5.0
    center_contacts: str = "昆山市科创人才企业服务中心 · 电话 0512-5751 0000 · 前进西路 1801 号"

    # 一企来办 (provincial portal) and 苏商通
    yiqilaiban_url: str = "http://127.0.0.1:8102"
    yiqilaiban_app_id: str = "kunruyi"
    # HMAC secret shared with the portal: signs deliveries and 苏商通 SSO checks, verifies portal calls.
    yiqilaiban_secret: str = secret_field(DEV_YIQILAIBAN_SECRET)
    # How long the gateway waits for the portal: a delivery (then retried with back-off), a lookup or SSO check
    # (then 503 upstream_unavailable).
    delivery_timeout_s: float = 10.0
    yiqilaiban_timeout_s: float = 5.0
    delivery_poll_interval_s: float = 1.0
    delivery_base_backoff_s: float = 1.0
    delivery_max_backoff_s: float = 300.0

    # The staff console (/console) signs staff in with the city's identity provider (OIDC authorization code +
    # PKCE). ``staff_idp_url`` is the back channel (token, JWKS); the browser is sent to ``staff_idp_public_url``
    # (default: the same); tokens must carry ``staff_idp_issuer`` (default: the public URL) and the client id as
    # audience. Locally the launcher points it at the staff identity emulator (port 8104).
    staff_idp_url: str = "http://127.0.0.1:8104"
    staff_idp_public_url: str | None = None
    staff_idp_issuer: str | None = None
    staff_idp_client_id: str = "kunruyi-console"
    # Only for an IdP that registers the console as a confidential client (the emulator takes PKCE alone).
    staff_idp_client_secret: str | None = None
    staff_idp_timeout_s: float = 5.0
    # Where browsers reach 苏商通's login page (defaults to ``yiqilaiban_url``; the emulator serves ``/sso/login``).
    sushangtong_login_url: str | None = None

    # The province's personal identity service (统一身份认证, OIDC authorization code flow) for talents.
    # ``identity_url`` is reached by the gateway (token endpoint, JWKS); ``identity_public_url`` by browsers
    # (the authorization endpoint); the ID token's ``iss`` must be ``identity_issuer``. All default to the emulator.
    identity_url: str = "http://127.0.0.1:8103"
    identity_public_url: str | None = None
    identity_issuer: str | None = None
    identity_client_id: str = "kunruyi"
    identity_client_secret: str = secret_field(DEV_IDENTITY_CLIENT_SECRET)
    identity_timeout_s: float = 5.0
    identity_jwks_cache_ttl_s: float = 600.0
    # How long a bearer token handed to a signed-in company or talent for the API lives.
    self_token_ttl_s: int = 1800

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                # "*" would let any caller name its own address and dodge its rate limit.
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network (list the proxies' own)"
                ) from None
        return value

    def check_secrets(self) -> None:
        if self.session_signing_key.strip():
            try:
                decode_key(self.session_signing_key)
            except ValueError as exc:
                raise InvalidSecretError(f"{self.env_prefix().upper()}SESSION_SIGNING_KEY: {exc}") from None
        super().check_secrets()

    def upstream_urls(self) -> dict[str, str]:
        return {
            "policy": self.upstream_policy_url,
            "talent": self.upstream_talent_url,
            "disbursement": self.upstream_disbursement_url,
            "matching": self.upstream_matching_url,
        }


def get_settings() -> Settings:
    return Settings()

"""JWTs of Supabase's shape (`sub`, `role: authenticated`, `aud`, `exp`), so RLS policies are the
same whether Supabase Auth or our local accounts issued them."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import jwt

from app.cache import ExpiringCache
from app.config import Settings
from app.errors import Unauthorized

ACCESS = "access"
REFRESH = "refresh"


PASSWORD_RESET = "password_reset"  # noqa: S105 - a token kind, not a secret


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    email: str | None
    # what a refresh or reset token also carries (None for Supabase's access tokens)
    jti: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None
    password_fingerprint: str | None = None
    session_epoch: int = 0


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def issue_tokens(settings: Settings, user_id: UUID, email: str, epoch: int = 0) -> TokenPair:
    now = int(time.time())
    secret = settings.jwt_secret.get_secret_value()

    def make(kind: str, ttl: int) -> str:
        claims = {
            "sub": str(user_id),
            "email": email,
            "role": "authenticated",
            "aud": settings.jwt_audience,
            "iss": settings.jwt_issuer,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid4().hex,
            "token_type": kind,
            # the user's session epoch: a password reset starts a new one
            "sep": epoch,
        }
        return jwt.encode(claims, secret, algorithm="HS256")

    return TokenPair(
        access_token=make(ACCESS, settings.access_token_ttl_s),
        refresh_token=make(REFRESH, settings.refresh_token_ttl_s),
        expires_in=settings.access_token_ttl_s,
    )


def password_fingerprint(password_hash: str) -> str:
    """Binds a reset token to the password it replaces: once the password changes, every
    reset link issued for the old one stops working (single use, without storing the link)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def issue_reset_token(settings: Settings, user_id: UUID, password_hash: str) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "role": "authenticated",
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + settings.password_reset_ttl_s,
        "jti": uuid4().hex,
        "token_type": PASSWORD_RESET,
        "pwf": password_fingerprint(password_hash),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


# an access token's verdict is remembered until it expires, at most this long
_VERIFIED_TTL_S = 3600.0


class TokenVerifier:
    """Verifies tokens we issued (HS256 with JWT_SECRET) or Supabase's: asymmetric keys from the
    project's JWKS (pinned to the key's algorithm, looked up by `kid`) or the legacy HS256 secret."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._verified: ExpiringCache[str, Principal] = ExpiringCache(_VERIFIED_TTL_S)
        self._jwks: jwt.PyJWKClient | None = None
        if settings.supabase_url:
            self._jwks = jwt.PyJWKClient(
                f"{settings.supabase_url.rstrip('/')}/auth/v1/.well-known/jwks.json",
                cache_keys=True,
                lifespan=600,
            )

    def _key_and_algorithms(self, token: str) -> tuple[Any, list[str], str | None]:
        settings = self._settings
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if settings.supabase_url:
            issuer = f"{settings.supabase_url.rstrip('/')}/auth/v1"
            if alg == "HS256":
                if settings.supabase_jwt_secret is None:
                    raise Unauthorized("token algorithm not accepted", error_code="token_invalid")
                return settings.supabase_jwt_secret.get_secret_value(), ["HS256"], issuer
            if alg not in ("ES256", "RS256") or self._jwks is None:
                raise Unauthorized("token algorithm not accepted", error_code="token_invalid")
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            return signing_key.key, [alg], issuer
        if alg != "HS256":
            raise Unauthorized("token algorithm not accepted", error_code="token_invalid")
        return settings.jwt_secret.get_secret_value(), ["HS256"], settings.jwt_issuer

    def verify(self, token: str, expected_type: str = ACCESS) -> Principal:
        """An access token's answer is remembered until it expires: every API request carries
        one, and verifying it again (signature, claims) gives the same answer until then."""
        if expected_type == ACCESS:
            known = self._verified.get(token)
            if known is not None:
                return known
        principal = self._verify(token, expected_type)
        if expected_type == ACCESS and principal.expires_at:
            self._verified.put(token, principal, ttl_s=principal.expires_at - time.time())
        return principal

    def _verify(self, token: str, expected_type: str) -> Principal:
        try:
            key, algorithms, issuer = self._key_and_algorithms(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._settings.jwt_audience,
                issuer=issuer,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token has expired", error_code="token_expired") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized("token is not valid", error_code="token_invalid") from exc
        # Supabase access tokens carry no token_type; our refresh tokens always do.
        if claims.get("token_type", ACCESS) != expected_type:
            raise Unauthorized("wrong kind of token", error_code="token_invalid")
        if claims.get("role") != "authenticated":
            raise Unauthorized("token is not for a signed-in user", error_code="token_invalid")
        try:
            user_id = UUID(claims["sub"])
        except (ValueError, TypeError) as exc:
            raise Unauthorized("token is not valid", error_code="token_invalid") from exc
        return Principal(
            user_id=user_id,
            email=claims.get("email"),
            jti=claims.get("jti"),
            issued_at=claims.get("iat"),
            expires_at=claims.get("exp"),
            password_fingerprint=claims.get("pwf"),
            session_epoch=claims["sep"] if isinstance(claims.get("sep"), int) else 0,
        )

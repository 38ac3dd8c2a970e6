"""Sign-up, sign-in and refresh. Local accounts on the embedded default; Supabase Auth when
SUPABASE_URL is set (then Supabase issues the tokens and we only verify them)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol
from uuid import UUID

from app.auth import repo
from app.auth.passwords import hash_password, verify_password
from app.auth.schemas import TokenOut, UserOut
from app.auth.tokens import REFRESH, TokenVerifier, issue_tokens
from app.config import Settings
from app.db.session import Pool, privileged_session
from app.errors import Conflict, ServiceUnavailable, Unauthorized


class AuthBackend(Protocol):
    async def register(self, email: str, password: str) -> TokenOut: ...
    async def login(self, email: str, password: str) -> TokenOut: ...
    async def refresh(self, refresh_token: str) -> TokenOut: ...


class LocalAuth:
    def __init__(self, settings: Settings, pool: Pool, verifier: TokenVerifier) -> None:
        self._settings, self._pool, self._verifier = settings, pool, verifier

    def _tokens(self, user_id: UUID, email: str) -> TokenOut:
        pair = issue_tokens(self._settings, user_id, email)
        return TokenOut(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            user=UserOut(id=user_id, email=email),
        )

    async def register(self, email: str, password: str) -> TokenOut:
        # argon2 is deliberately slow: keep it off the event loop
        password_hash = await asyncio.to_thread(hash_password, password)
        async with privileged_session(self._pool) as conn:
            user = await repo.create_user(conn, email=email, password_hash=password_hash)
        return self._tokens(user["id"], user["email"])

    async def login(self, email: str, password: str) -> TokenOut:
        async with privileged_session(self._pool) as conn:
            user = await repo.find_user_by_email(conn, email)
        stored = user["password_hash"] if user else None
        if not await asyncio.to_thread(verify_password, stored, password) or user is None:
            raise Unauthorized("wrong email or password", error_code="invalid_credentials")
        return self._tokens(user["id"], user["email"])

    async def refresh(self, refresh_token: str) -> TokenOut:
        principal = self._verifier.verify(refresh_token, expected_type=REFRESH)
        async with privileged_session(self._pool) as conn:
            user = await repo.find_user_by_id(conn, principal.user_id)
        if user is None:
            raise Unauthorized("account no longer exists", error_code="token_invalid")
        return self._tokens(user["id"], user["email"])


class SupabaseAuth:
    """Supabase Auth through the official client; its calls are synchronous, so they run in a
    worker thread to keep the event loop free."""

    def __init__(self, settings: Settings) -> None:
        from supabase import create_client

        assert settings.supabase_url and settings.supabase_anon_key
        self._url = settings.supabase_url
        self._key = settings.supabase_anon_key.get_secret_value()
        self._create_client = create_client

    def _client(self) -> Any:
        # A client per call: the client stores the signed-in session, which must not leak
        # between users of one API process.
        return self._create_client(self._url, self._key)

    @staticmethod
    def _to_tokens(response: Any) -> TokenOut:
        session = response.session
        if session is None:
            raise Conflict(
                "confirm your email address, then sign in", error_code="email_unconfirmed"
            )
        return TokenOut(
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            expires_in=session.expires_in,
            user=UserOut(id=UUID(str(response.user.id)), email=response.user.email),
        )

    async def _call(self, fn_name: str, *args: Any) -> TokenOut:
        from supabase_auth.errors import AuthApiError, AuthError

        def run() -> Any:
            return getattr(self._client().auth, fn_name)(*args)

        try:
            response = await asyncio.to_thread(run)
        except AuthApiError as exc:
            if exc.code in ("user_already_exists", "email_exists"):
                raise Conflict(
                    "an account with this email exists", error_code="email_taken"
                ) from exc
            if exc.status in (400, 401, 403, 422):
                raise Unauthorized(exc.message, error_code="invalid_credentials") from exc
            raise ServiceUnavailable("Supabase Auth failed", error_code="auth_unavailable") from exc
        except AuthError as exc:
            raise ServiceUnavailable(
                "Supabase Auth unreachable", error_code="auth_unavailable"
            ) from exc
        return self._to_tokens(response)

    async def register(self, email: str, password: str) -> TokenOut:
        return await self._call("sign_up", {"email": email, "password": password})

    async def login(self, email: str, password: str) -> TokenOut:
        return await self._call("sign_in_with_password", {"email": email, "password": password})

    async def refresh(self, refresh_token: str) -> TokenOut:
        return await self._call("refresh_session", refresh_token)


def create_auth_backend(settings: Settings, pool: Pool, verifier: TokenVerifier) -> AuthBackend:
    if settings.uses_supabase_auth:
        return SupabaseAuth(settings)
    return LocalAuth(settings, pool, verifier)

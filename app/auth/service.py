"""Sign-up, sign-in and refresh. Local accounts on the embedded default; Supabase Auth when
SUPABASE_URL is set (then Supabase issues the tokens and we only verify them)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol
from urllib.parse import urlencode
from uuid import UUID

from app.auth import repo
from app.auth.password_policy import check_password
from app.auth.passwords import hash_password, verify_password
from app.auth.schemas import TokenOut, UserOut
from app.auth.tokens import (
    PASSWORD_RESET,
    REFRESH,
    Principal,
    TokenVerifier,
    issue_reset_token,
    issue_tokens,
    password_fingerprint,
)
from app.config import Settings
from app.db.session import Pool, privileged_session
from app.errors import Conflict, ServiceUnavailable, Unauthorized
from app.logging import get_logger
from app.mail.sender import Mail, Mailer

log = get_logger("auth")


class AuthBackend(Protocol):
    async def register(self, email: str, password: str) -> TokenOut: ...
    async def login(self, email: str, password: str) -> TokenOut: ...
    async def refresh(self, refresh_token: str) -> TokenOut: ...
    async def logout(self, refresh_token: str) -> None: ...
    async def request_password_reset(self, email: str) -> None: ...
    async def reset_password(self, token: str, password: str) -> TokenOut: ...


RESET_MAIL = """Hello,

Someone asked to reset the password of your SocialSync account ({email}). To choose a new
password, open this link within {minutes} minutes:

{link}

The link works once. If you did not ask for this, ignore this email: your password stays as it is.
"""


class LocalAuth:
    def __init__(
        self, settings: Settings, pool: Pool, verifier: TokenVerifier, mailer: Mailer
    ) -> None:
        self._settings, self._pool, self._verifier = settings, pool, verifier
        self._mailer = mailer

    def _check(self, password: str, email: str) -> None:
        check_password(password, email=email, min_length=self._settings.password_min_length)

    def _tokens(self, user_id: UUID, email: str, epoch: int) -> TokenOut:
        pair = issue_tokens(self._settings, user_id, email, epoch)
        return TokenOut(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            user=UserOut(id=user_id, email=email),
        )

    async def register(self, email: str, password: str) -> TokenOut:
        self._check(password, email)
        # argon2 is deliberately slow: keep it off the event loop
        password_hash = await asyncio.to_thread(hash_password, password)
        async with privileged_session(self._pool) as conn:
            user = await repo.create_user(conn, email=email, password_hash=password_hash)
        return self._tokens(user["id"], user["email"], user["session_epoch"])

    async def login(self, email: str, password: str) -> TokenOut:
        async with privileged_session(self._pool) as conn:
            user = await repo.find_user_by_email(conn, email)
        stored = user["password_hash"] if user else None
        if not await asyncio.to_thread(verify_password, stored, password) or user is None:
            raise Unauthorized("wrong email or password", error_code="invalid_credentials")
        return self._tokens(user["id"], user["email"], user["session_epoch"])

    async def _refreshable(self, refresh_token: str) -> tuple[Principal, dict[str, Any]]:
        principal = self._verifier.verify(refresh_token, expected_type=REFRESH)
        async with privileged_session(self._pool) as conn:
            user = await repo.find_user_by_id(conn, principal.user_id)
            revoked = bool(principal.jti) and await repo.refresh_token_revoked(
                conn, jti=str(principal.jti)
            )
        if user is None:
            raise Unauthorized("account no longer exists", error_code="token_invalid")
        if revoked or principal.session_epoch != user["session_epoch"]:
            raise Unauthorized(
                "this session has ended (signed out, or the password changed): sign in again",
                error_code="token_revoked",
            )
        return principal, user

    async def refresh(self, refresh_token: str) -> TokenOut:
        _, user = await self._refreshable(refresh_token)
        return self._tokens(user["id"], user["email"], user["session_epoch"])

    async def logout(self, refresh_token: str) -> None:
        principal, _ = await self._refreshable(refresh_token)
        if principal.jti and principal.expires_at:
            async with privileged_session(self._pool) as conn:
                await repo.revoke_refresh_token(
                    conn, jti=principal.jti, expires_at=principal.expires_at
                )

    async def request_password_reset(self, email: str) -> None:
        """Answers the same whether or not the address has an account (no way to learn who
        is registered); the link is emailed, or written to the log without SMTP."""
        async with privileged_session(self._pool) as conn:
            user = await repo.find_user_by_email(conn, email)
        if user is None:
            log.info("password reset for an unknown email", domain=email.rpartition("@")[2])
            return
        token = issue_reset_token(self._settings, user["id"], user["password_hash"])
        link = f"{self._settings.api_base_url}/reset-password?{urlencode({'token': token})}"
        mail = Mail(
            to=user["email"],
            subject="Reset your SocialSync password",
            text=RESET_MAIL.format(
                email=user["email"], link=link, minutes=self._settings.password_reset_ttl_s // 60
            ),
        )
        if not await self._mailer.send(mail):
            # development without SMTP: whoever runs the server reads the link here
            log.warning("no SMTP configured; password reset link", email=user["email"], link=link)

    async def reset_password(self, token: str, password: str) -> TokenOut:
        invalid = Unauthorized(
            "this reset link is not valid, was used already or has expired: ask for a new one",
            error_code="reset_token_invalid",
        )
        try:
            principal = self._verifier.verify(token, expected_type=PASSWORD_RESET)
        except Unauthorized as exc:
            raise invalid from exc
        async with privileged_session(self._pool) as conn:
            user = await repo.find_user_by_id(conn, principal.user_id)
        if user is None or principal.password_fingerprint != password_fingerprint(
            user["password_hash"]
        ):
            raise invalid
        self._check(password, user["email"])
        password_hash = await asyncio.to_thread(hash_password, password)
        async with privileged_session(self._pool) as conn:
            # the fingerprint is checked again under the row's update: two uses at once
            # cannot both pass
            user = await repo.find_user_by_id(conn, principal.user_id, for_update=True)
            if user is None or principal.password_fingerprint != password_fingerprint(
                user["password_hash"]
            ):
                raise invalid
            epoch = await repo.set_password(conn, user_id=user["id"], password_hash=password_hash)
        log.info("password reset", user_id=str(user["id"]))
        return self._tokens(user["id"], user["email"], epoch)


class SupabaseAuth:
    """Supabase Auth through the official client; its calls are synchronous, so they run in a
    worker thread to keep the event loop free."""

    def __init__(self, settings: Settings) -> None:
        from supabase import create_client

        assert settings.supabase_url and settings.supabase_anon_key
        self._url = settings.supabase_url
        self._key = settings.supabase_anon_key.get_secret_value()
        self._create_client = create_client
        self._min_length = settings.password_min_length

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
        check_password(password, email=email, min_length=self._min_length)
        return await self._call("sign_up", {"email": email, "password": password})

    async def login(self, email: str, password: str) -> TokenOut:
        return await self._call("sign_in_with_password", {"email": email, "password": password})

    async def refresh(self, refresh_token: str) -> TokenOut:
        return await self._call("refresh_session", refresh_token)

    async def logout(self, refresh_token: str) -> None:
        """Supabase revokes a session's refresh tokens when it is signed out: take the
        session the token belongs to, then sign it out."""
        from supabase_auth.errors import AuthApiError, AuthError

        def run() -> None:
            auth = self._client().auth
            auth.refresh_session(refresh_token)
            auth.sign_out({"scope": "local"})

        try:
            await asyncio.to_thread(run)
        except AuthApiError as exc:
            raise Unauthorized(exc.message, error_code="token_invalid") from exc
        except AuthError as exc:
            raise ServiceUnavailable(
                "Supabase Auth unreachable", error_code="auth_unavailable"
            ) from exc

    async def request_password_reset(self, email: str) -> None:
        """Supabase emails its own recovery link (its templates and redirect settings)."""
        from supabase_auth.errors import AuthError

        def run() -> None:
            self._client().auth.reset_password_for_email(email, {})

        try:
            await asyncio.to_thread(run)
        except AuthError as exc:
            log.warning("supabase password reset failed", error=str(exc))

    async def reset_password(self, token: str, password: str) -> TokenOut:
        raise Conflict(
            "this server uses Supabase Auth: follow the link in Supabase's email to choose a "
            "new password",
            error_code="reset_handled_by_supabase",
        )


def create_auth_backend(
    settings: Settings, pool: Pool, verifier: TokenVerifier, mailer: Mailer
) -> AuthBackend:
    if settings.uses_supabase_auth:
        return SupabaseAuth(settings)
    return LocalAuth(settings, pool, verifier, mailer)

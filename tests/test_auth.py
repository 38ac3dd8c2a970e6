from __future__ import annotations

import time
import uuid

import jwt
import pytest

from tests.support.factories import register


def _error(response) -> str:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body["detail"]) >= {"error_code", "message", "timestamp"}
    return body["detail"]["error_code"]  # type: ignore[no-any-return]


async def test_register_login_me_and_refresh(client) -> None:
    user = await register(client)
    me = await client.get("/api/auth/me", headers=user.headers())
    assert me.status_code == 200
    assert me.json() == {"id": user.user_id, "email": user.email}

    login = await client.post(
        "/api/auth/login", json={"email": user.email.upper(), "password": user.password}
    )
    assert login.status_code == 200
    claims = jwt.decode(login.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user.user_id and claims["role"] == "authenticated"
    assert claims["aud"] == "authenticated"
    assert 29 * 60 <= claims["exp"] - claims["iat"] <= 30 * 60

    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    assert refreshed.status_code == 200
    new_access = refreshed.json()["access_token"]
    assert (
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {new_access}"})
    ).status_code == 200
    refresh_claims = jwt.decode(user.refresh_token, options={"verify_signature": False})
    assert refresh_claims["exp"] - refresh_claims["iat"] == 7 * 24 * 3600


async def test_duplicate_registration_is_a_conflict(client, admin) -> None:
    user = await register(client)
    again = await client.post(
        "/api/auth/register", json={"email": user.email, "password": "another password"}
    )
    assert again.status_code == 409 and _error(again) == "email_taken"
    count = admin.execute(
        "select count(*) as n from app_private.local_users where lower(email) = lower(%s)",
        (user.email,),
    ).fetchone()
    assert count["n"] == 1


async def test_wrong_password_and_unknown_email(client) -> None:
    user = await register(client)
    wrong = await client.post(
        "/api/auth/login", json={"email": user.email, "password": "not the password"}
    )
    assert wrong.status_code == 401 and _error(wrong) == "invalid_credentials"
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "whatever123"}
    )
    assert unknown.status_code == 401 and _error(unknown) == "invalid_credentials"


async def test_missing_token(client) -> None:
    response = await client.get("/api/auth/me")
    assert response.status_code == 401 and _error(response) == "missing_token"


def _forge(settings, **overrides) -> str:  # type: ignore[no-untyped-def]
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "role": "authenticated",
        "aud": "authenticated",
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + 600,
        "token_type": "access",
    }
    key = overrides.pop("_key", settings.jwt_secret.get_secret_value())
    alg = overrides.pop("_alg", "HS256")
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm=alg)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exp": int(time.time()) - 10}, "token_expired"),
        ({"_key": "another-signing-key-that-is-long-enough-for-hs256"}, "token_invalid"),
        ({"aud": "anon"}, "token_invalid"),
        ({"iss": "someone-else"}, "token_invalid"),
        ({"role": "service_role"}, "token_invalid"),
        ({"token_type": "refresh"}, "token_invalid"),
    ],
    ids=[
        "expired",
        "other-key",
        "wrong-audience",
        "wrong-issuer",
        "service-role",
        "refresh-as-access",
    ],
)
async def test_rejected_tokens(client, settings, overrides, code) -> None:
    response = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {_forge(settings, **overrides)}"}
    )
    assert response.status_code == 401
    assert _error(response) == code


async def test_tampered_and_unsigned_tokens(client) -> None:
    user = await register(client)
    header, _payload, signature = user.access_token.split(".")
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    claims["sub"] = str(uuid.uuid4())
    forged_payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    tampered = f"{header}.{forged_payload}.{signature}"
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401 and _error(response) == "token_invalid"

    unsigned = jwt.encode(claims, key=None, algorithm="none")
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401 and _error(response) == "token_invalid"

    garbage = await client.get("/api/auth/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401 and _error(garbage) == "token_invalid"


async def test_access_token_cannot_refresh(client) -> None:
    user = await register(client)
    response = await client.post("/api/auth/refresh", json={"refresh_token": user.access_token})
    assert response.status_code == 401 and _error(response) == "token_invalid"


async def test_supabase_tokens_are_verified_against_the_projects_jwks(settings) -> None:
    """With SUPABASE_URL set, ES256 tokens are checked against the JWKS the project publishes,
    fetched over real HTTP (a local server plays the project)."""
    import json as json_lib

    from cryptography.hazmat.primitives.asymmetric import ec
    from fastapi import FastAPI

    from app.auth.tokens import TokenVerifier
    from app.errors import Unauthorized
    from tests.support.live import LiveServer

    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    jwk = json_lib.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "key-1", "alg": "ES256", "use": "sig"})
    project = FastAPI()

    @project.get("/auth/v1/.well-known/jwks.json")
    async def jwks() -> dict:  # type: ignore[type-arg]
        return {"keys": [jwk]}

    @project.get("/health")
    async def health() -> dict:  # type: ignore[type-arg]
        return {}

    server = LiveServer(project).start("/health")
    try:
        verifier = TokenVerifier(settings.model_copy(update={"supabase_url": server.url}))
        user = str(uuid.uuid4())
        now = int(time.time())
        claims = {
            "sub": user,
            "role": "authenticated",
            "aud": "authenticated",
            "iss": f"{server.url}/auth/v1",
            "exp": now + 300,
            "iat": now,
            "email": "a@b.co",
        }
        good = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "key-1"})
        assert str(verifier.verify(good).user_id) == user
        forged = jwt.encode(claims, other, algorithm="ES256", headers={"kid": "key-1"})
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
        wrong_issuer = jwt.encode(
            {**claims, "iss": "https://elsewhere/auth/v1"},
            key,
            algorithm="ES256",
            headers={"kid": "key-1"},
        )
        with pytest.raises(Unauthorized):
            verifier.verify(wrong_issuer)
        hs256 = jwt.encode(
            claims, "a-guessed-secret-that-is-long-enough-for-hs256", algorithm="HS256"
        )
        with pytest.raises(Unauthorized, match="not accepted"):
            verifier.verify(hs256)
    finally:
        server.stop()

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.demo.seed import DEMO_INSTAGRAM_ID, seed_demo


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(environment="production", _env_file=None)


async def test_demo_seed_is_idempotent_and_logs_in(client, pool, settings, admin) -> None:
    first = await seed_demo(settings, pool)
    second = await seed_demo(settings, pool)
    assert second.workspace_id == first.workspace_id and not second.created
    login = await client.post(
        "/api/auth/login",
        json={"email": settings.demo_email, "password": settings.demo_password.get_secret_value()},
    )
    assert login.status_code == 200
    token = login.json()["access_token"]
    accounts = (
        await client.get("/api/social-accounts", headers={"Authorization": f"Bearer {token}"})
    ).json()["items"]
    assert {a["platform"] for a in accounts} == {"instagram", "whatsapp"}
    assert DEMO_INSTAGRAM_ID in {a["external_id"] for a in accounts}
    stored = admin.execute(
        "select access_token_encrypted from social_accounts where external_id = %s",
        (DEMO_INSTAGRAM_ID,),
    ).fetchone()["access_token_encrypted"]
    assert "sandbox-token" not in stored, "tokens are encrypted at rest"


def test_env_example_documents_every_setting() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} <= documented

"""Seeds the demo workspace once: a login, a workspace, an Instagram account and a WhatsApp
number wired to the Meta sandbox, and a few FAQ answers. Running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth import repo as auth_repo
from app.auth.passwords import hash_password
from app.config import Settings
from app.db.session import Claims, Pool, privileged_session, tenant_session
from app.kb import repo as kb_repo
from app.kb.embeddings import get_embedder
from app.security.crypto import encrypt_secret
from app.social_accounts import repo as accounts_repo
from app.workspaces import repo as workspaces_repo

DEMO_INSTAGRAM_ID = "17841400000000001"
DEMO_WHATSAPP_PHONE_ID = "100000000000001"
DEMO_SANDBOX_TOKEN = "sandbox-token-demo"  # noqa: S105 - the sandbox accepts any token

DEMO_FAQ = [
    ("What are your opening hours?", "We are open Monday to Saturday, 9:00 to 18:00."),
    (
        "Do you ship internationally?",
        "Yes, we ship to the EU, the UK and the US. Delivery takes 3 to 7 days.",
    ),
    (
        "How can I return an item?",
        "You can return unused items within 30 days: reply 'return' and we send a label.",
    ),
]


@dataclass(frozen=True)
class DemoWorkspace:
    user_id: str
    workspace_id: str
    created: bool


async def seed_demo(settings: Settings, pool: Pool) -> DemoWorkspace:
    email = settings.demo_email
    async with privileged_session(pool) as conn:
        user = await auth_repo.find_user_by_email(conn, email)
        if user is None:
            user = await auth_repo.create_user(
                conn,
                email=email,
                password_hash=hash_password(settings.demo_password.get_secret_value()),
            )
    claims = Claims.for_user(user["id"], email)
    async with tenant_session(pool, claims) as conn:
        membership = await workspaces_repo.membership_of(
            conn, user_id=user["id"], workspace_id=None
        )
        if membership is not None:
            return DemoWorkspace(str(user["id"]), str(membership["workspace_id"]), created=False)
        workspace_id = await workspaces_repo.create_workspace(conn, name="Demo Shop")
        token = encrypt_secret(DEMO_SANDBOX_TOKEN)
        await accounts_repo.upsert_account(
            conn,
            workspace_id=workspace_id,
            platform="instagram",
            external_id=DEMO_INSTAGRAM_ID,
            display_name="Demo Shop",
            username="demo.shop",
            access_token_encrypted=token,
        )
        await accounts_repo.upsert_account(
            conn,
            workspace_id=workspace_id,
            platform="whatsapp",
            external_id=DEMO_WHATSAPP_PHONE_ID,
            display_name="+1 555 0100",
            username=None,
            access_token_encrypted=token,
            waba_id="200000000000001",
        )
        embedder = get_embedder(settings)
        vectors = await embedder.embed_documents([f"{q}\n{a}" for q, a in DEMO_FAQ])
        for (question, answer), vector in zip(DEMO_FAQ, vectors, strict=True):
            await kb_repo.create_faq(
                conn,
                workspace_id=workspace_id,
                question=question,
                answer=answer,
                embedding=vector,
                model=embedder.model_id,
            )
    return DemoWorkspace(str(user["id"]), str(workspace_id), created=True)

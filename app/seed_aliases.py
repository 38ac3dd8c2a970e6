"""The seed project's paths, answered by our own handlers (documented as aliases): clients
written against the seed's API keep working. Each alias is exactly the endpoint it names."""

from __future__ import annotations

from fastapi import APIRouter

from app.agent import settings_router
from app.inbox import router as conversations
from app.pagination import Page

router = APIRouter(tags=["seed aliases"])

router.add_api_route(
    "/api/instagram/conversations",
    conversations.list_conversations,
    methods=["GET"],
    response_model=Page[conversations.ConversationOut],
    summary="Alias of GET /api/conversations",
    description="The seed's path; the same endpoint as `GET /api/conversations`.",
)
router.add_api_route(
    "/api/instagram/messages/{conversation_id:uuid}",
    conversations.get_conversation,
    methods=["GET"],
    response_model=conversations.ConversationDetail,
    summary="Alias of GET /api/conversations/{id}",
    description="The seed's path: a conversation and its messages, as "
    "`GET /api/conversations/{conversation_id}`.",
)
router.add_api_route(
    "/api/ai-settings",
    settings_router.get_settings,
    methods=["GET"],
    response_model=settings_router.AiSettingsOut,
    summary="Alias of GET /api/agent/settings",
    description="The seed's path; the same endpoint as `GET /api/agent/settings`.",
)
router.add_api_route(
    "/api/ai-settings",
    settings_router.update_settings,
    methods=["PATCH"],
    response_model=settings_router.AiSettingsOut,
    summary="Alias of PATCH /api/agent/settings",
    description="The seed's path; the same endpoint as `PATCH /api/agent/settings`.",
)

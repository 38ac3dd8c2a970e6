"""create_app(): the API process. The lifespan opens and closes the pool and Redis client."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import psycopg
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from psycopg_pool import PoolTimeout
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.agent.moderation import create_moderator
from app.agent.router import decisions_router
from app.agent.router import router as agent_router
from app.agent.service import ChatModels
from app.agent.settings_router import router as ai_settings_router
from app.alerts.router import router as alerts_router
from app.analytics.router import router as analytics_router
from app.api_docs import serve_docs
from app.audit.router import router as audit_router
from app.auth.router import pages as auth_pages
from app.auth.router import router as auth_router
from app.auth.service import create_auth_backend
from app.auth.tokens import TokenVerifier
from app.canned_replies.router import router as canned_replies_router
from app.config import Settings, get_settings
from app.console.router import install_console
from app.db.login_role import check_login_role
from app.db.pool import create_pool
from app.db.session import Pool
from app.error_handlers import install_error_handlers
from app.health.router import router as health_router
from app.inbox.comments_router import router as comments_router
from app.inbox.router import router as conversations_router
from app.integrations.router import router as integrations_router
from app.kb.embeddings import Embedders
from app.kb.router import router as kb_router
from app.live.router import router as live_router
from app.logging import configure_logging, get_logger
from app.mail.sender import Mailer
from app.media.router import files as media_files
from app.media.router import router as media_router
from app.media.storage import create_media_storage
from app.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    TrustedHostMiddleware,
    UnstorableTextMiddleware,
)
from app.openapi import install_openapi
from app.outbound.router import router as outbound_router
from app.publishing.router import instagram as instagram_posts_router
from app.publishing.router import router as scheduled_posts_router
from app.ratelimit import limiter
from app.redis_client import create_redis
from app.seed_aliases import router as seed_aliases_router
from app.social_accounts.router import meta_callbacks_router
from app.social_accounts.router import pages as social_account_pages
from app.social_accounts.router import router as social_accounts_router
from app.webhooks.batcher import IngestBatcher
from app.webhooks.fast_path import WebhookFastPath
from app.webhooks.router import router as webhooks_router
from app.workspaces.memberships import MembershipCache
from app.workspaces.router import invites_router as workspace_invites_router
from app.workspaces.router import pages as workspace_pages
from app.workspaces.router import router as workspaces_router

log = get_logger("app")


async def _check_login_role(pool: Pool, settings: Settings) -> None:
    try:
        async with pool.connection(timeout=5) as conn:
            await check_login_role(conn, settings)
    except (psycopg.OperationalError, PoolTimeout):
        # the database is not up yet: /ready says so; the role is checked by `make run` too
        log.warning("database unreachable at start-up; login role not checked")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError(
            "DATABASE_URL and REDIS_URL must be set for the API process; "
            "`make run` sets them for the embedded servers"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.pool.open(wait=False)
        await _check_login_role(app.state.pool, settings)
        app.state.ingest = IngestBatcher(
            app.state.pool,
            app.state.redis,
            max_batch_events=settings.webhook_batch_max_events,
            flushers=settings.webhook_batch_flushers,
        )
        app.state.ingest.start()
        # what is loaded at start (modules, the embedding model, settings) lives as long as the
        # process: frozen out of the collector's way, a full collection no longer walks it and
        # stalls every request in flight
        gc.freeze()
        try:
            yield
        finally:
            await app.state.ingest.stop()
            await app.state.chat_models.aclose()
            await app.state.http.aclose()
            await app.state.pool.close()
            await app.state.redis.aclose()
            await app.state.live_redis.aclose()

    app = FastAPI(
        title="SocialSync API",
        version="0.1.0",
        description="Instagram and WhatsApp automation for small businesses.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    serve_docs(app)
    app.state.settings = settings
    app.state.pool = create_pool(settings, settings.database_url)
    app.state.redis = create_redis(settings.redis_url)
    # live streams block on Redis between events: their own client, with a longer timeout
    app.state.live_redis = create_redis(
        settings.redis_url, socket_timeout=settings.live_heartbeat_s + 10
    )
    app.state.verifier = TokenVerifier(settings)
    app.state.memberships = MembershipCache(settings.membership_cache_s)
    app.state.mailer = Mailer(settings)
    app.state.media_storage = create_media_storage(settings)
    app.state.auth_backend = create_auth_backend(
        settings, app.state.pool, app.state.verifier, app.state.mailer
    )
    app.state.limiter = limiter
    app.state.embedders = Embedders(settings)
    app.state.moderator = create_moderator(settings)
    # Graph API calls made for staff (checking credentials while connecting an account)
    app.state.http = httpx.AsyncClient(timeout=settings.graph_timeout_s)
    # the playground's chat models, built once per (model, temperature) like a worker's
    app.state.chat_models = ChatModels(settings, httpx.AsyncClient(timeout=settings.chat_timeout_s))

    install_error_handlers(app)
    app.add_middleware(WebhookFastPath)
    app.add_middleware(UnstorableTextMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        default_limit=settings.api_max_body_bytes,
        limits={
            "/webhooks/": settings.webhook_max_body_bytes,
            # uploads: the file plus multipart framing
            "/api/kb/": settings.kb_max_upload_bytes + 64 * 1024,
            "/api/media": settings.media_max_video_bytes + 64 * 1024,
        },
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    # the client's address from X-Forwarded-For only when the peer is a configured proxy
    # (uvicorn runs with --no-proxy-headers, so this is the one place it is decided)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxy_addresses)
    if settings.cors_origins:
        # outermost, so that error answers carry the headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Workspace-Id", "Last-Event-ID"],
            expose_headers=["Retry-After", "X-Request-Id"],
            max_age=600,
        )

    # A request is matched against the routes in order, router by router (about 25 us per
    # router passed with FastAPI 0.165), so the routers staff hit all day come first: the inbox's
    # API, then the console's pages, then the rest of the API. No two routers' routes match the
    # same request (tests/test_routing.py), so the order changes only the time to find a route.
    for router in (
        health_router,
        conversations_router,
        outbound_router,
        comments_router,
        live_router,
        canned_replies_router,
        decisions_router,
        analytics_router,
        audit_router,
        kb_router,
        agent_router,
        ai_settings_router,
        seed_aliases_router,
    ):
        app.include_router(router)
    install_console(app)
    for router in (
        scheduled_posts_router,
        media_router,
        media_files,
        instagram_posts_router,
        social_accounts_router,
        workspaces_router,
        workspace_invites_router,
        integrations_router,
        alerts_router,
        auth_router,
        webhooks_router,  # Meta's POSTs are answered before routing (webhooks/fast_path.py)
        meta_callbacks_router,
        auth_pages,
        workspace_pages,
        social_account_pages,
    ):
        app.include_router(router)
    install_openapi(app)
    return app

"""All configuration, read once from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults that must never reach production: refused when ENVIRONMENT=production.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789abcdef"  # noqa: S105
DEV_APP_SECRET = "sandbox-app-secret"  # noqa: S105
META_SDK = "https://connect.facebook.net/en_US/sdk.js"
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZmVybmV0LWtleS1jaGFuZ2UtbWUtMDA="
DEV_VERIFY_TOKEN = "sandbox-verify-token"  # noqa: S105
DEV_DEMO_PASSWORD = "demo-password"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Literal["development", "test", "production"] = "development"
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    # Processes and where local state lives
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str | None = None
    sandbox_port: int = 8100
    # Where the sandbox delivers webhooks; defaults to this API
    sandbox_bot_url: str | None = None
    data_dir: Path = Path(".data")
    # the media library's files are public at <this>/<random name> (default: the API's /media)
    media_public_base_url: str | None = None
    # where the media library keeps files: "local" (DATA_DIR/media, served by the API),
    # "supabase" (a public Supabase Storage bucket, SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY) or
    # "s3" (any S3-compatible store: AWS S3, Cloudflare R2, MinIO, Backblaze B2, ...)
    media_storage: Literal["local", "supabase", "s3"] = "local"
    media_bucket: str = "media"
    # S3: the endpoint (empty: AWS in S3_REGION), the keys, and the public address of the
    # bucket's files (a CDN or the bucket's public URL; Meta fetches them there)
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_public_base_url: str | None = None
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    media_max_image_bytes: int = 8 * 1024 * 1024  # Meta's limit for a feed image
    media_max_video_bytes: int = 300 * 1024 * 1024  # Meta's limit for a reel
    embedded_postgres_port: int = 54329
    embedded_redis_port: int = 63799

    # Data stores: unset means "start the embedded servers"
    database_url: str | None = None
    # Used for migrations; defaults to database_url (Supabase: the postgres user)
    migration_database_url: str | None = None
    redis_url: str | None = None
    db_pool_min_size: int = 1
    db_pool_max_size: int = 10
    # None disables server-side prepared statements (required behind Supavisor port 6543)
    db_prepare_threshold: int | None = None
    # the worker's reply-path transactions (app/db/trips.py) keep their statements prepared;
    # unset: on, except on port 6543 (Supavisor's transaction pooler, which cannot keep them)
    db_prepared_trips: bool | None = None

    # Auth
    # seconds an API process remembers a member's workspace and role (RLS still checks every
    # row at once); 0 looks it up on every request
    membership_cache_s: float = 5.0
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_issuer: str = "socialsync"
    jwt_audience: str = "authenticated"
    access_token_ttl_s: int = 30 * 60
    refresh_token_ttl_s: int = 7 * 24 * 3600
    token_encryption_key: SecretStr = SecretStr(DEV_ENCRYPTION_KEY)
    supabase_url: str | None = None
    supabase_anon_key: SecretStr | None = None
    # the server's own key for Supabase Storage (the media library), never sent to a browser
    supabase_service_role_key: SecretStr | None = None
    supabase_jwt_secret: SecretStr | None = None
    # passwords: at least this long, and not one of the commonly used ones
    password_min_length: int = 8
    # a password-reset link works once, for this long
    password_reset_ttl_s: int = 3600
    # an invitation to a workspace can be accepted for this long
    invite_ttl_s: int = 7 * 24 * 3600

    # Email (password resets, invitations). Without SMTP_HOST nothing is sent: reset links are
    # written to the log and invitation links are shown to the person inviting.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "SocialSync <no-reply@socialsync.local>"
    smtp_timeout_s: float = 10.0

    # Demo workspace seeded by `make run`
    demo_email: str = "demo@socialsync.local"
    demo_password: SecretStr = SecretStr(DEV_DEMO_PASSWORD)
    seed_demo: bool = True

    # Meta
    meta_app_secret: SecretStr = SecretStr(DEV_APP_SECRET)
    instagram_app_secret: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    meta_verify_token: SecretStr = SecretStr(DEV_VERIFY_TOKEN)
    # Instagram Login (the Instagram app of "API setup with Instagram login", not the Meta app
    # id); the authorize and token URLs default to the sandbox's, production uses
    # https://www.instagram.com/oauth/authorize and https://api.instagram.com/oauth/access_token
    instagram_app_id: str = "sandbox-instagram-app"
    # the Meta app (Facebook Login for Business): WhatsApp Embedded Signup's code exchange, and
    # the console's signup button with its configuration id
    meta_app_id: str = "sandbox-meta-app"
    whatsapp_signup_config_id: str | None = None
    meta_sdk_url: str | None = None
    instagram_authorize_url: str | None = None
    instagram_token_url: str | None = None
    # how long a connect link stays valid (its signed `state`)
    oauth_state_ttl_s: int = 900
    # updates Meta sent for an account before it was connected are processed when it is, if
    # this recent (Meta's 24-hour messaging window); older ones are kept, unanswered
    held_events_answer_within_h: float = 24.0
    graph_api_base: str | None = None
    graph_api_version: str = "v24.0"
    webhook_max_body_bytes: int = 4 * 1024 * 1024
    # Graph API client: retries for transient errors and throttling (exponential, jittered)
    graph_timeout_s: float = 10.0
    graph_max_attempts: int = 4
    graph_backoff_base_s: float = 0.5
    graph_backoff_max_s: float = 8.0
    # a wait Meta asks for beyond this is not slept in-process: the task is rescheduled instead
    graph_max_inline_wait_s: float = 30.0
    graph_default_throttle_pause_s: float = 60.0
    # Our own budgets per account, shared through Redis (Meta's documented limits)
    instagram_send_per_s: float = 100.0
    instagram_private_replies_per_hour: int = 750
    instagram_conversations_per_s: float = 2.0
    whatsapp_send_per_s: float = 80.0
    # Beat's sweeper re-enqueues events still pending after this long (their enqueue failed:
    # they are not in the broker)...
    webhook_sweep_pending_after_s: int = 5
    # ...enqueued ones after this long while the broker's queues are empty (so they are not
    # waiting there: a dead worker held them), or after the backlog delay while queues hold
    # work (they may still be in line; re-enqueuing would only grow the line)...
    webhook_sweep_stale_after_s: int = 20
    webhook_sweep_backlog_after_s: int = 300
    # ...and processing ones once their lease ran out
    # a worker holds a customer's event under a lease it renews while it works: when the worker
    # dies, the sweeper hands the event to another one this long after the last renewal
    event_lease_s: float = 15.0
    webhook_sweep_batch: int = 500
    webhook_sweep_interval_s: float = 5.0
    # Group commit: concurrent webhooks share one transaction of at most this many events
    webhook_batch_max_events: int = 500
    # the longest an enqueue may wait on the broker (a stalled Redis); the work then stays
    # pending in Postgres for the sweeper, and the webhook is answered
    enqueue_timeout_s: float = 1.0
    webhook_batch_flushers: int = 4

    # Knowledge base and embeddings
    # wordllama (offline, default), gemini, or openai
    embedding_provider: Literal["wordllama", "gemini", "openai"] = "wordllama"
    embedding_batch_size: int = 100
    # search queries whose vectors a process remembers (customers ask the same things); 0: none
    embedding_query_cache_size: int = Field(default=1000, ge=0)
    gemini_api_key: SecretStr | None = None
    # Leave unset for Google's endpoint; tests point it at a local server
    gemini_base_url: str | None = None
    gemini_embedding_model: str = "gemini-embedding-001"
    openai_api_key: SecretStr | None = None
    # Any OpenAI-compatible server: OpenAI, OpenRouter, vLLM, Ollama, llama.cpp
    openai_base_url: str | None = None
    openai_embedding_model: str = "text-embedding-3-small"
    kb_max_upload_bytes: int = 10 * 1024 * 1024
    kb_chunk_chars: int = 1000
    kb_chunk_overlap_chars: int = 200
    kb_search_results: int = 8
    # What one document may cost; over a limit it fails with the reason (a page whose drawing
    # instructions are over the size is skipped like an image: parsing it takes minutes)
    kb_max_pages: int = 1000
    kb_max_document_chars: int = 2_000_000
    kb_max_chunks: int = 5000
    kb_max_page_content_bytes: int = 2 * 1024 * 1024
    kb_ingest_timeout_s: float = 300.0
    faq_import_max_rows: int = 2000

    # Replies: a chat model through any OpenAI-compatible API; unset = the offline responder
    chat_model: str | None = None
    chat_timeout_s: float = 30.0
    agent_max_tool_rounds: int = 4
    history_messages: int = 12
    # Offline responder: answer from an FAQ entry whose score (how much of the question it
    # covers, blended with the embedding similarity) reaches this, ahead of the runner-up by
    # the margin; from a passage's line covering at least the chunk share of the question
    offline_faq_similarity: float = 0.55
    offline_chunk_similarity: float = 0.7
    offline_margin: float = 0.05
    # the FAQ entries the offline responder compares a question with (all of a normal FAQ)
    offline_faq_scan: int = 1000
    moderation_enabled: bool = True
    moderation_threshold: float = 0.5
    local_moderation_threshold: float = 0.85
    # OpenAI's verdict on a text is remembered this long per worker (0: ask every time): FAQ
    # answers are the same text for every customer, and each check is a request to OpenAI
    moderation_cache_s: float = 600.0

    # Celery worker: the threads pool overlaps the waits on the model, Meta and Postgres inside
    # one process: many tasks at once (mostly waiting on a model), one event loop multiplexing
    # them over a few database connections; prefork isolates crashes (set its concurrency to
    # the cores you give it)
    worker_pool: Literal["threads", "prefork", "solo"] = "threads"
    # on the threads pool a task holds its slot while its model thinks, and in a burst while it
    # waits its turn for the CPU: 512 slots take a burst of a few hundred customers in at once
    # (README: Connections)
    worker_concurrency: int = 512
    # database connections per worker process, shared by all its tasks (held only for short
    # transactions, never while a model thinks)
    worker_db_pool_max_size: int = 8
    # best-effort steps (a new contact's profile) a worker process runs at once, beside its tasks
    worker_background_concurrency: int = Field(default=2, ge=1)

    # Task time limits. Prefork enforces both (the hard one kills the child); the threads pool
    # cannot, so each step of a task also runs under the soft limit as an asyncio timeout
    task_soft_time_limit_s: int = 120
    task_time_limit_s: int = 180

    # Celery: unacknowledged tasks (a worker died mid-task) are redelivered after this long;
    # keep it above the longest task (PRACTICES.md, Celery)
    celery_visibility_timeout_s: int = 3600

    # Reply pipeline
    # Messages a customer sends within this many seconds of each other get one reply to all of
    # them: a reply is written no sooner than this after the newest message, and a run whose
    # message is no longer the newest when it writes stands down for the newer one's (which
    # answers them all), so the wait grows only while messages keep coming.
    reply_burst_window_s: float = 0.8
    # Drafting starts this long after a message (at most the burst window), not after the whole
    # window: the model's time counts toward the window, so with a model answering in 0.8 s a DM
    # is answered in about 1.1 s (the seed's SLA is 2 s) instead of window + model. The short
    # delay lets parts a customer sends together (a photo and its caption, pasted lines) arrive
    # first, so they cost one model call, not one each.
    reply_draft_delay_s: float = 0.25
    # a conversation staff hold goes back to the bot when a customer writes after this many
    # minutes without staff activity in it (0: never; staff hand it back themselves)
    human_idle_return_minutes: float = 120.0
    # an Instagram customer's name, username and picture are read again after this many days
    profile_refresh_days: int = 30
    # Meta's messaging windows (META.md): the bot may answer within 24 h of the customer's last
    # message; private replies to a comment within 7 days
    messaging_window_h: float = 24.0
    private_reply_window_days: float = 7.0
    # staff (never the bot) may answer Instagram DMs this long with the HUMAN_AGENT tag
    human_agent_window_days: float = 7.0
    # Celery Beat reconciliation (the missed-event radar)
    reconcile_interval_s: float = 120.0
    reconcile_lookback_h: float = 48.0
    reconcile_media_limit: int = 25
    reconcile_comments_max_age_days: float = 30.0
    # comments of posts under a day old are polled on every run; older posts less often
    reconcile_comments_week_interval_s: float = 1800.0
    reconcile_comments_old_interval_s: float = 6 * 3600.0
    # the worker that writes or claims a send owns it this long (longer than one Graph call,
    # GRAPH_TIMEOUT_S): if it dies, Beat's requeue job hands the send on once the lease is over,
    # and a send cut off mid-call is looked up in the conversation before it is sent again
    send_lease_s: float = 20.0
    # an Instagram DM whose delivery cannot be looked up for this long goes to staff
    send_settle_bound_s: float = 600.0
    send_max_retries: int = 5
    send_retry_base_s: float = 2.0
    send_retry_max_s: float = 300.0
    # how often Beat looks for sends nobody owns (a dead worker's, a lost retry's)
    outbound_requeue_interval_s: float = 5.0

    # Beat's housekeeping (each job runs once per interval, however many Beats are running)
    token_refresh_interval_s: float = 6 * 3600.0
    # Instagram tokens expiring within this many days are refreshed
    token_refresh_before_days: float = 10.0
    # a token Meta refuses without a definite reason flags the account after this many refusals
    # with no success between them, inside the window (a definite reason flags at once)
    token_flag_after_failures: int = 2
    token_failure_window_s: float = 3600.0
    analytics_rollup_interval_s: float = 900.0
    # seconds the overview's message figures (volumes, first responses) are shared by everyone
    # asking for the same days; the rest is counted on every request
    analytics_overview_cache_s: float = 60.0
    # days recomputed by each roll-up (late events and retries change recent days)
    analytics_rollup_days: int = 2
    retention_interval_s: float = 3600.0
    # finished raw webhook events are deleted after this many days
    raw_event_retention_days: float = 30.0
    retention_batch: int = 5000

    # Publishing scheduled posts (Beat): each run advances every due post by a step or a few
    publish_interval_s: float = 30.0
    publish_batch: int = 50
    # posts advanced at once (each holds a database connection while it talks to Meta)
    publish_concurrency: int = 4
    # how often a container still IN_PROGRESS is polled (Meta suggests once a minute), and how
    # long before the attempt is given up (a video can take minutes)
    publish_poll_interval_s: float = 60.0
    publish_container_timeout_s: float = 900.0
    # failed attempts (media Meta could not fetch, a container in ERROR, an outage) before the
    # post is `failed` with the reason; the wait doubles from the base after each
    publish_max_attempts: int = 3
    publish_retry_base_s: float = 60.0
    # the account's rolling 24-hour publishing limit is reached: look again this much later
    publish_quota_retry_s: float = 900.0
    # what a post may be (Meta's published limits; Instagram announced fewer hashtags, so it
    # is a setting) and how far ahead it may be scheduled
    caption_max_chars: int = 2200
    caption_max_hashtags: int = 30
    caption_max_mentions: int = 20
    schedule_max_days_ahead: int = 365
    # a media URL is checked before the post is queued: fetched with this timeout
    media_fetch_timeout_s: float = 5.0

    # HTTP API
    api_max_body_bytes: int = 1024 * 1024
    rate_limit_default: str = "600/minute"
    rate_limit_auth: str = "20/minute"
    # Host names this API answers to, comma-separated ("*": any). Other Host headers get a 400,
    # so no answer (a redirect, a link) can point elsewhere. Always included: localhost,
    # 127.0.0.1, ::1, API_HOST and the host of PUBLIC_BASE_URL.
    trusted_hosts: str = ""
    # Addresses of the reverse proxies in front of the API, comma-separated ("*": any peer,
    # only when nothing else can reach the API). Only a request from one of them may say the
    # client's address in X-Forwarded-For; none by default, so nobody can choose their
    # address (and so their rate-limit bucket).
    trusted_proxies: str = ""
    # live events (server-sent): how many per workspace are kept for clients that reconnect, and
    # how often a quiet stream sends a keep-alive
    live_events_kept: int = 1000
    live_heartbeat_s: float = 15.0
    # browser origins allowed to call the API (comma-separated, e.g. https://app.example.com);
    # none by default: the console is served by the API itself
    cors_allowed_origins: str = ""

    # Email alerts for staff who ask for them (needs SMTP): how often the job looks, after how
    # many minutes without an answer a customer in a held conversation counts as waiting, and
    # at most how many alerts of a kind one run sends
    alert_interval_s: float = 60.0
    alert_waiting_minutes: int = 30
    alert_batch: int = 200

    # Outgoing webhooks (a workspace's integrations): how often Beat posts the due deliveries,
    # how long a receiver may take, the retries (exponential from the base, up to the max
    # delay), and after how many failed attempts in a row an endpoint is switched off
    outgoing_webhook_interval_s: float = 3.0
    outgoing_webhook_batch: int = 100
    outgoing_webhook_concurrency: int = 20
    outgoing_webhook_timeout_s: float = 10.0
    outgoing_webhook_max_attempts: int = 8
    outgoing_webhook_retry_base_s: float = 30.0
    outgoing_webhook_retry_max_s: float = 3600.0
    outgoing_webhook_disable_after: int = 16
    # http:// and private, loopback or link-local addresses as receivers: for development only
    # (in production a workspace could otherwise make the server call its own network)
    outgoing_webhook_allow_private: bool = False

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def uses_supabase_auth(self) -> bool:
        return self.supabase_url is not None

    @property
    def graph_base(self) -> str:
        return self.graph_api_base or f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def embedded_signup(self) -> tuple[str, str] | None:
        """(SDK script, configuration id) for the console's Embedded Signup button, or None when
        it is not set up. Against the sandbox (no GRAPH_API_BASE) the sandbox plays Meta's SDK
        and popup."""
        if self.graph_api_base is None:
            sdk = self.meta_sdk_url or f"http://127.0.0.1:{self.sandbox_port}/_sandbox/sdk.js"
            return sdk, self.whatsapp_signup_config_id or "sandbox-signup"
        if not self.whatsapp_signup_config_id:
            return None
        return self.meta_sdk_url or META_SDK, self.whatsapp_signup_config_id

    @property
    def api_base_url(self) -> str:
        return self.public_base_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def allowed_hosts(self) -> list[str]:
        """TRUSTED_HOSTS with the names this API always answers to."""
        configured = [h.strip().lower() for h in self.trusted_hosts.split(",") if h.strip()]
        if "*" in configured:
            return ["*"]
        always = ["localhost", "127.0.0.1", "::1"]
        if self.api_host not in ("0.0.0.0", "::", ""):  # noqa: S104 - names, not a bind
            always.append(self.api_host.lower())
        if self.public_base_url:
            public = urlsplit(self.public_base_url).hostname
            if public:
                always.append(public.lower())
        return sorted(set(always + configured))

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_allowed_origins.split(",") if o.strip()]

    @property
    def proxy_addresses(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    def app_secret_for(self, platform: str) -> SecretStr:
        specific = {"instagram": self.instagram_app_secret, "whatsapp": self.whatsapp_app_secret}
        return specific.get(platform) or self.meta_app_secret

    @model_validator(mode="after")
    def _leases_outlast_the_calls_they_cover(self) -> Settings:
        # a send lease shorter than a Graph call would hand a send in progress to a second worker
        if self.send_lease_s <= self.graph_timeout_s:
            raise ValueError(
                f"SEND_LEASE_S ({self.send_lease_s}) must be longer than GRAPH_TIMEOUT_S "
                f"({self.graph_timeout_s})"
            )
        return self

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> Settings:
        if not self.is_production:
            return self
        placeholders = {
            "JWT_SECRET": (self.jwt_secret, DEV_JWT_SECRET),
            "META_APP_SECRET": (self.meta_app_secret, DEV_APP_SECRET),
            "TOKEN_ENCRYPTION_KEY": (self.token_encryption_key, DEV_ENCRYPTION_KEY),
            "META_VERIFY_TOKEN": (self.meta_verify_token, DEV_VERIFY_TOKEN),
        }
        if self.seed_demo:
            placeholders["DEMO_PASSWORD (or SEED_DEMO=false)"] = (
                self.demo_password,
                DEV_DEMO_PASSWORD,
            )
        unsafe = [
            name for name, (value, dev) in placeholders.items() if value.get_secret_value() == dev
        ]
        if unsafe:
            raise ValueError(f"set real values for {', '.join(unsafe)} in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""HTTP to the Graph API (Meta or the sandbox): one request with budget, error mapping and
retries. Returns plain dicts; the typed clients sit on top (instagram.py, whatsapp.py).

The access token travels in the Authorization header and is never logged or put in errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from app.config import Settings
from app.logging import get_logger
from app.platforms.meta.budget import AccountBudget, Rate
from app.platforms.meta.errors import (
    GraphAPIError,
    ThrottledError,
    TransientError,
    UnknownOutcome,
    classify,
)
from app.platforms.meta.usage import usage_percent, wait_hint_s

log = get_logger("meta.graph")

UNLIMITED = Rate(per_second=1_000_000, burst=1_000_000)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    max_inline_wait_s: float
    default_throttle_pause_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            settings.graph_max_attempts,
            settings.graph_backoff_base_s,
            settings.graph_backoff_max_s,
            settings.graph_max_inline_wait_s,
            settings.graph_default_throttle_pause_s,
        )


class GraphAPI:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str,
        version: str,
        access_token: str,
        account_id: str,
        policy: RetryPolicy,
        budget: AccountBudget | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._version = version
        self._token = access_token
        self.account_id = account_id
        self._policy = policy
        self._budget = budget
        self._backoff = wait_random_exponential(
            multiplier=policy.backoff_base_s, max=policy.backoff_max_s
        )

    @classmethod
    def for_token(
        cls,
        settings: Settings,
        http: httpx.AsyncClient,
        *,
        token: str,
        account_id: str,
        budget: AccountBudget | None = None,
    ) -> GraphAPI:
        """The deployment's Graph API (GRAPH_API_BASE, version, retry policy) with this token."""
        return cls(
            http=http,
            base_url=settings.graph_base,
            version=settings.graph_api_version,
            access_token=token,
            account_id=account_id,
            policy=RetryPolicy.from_settings(settings),
            budget=budget,
        )

    def _url(self, path: str, versioned: bool) -> str:
        return (
            f"{self._base}/{self._version}/{path.lstrip('/')}"
            if versioned
            else f"{self._base}/{path.lstrip('/')}"
        )

    def _should_retry(self, exc: BaseException) -> bool:
        if (
            not isinstance(exc, GraphAPIError)
            or not exc.transient
            or isinstance(exc, UnknownOutcome)
        ):
            return False
        return (exc.retry_after_s or 0) <= self._policy.max_inline_wait_s

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, GraphAPIError) and exc.retry_after_s is not None:
            return exc.retry_after_s
        return float(self._backoff(state))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        bucket: str = "default",
        rate: Rate = UNLIMITED,
        versioned: bool = True,
        sends: bool = False,
        auth: bool = True,
    ) -> dict[str, Any]:
        """`sends=True` marks calls that deliver something to a person: a timeout after the
        request left is then UnknownOutcome, never retried blindly."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(
                    method,
                    path,
                    params=params,
                    json=json,
                    bucket=bucket,
                    rate=rate,
                    versioned=versioned,
                    sends=sends,
                    auth=auth,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        json: dict[str, Any] | None,
        bucket: str,
        rate: Rate,
        versioned: bool,
        sends: bool,
        auth: bool,
    ) -> dict[str, Any]:
        if self._budget is not None:
            wait = await self._budget.wait_time(self.account_id, bucket, rate)
            if wait > 0:
                if wait > self._policy.max_inline_wait_s:
                    raise ThrottledError("our budget for this account is spent", retry_after_s=wait)

                await asyncio.sleep(wait)
        headers = {"Authorization": f"Bearer {self._token}"} if auth else {}
        try:
            response = await self._http.request(
                method, self._url(path, versioned), params=params, json=json, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(f"could not reach the Graph API ({type(exc).__name__})") from None
        except httpx.TimeoutException as exc:
            if sends:
                raise UnknownOutcome(f"no answer after sending ({type(exc).__name__})") from None
            raise TransientError(f"Graph API timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            if sends:
                raise UnknownOutcome(
                    f"connection broke after sending ({type(exc).__name__})"
                ) from None
            raise TransientError(f"Graph API connection failed ({type(exc).__name__})") from None

        response_headers = {k.lower(): v for k, v in response.headers.items()}
        if response.status_code < 400:
            if usage_percent(response_headers) >= 90:
                log.warning(
                    "Graph API usage is high", account=self.account_id, path=path.split("?")[0]
                )
            try:
                body = response.json()
            except ValueError:
                body = {}
            return body if isinstance(body, dict) else {"data": body}

        try:
            body = response.json()
        except ValueError:
            body = {}
        error = classify(
            response.status_code, body, response_headers, wait_hint_s(response_headers)
        )
        if isinstance(error, ThrottledError):
            if error.retry_after_s is None:
                error.retry_after_s = self._policy.default_throttle_pause_s
            pause = error.retry_after_s
            if self._budget is not None and pause > 0:
                await self._budget.pause(self.account_id, pause)
        log.warning(
            "Graph API error",
            account=self.account_id,
            status=error.status,
            code=error.code,
            subcode=error.subcode,
            error_class=type(error).__name__,
        )
        raise error

"""Moderation of inbound text and drafts: OpenAI `omni-moderation-latest` when a key is set,
otherwise (and when it is down) a local classifier (alt-profanity-check)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import numpy as np

from app.cache import ExpiringCache
from app.config import Settings
from app.logging import get_logger

log = get_logger("agent.moderation")


@dataclass(frozen=True)
class ModerationResult:
    flagged: bool
    provider: str
    categories: list[str] = field(default_factory=list)
    max_score: float = 0.0


class Moderator(Protocol):
    async def check(self, text: str) -> ModerationResult: ...


class ProfanityScorer:
    """alt-profanity-check's classifier (TF-IDF, five linear SVMs with sigmoid calibration,
    averaged), evaluated directly: its `predict_prob` goes through scikit-learn's checks and
    label encoding on every call, six times the arithmetic (4 ms a text, twice a reply). The
    same numbers (tests/test_agent.py compares them); if the library's model is not shaped as
    expected, its own `predict_prob` is used."""

    def __init__(self) -> None:
        from profanity_check import profanity_check as library

        self._library = library
        self._vectorizer = library.vectorizer
        try:
            calibrated = library.model.calibrated_classifiers_
            self._weights = np.vstack([c.estimator.coef_.ravel() for c in calibrated]).T
            self._intercepts = np.array([c.estimator.intercept_[0] for c in calibrated])
            self._a = np.array([c.calibrators[0].a_ for c in calibrated])
            self._b = np.array([c.calibrators[0].b_ for c in calibrated])
            self.direct = True
        except (AttributeError, IndexError, ValueError):
            self.direct = False

    def score(self, text: str) -> float:
        if not self.direct:
            return float(self._library.predict_prob([text])[0])
        decision = np.asarray(self._vectorizer.transform([text]) @ self._weights) + self._intercepts
        return float((1.0 / (1.0 + np.exp(self._a * decision + self._b))).mean())


@lru_cache(maxsize=1)
def profanity_scorer() -> ProfanityScorer:
    return ProfanityScorer()


class LocalModerator:
    def __init__(self, threshold: float = 0.85) -> None:
        self._threshold = threshold

    async def check(self, text: str) -> ModerationResult:
        # under a millisecond: cheaper on the event loop than a hop to a thread
        score = profanity_scorer().score(text)
        flagged = score >= self._threshold
        return ModerationResult(flagged, "local", ["profanity"] if flagged else [], score)


class OpenAIModerator:
    def __init__(self, settings: Settings, fallback: Moderator) -> None:
        from openai import AsyncOpenAI

        assert settings.openai_api_key is not None
        self._client = AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            max_retries=1,
            timeout=10,
        )
        self._threshold = settings.moderation_threshold
        self._fallback = fallback
        # keyed by the text's digest: the texts themselves are not kept
        self._verdicts: ExpiringCache[bytes, ModerationResult] = ExpiringCache(
            settings.moderation_cache_s
        )

    async def check(self, text: str) -> ModerationResult:
        key = hashlib.sha256(text.encode()).digest()
        known = self._verdicts.get(key)
        if known is not None:
            return known
        result = await self._ask(text)
        if result.provider == "openai":
            # the local fallback's answer is not OpenAI's: asked again once it is back
            self._verdicts.put(key, result)
        return result

    async def _ask(self, text: str) -> ModerationResult:
        try:
            response = await self._client.moderations.create(
                model="omni-moderation-latest", input=text
            )
        except Exception as exc:
            log.warning(
                "moderation API unavailable; using the local classifier", error=type(exc).__name__
            )
            return await self._fallback.check(text)
        result = response.results[0]
        scores = result.category_scores.model_dump(by_alias=True)
        over = sorted(
            name for name, score in scores.items() if score is not None and score >= self._threshold
        )
        flagged = bool(result.flagged or over)
        return ModerationResult(
            flagged, "openai", over, max((s or 0.0) for s in scores.values()) if scores else 0.0
        )


def create_moderator(settings: Settings) -> Moderator:
    local = LocalModerator(settings.local_moderation_threshold)
    if settings.openai_api_key is not None and settings.moderation_enabled:
        return OpenAIModerator(settings, local)
    return local

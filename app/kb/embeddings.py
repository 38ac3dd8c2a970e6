"""Embedding providers behind one interface. Vectors are L2-normalised (cosine distance), and
every stored vector records its model id: search compares like with like only."""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from app.config import Settings

WORDLLAMA_MODEL = "wordllama-l2-supercat-256"
GEMINI_MODEL = "gemini-embedding-001-768"


class EmbeddingUnavailable(Exception):
    """The provider failed (outage, quota, bad key): the work is retried later, not dropped."""


class Embedder(Protocol):
    model_id: str
    dimensions: int

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...
    async def embed_query(self, text: str) -> list[float]: ...


def normalize(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [float(v) / norm for v in vector]


@lru_cache(maxsize=1)
def _wordllama() -> Any:
    import wordllama
    from wordllama import WordLlama

    # the weights ship inside the wheel: load them from there and never reach for a hub
    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=256)


class WordLlamaEmbedder:
    """Offline, CPU-only, weights in the package: the embedded default."""

    model_id = WORDLLAMA_MODEL
    dimensions = 256

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = _wordllama().embed(list(texts), norm=True)
        return [normalize(v) for v in vectors.tolist()]

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._embed, texts) if texts else []

    async def embed_query(self, text: str) -> list[float]:
        # one query takes ~40 µs: a hop to a worker thread would cost more than the work
        return self._embed([text])[0]


class GeminiEmbedder:
    """gemini-embedding-001 through google-genai, 768 dimensions, document/query task types,
    at most 100 texts a call (PRACTICES.md, Gemini)."""

    model_id = GEMINI_MODEL
    dimensions = 768

    def __init__(self, settings: Settings) -> None:
        from google import genai
        from google.genai import types

        if settings.gemini_api_key is None:
            raise EmbeddingUnavailable("GEMINI_API_KEY is not set")
        http_options = (
            types.HttpOptions(base_url=settings.gemini_base_url)
            if settings.gemini_base_url
            else None
        )
        self._client = genai.Client(
            api_key=settings.gemini_api_key.get_secret_value(), http_options=http_options
        )
        self._types = types
        self._model = settings.gemini_embedding_model
        self._batch = min(100, settings.embedding_batch_size)

    async def _embed(self, texts: Sequence[str], task_type: str) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            batch: list[Any] = list(texts[start : start + self._batch])
            try:
                response = await self._client.aio.models.embed_content(
                    model=self._model,
                    contents=batch,
                    config=self._types.EmbedContentConfig(
                        task_type=task_type, output_dimensionality=self.dimensions
                    ),
                )
            except Exception as exc:
                raise EmbeddingUnavailable(
                    f"Gemini embeddings failed: {type(exc).__name__}"
                ) from exc
            out.extend(normalize(e.values or []) for e in response.embeddings or [])
        if len(out) != len(texts):
            raise EmbeddingUnavailable("Gemini returned a different number of embeddings")
        return out

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._embed(texts, "RETRIEVAL_DOCUMENT") if texts else []

    async def embed_query(self, text: str) -> list[float]:
        return (await self._embed([text], "RETRIEVAL_QUERY"))[0]


class OpenAIEmbedder:
    dimensions = 1536

    def __init__(self, settings: Settings) -> None:
        from openai import AsyncOpenAI

        if settings.openai_api_key is None:
            raise EmbeddingUnavailable("OPENAI_API_KEY is not set")
        self._client = AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url
        )
        self.model_id = settings.openai_embedding_model
        self._batch = settings.embedding_batch_size

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            try:
                response = await self._client.embeddings.create(
                    model=self.model_id, input=list(texts[start : start + self._batch])
                )
            except Exception as exc:
                raise EmbeddingUnavailable(
                    f"OpenAI embeddings failed: {type(exc).__name__}"
                ) from exc
            out.extend(
                normalize(item.embedding) for item in sorted(response.data, key=lambda d: d.index)
            )
        return out

    async def embed_query(self, text: str) -> list[float]:
        return (await self.embed_documents([text]))[0]


def preload(settings: Settings) -> None:
    """Load the offline model's weights now (worker start-up), not on the first message."""
    if settings.embedding_provider == "wordllama":
        _wordllama()


class RecentQueries:
    """An embedder that remembers the vectors of the last queries it embedded. Customers ask
    the same things ("hi", "opening hours?"), and a query embedded again cost a call to the
    provider (Gemini: a network round trip and quota) or, with WordLlama, as much CPU as the
    search's own SQL. Documents are never cached: each is embedded once, when stored."""

    def __init__(self, embedder: Embedder, size: int) -> None:
        self.inner = embedder
        self.model_id = embedder.model_id
        self.dimensions = embedder.dimensions
        self._size = size
        self._recent: OrderedDict[str, list[float]] = OrderedDict()

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return await self.inner.embed_documents(texts)

    async def embed_query(self, text: str) -> list[float]:
        vector = self._recent.get(text)
        if vector is None:
            vector = await self.inner.embed_query(text)
            self._recent[text] = vector
            if len(self._recent) > self._size:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(text)
        # a copy: a caller changing its vector never changes the next caller's
        return list(vector)


class Embedders:
    """One embedder per provider, made on first use: each workspace may choose its own.
    Gemini and OpenAI raise EmbeddingUnavailable when their key is not configured."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._made: dict[str, Embedder] = {}

    def provider(self, chosen: str | None) -> str:
        return chosen or self._settings.embedding_provider

    def get(self, chosen: str | None = None) -> Embedder:
        name = self.provider(chosen)
        if name not in self._made:
            embedder = get_embedder(self._settings, name)
            size = self._settings.embedding_query_cache_size
            self._made[name] = RecentQueries(embedder, size) if size > 0 else embedder
        return self._made[name]

    def available(self, name: str) -> bool:
        key = {"gemini": self._settings.gemini_api_key, "openai": self._settings.openai_api_key}
        return name == "wordllama" or key.get(name) is not None


def get_embedder(settings: Settings, provider: str | None = None) -> Embedder:
    chosen = provider or settings.embedding_provider
    if chosen == "gemini":
        return GeminiEmbedder(settings)
    if chosen == "openai":
        return OpenAIEmbedder(settings)
    return WordLlamaEmbedder()

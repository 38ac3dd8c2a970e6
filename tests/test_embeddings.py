"""The real embedding clients (google-genai, openai) over HTTP to a local server, and WordLlama."""

from __future__ import annotations

import math

import pytest
from pydantic import SecretStr

from app.kb.embeddings import (
    Embedders,
    EmbeddingUnavailable,
    GeminiEmbedder,
    OpenAIEmbedder,
    WordLlamaEmbedder,
)


def _unit(vector: list[float]) -> bool:
    return abs(math.sqrt(sum(v * v for v in vector)) - 1) < 1e-6


async def test_gemini_768_dims_task_types_batches_of_100_normalised(
    settings, fake_ai, fake_ai_state
) -> None:
    configured = settings.model_copy(
        update={"gemini_api_key": SecretStr("test-key"), "gemini_base_url": fake_ai.url}
    )
    embedder = GeminiEmbedder(configured)
    texts = [f"chunk number {i}" for i in range(150)]
    vectors = await embedder.embed_documents(texts)
    assert len(vectors) == 150 and all(len(v) == 768 and _unit(v) for v in vectors)
    assert vectors[0] != vectors[1]
    calls = [r for r in fake_ai_state.requests if r["api"] == "gemini"]
    assert [len(c["body"]["requests"]) for c in calls] == [100, 50], "at most 100 texts per call"
    first = calls[0]["body"]["requests"][0]
    assert first["taskType"] == "RETRIEVAL_DOCUMENT" and first["outputDimensionality"] == 768
    assert "gemini-embedding-001" in calls[0]["path"] and calls[0]["key"] == "test-key"
    query = await embedder.embed_query("where is my order")
    assert len(query) == 768
    assert fake_ai_state.requests[-1]["body"]["requests"][0]["taskType"] == "RETRIEVAL_QUERY"


async def test_a_question_asked_again_is_not_embedded_again(
    settings, fake_ai, fake_ai_state
) -> None:
    """Search queries' vectors are remembered per process (the last EMBEDDING_QUERY_CACHE_SIZE):
    a customer asking what others asked costs no call to Gemini; documents always go."""
    embedders = Embedders(
        settings.model_copy(
            update={
                "gemini_api_key": SecretStr("k"),
                "gemini_base_url": fake_ai.url,
                "embedding_query_cache_size": 2,
            }
        )
    )
    embedder = embedders.get("gemini")

    def gemini_calls() -> int:
        return len([r for r in fake_ai_state.requests if r["api"] == "gemini"])

    before = gemini_calls()
    hours = await embedder.embed_query("what are your opening hours?")
    again = await embedder.embed_query("what are your opening hours?")
    assert again == hours and gemini_calls() == before + 1, "asked again: no second call"
    again[0] = 5.0
    assert (await embedder.embed_query("what are your opening hours?"))[0] != 5.0
    await embedder.embed_query("do you ship to Spain?")
    await embedder.embed_query("is it vegan?")
    calls = gemini_calls()
    await embedder.embed_query("what are your opening hours?")
    assert gemini_calls() == calls + 1, "only the last 2 queries are remembered"
    await embedder.embed_documents(["is it vegan?"])
    assert gemini_calls() == calls + 2, "documents are always embedded"


async def test_gemini_outage_is_reported_as_unavailable(settings, fake_ai, fake_ai_state) -> None:
    fake_ai_state.fail_next = 10
    embedder = GeminiEmbedder(
        settings.model_copy(
            update={"gemini_api_key": SecretStr("k"), "gemini_base_url": fake_ai.url}
        )
    )
    with pytest.raises(EmbeddingUnavailable):
        await embedder.embed_documents(["hello"])


async def test_openai_compatible_embeddings(settings, fake_ai, fake_ai_state) -> None:
    embedder = OpenAIEmbedder(
        settings.model_copy(
            update={"openai_api_key": SecretStr("sk-test"), "openai_base_url": f"{fake_ai.url}/v1"}
        )
    )
    vectors = await embedder.embed_documents(["a", "b", "c"])
    assert len(vectors) == 3 and all(len(v) == 1536 and _unit(v) for v in vectors)
    assert fake_ai_state.requests[-1]["body"]["model"] == "text-embedding-3-small"


async def test_missing_keys_are_a_clear_error(settings) -> None:
    with pytest.raises(EmbeddingUnavailable, match="GEMINI_API_KEY"):
        GeminiEmbedder(settings.model_copy(update={"gemini_api_key": None}))


async def test_wordllama_runs_offline_and_understands_paraphrase() -> None:
    embedder = WordLlamaEmbedder()
    hours, opening, shipping = await embedder.embed_documents(
        [
            "What are your opening hours?",
            "When is the shop open?",
            "How much does delivery to Spain cost?",
        ]
    )
    assert all(len(v) == 256 and _unit(v) for v in (hours, opening, shipping))

    def sim(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert sim(hours, opening) > sim(hours, shipping) + 0.2

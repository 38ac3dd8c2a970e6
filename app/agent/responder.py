"""The offline responder: answers from the best FAQ entry or knowledge chunk when it is similar
enough to the question, otherwise escalates. No LLM, zero cost, predictable."""

from __future__ import annotations

import re
from dataclasses import replace

from app.agent import language
from app.agent.decisions import Action, Decision
from app.kb.embeddings import Embedder
from app.kb.service import SearchHit

_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def _confidence(similarity: float, floor: float, threshold: float) -> float:
    """Map similarity in [floor, 1] onto confidence in [threshold, 1]: a match that just clears
    the offline floor is exactly as confident as the workspace requires, a perfect one is 1."""
    if similarity < floor:
        return round(similarity * threshold / max(floor, 1e-6), 3)
    return round(threshold + (1 - threshold) * (similarity - floor) / max(1 - floor, 1e-6), 3)


async def _best_sentences(embedder: Embedder, question: str, text: str, keep: int = 2) -> str:
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    if len(sentences) <= keep:
        return text.strip()
    vectors = await embedder.embed_documents([question, *sentences])
    query, rest = vectors[0], vectors[1:]
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: -sum(a * b for a, b in zip(query, rest[i], strict=True)),
    )
    chosen = sorted(ranked[:keep])  # keep the document's order
    return " ".join(sentences[i].strip() for i in chosen)


async def offline_reply(
    embedder: Embedder,
    *,
    question: str,
    hits: list[SearchHit],
    faq_floor: float,
    chunk_floor: float,
    threshold: float,
) -> Decision:
    faqs = [h for h in hits if h.kind == "faq" and h.similarity is not None]
    chunks = [h for h in hits if h.kind == "chunk" and h.similarity is not None]
    best_faq = max(faqs, key=lambda h: h.similarity or 0, default=None)
    best_chunk = max(chunks, key=lambda h: h.similarity or 0, default=None)
    if best_faq and (best_faq.similarity or 0) >= faq_floor:
        return Decision(
            Action.RESPOND,
            reply=best_faq.answer,
            model="offline",
            confidence=_confidence(best_faq.similarity or 0, faq_floor, threshold),
            reasons=[f"FAQ match {best_faq.similarity:.2f}: {best_faq.text!r}"],
            citations=[{"kind": "faq", "id": best_faq.id, "title": best_faq.text}],
        )
    if best_chunk and (best_chunk.similarity or 0) >= chunk_floor:
        return Decision(
            Action.RESPOND,
            reply=await _best_sentences(embedder, question, best_chunk.text),
            model="offline",
            confidence=_confidence(best_chunk.similarity or 0, chunk_floor, threshold),
            reasons=[f"knowledge match {best_chunk.similarity:.2f} in {best_chunk.source!r}"],
            citations=[
                {
                    "kind": "chunk",
                    "id": best_chunk.id,
                    "title": best_chunk.source,
                    "page": best_chunk.page_number,
                }
            ],
        )
    best = max([h.similarity or 0 for h in hits], default=0.0)
    return Decision(
        Action.ESCALATE,
        model="offline",
        confidence=round(best, 3),
        reasons=[f"no confident answer in the knowledge base (best match {best:.2f})"],
    )


def in_customer_language(decision: Decision, question: str) -> Decision:
    """The offline responder cannot translate: an answer in another language than the
    customer's goes to staff as a draft instead of being sent."""
    if decision.action != Action.RESPOND or not decision.reply:
        return decision
    asked, answer = language.detect(question), language.detect(decision.reply)
    if asked is None or answer is None or asked == answer:
        return decision
    return replace(
        decision,
        action=Action.ESCALATE,
        reply=None,
        draft=decision.reply,
        reasons=[
            *decision.reasons,
            f"the customer wrote in '{asked}' and the answer is in '{answer}': "
            "the offline responder does not translate",
        ],
    )

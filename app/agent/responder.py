"""The offline responder: no model, zero cost, predictable. In order:

1. Small talk (greetings, thanks, goodbyes, "are you a bot?", praise under a post) gets a short
   answer from `prompts/small_talk.md` in the workspace's tone; what else the message asks is
   the question.
2. The question against every FAQ entry (app/agent/matcher.py: how much of it an entry covers,
   blended with the embedding similarity, ahead of the runner-up by a margin): the entry's
   answer.
3. Else the line of a retrieved passage that holds what was asked (an item and its price, a
   day and its hours), with its citation, never the raw chunk.
4. Else escalate. A safety question (allergies, health, the law) is answered only by an FAQ
   entry that covers it all, word for word, never from a passage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from app.agent import language
from app.agent.ai_settings import DEFAULT_HOLDING_MESSAGE
from app.agent.decisions import Action, Decision
from app.agent.lexicon import asks_about_safety, is_complaint
from app.agent.matcher import ITEMS_NEEDED, Candidate, Corpus, Scored, best_line, rank
from app.agent.prompts import load_prompt
from app.agent.small_talk import SmallTalk, recognise, reply_for
from app.kb.service import SearchHit

SAFE_COVERAGE = 0.9


@dataclass(frozen=True)
class Thresholds:
    faq: float  # the blended score an FAQ answer needs
    line: float  # the share of the question a passage's line must cover
    margin: float  # over the runner-up FAQ entry
    confidence: float  # the workspace's threshold: what an accepted answer is mapped onto


def _confidence(score: float, floor: float, threshold: float) -> float:
    """Map a score in [floor, 1] onto [threshold, 1]: an answer that just clears the floor is
    exactly as confident as the workspace requires; below the floor, below the threshold."""
    if score < floor:
        return round(score * threshold / max(floor, 1e-6), 3)
    return round(threshold + (1 - threshold) * (score - floor) / max(1 - floor, 1e-6), 3)


def small_talk_reply(talk: SmallTalk, *, business_name: str, tone: str) -> Decision:
    return Decision(
        Action.RESPOND,
        reply=reply_for(talk, business_name=business_name, tone=tone),
        model="offline",
        confidence=1.0,
        reasons=[f"small talk: {talk.kind} ({talk.language})"],
    )


def _faq_decision(best: Scored, second: Scored | None, limits: Thresholds) -> Decision | None:
    ahead = best.score - (second.score if second else 0.0)
    if best.score < limits.faq or ahead < limits.margin:
        return None
    entry = best.candidate
    return Decision(
        Action.RESPOND,
        reply=entry.answer,
        model="offline",
        confidence=_confidence(best.score, limits.faq, limits.confidence),
        reasons=[
            f"FAQ match {best.score:.2f} (covers {best.coverage:.0%} of the question, "
            f"{ahead:.2f} ahead of the next): {entry.question!r}"
            + (" (under review: marked wrong by staff)" if entry.under_review else "")
        ],
        citations=[{"kind": "faq", "id": entry.id, "title": entry.question}],
        source=f"{entry.question}\n{entry.answer}",
    )


def _passage_decision(
    question: str, chunks: list[SearchHit], corpus: Corpus, limits: Thresholds, business_text: str
) -> Decision | None:
    found = [(best_line(question, hit.text, corpus), hit) for hit in chunks]
    scored = [(line, hit) for line, hit in found if line is not None]
    if not scored:
        return None
    line, hit = max(scored, key=lambda pair: (pair[0].items, pair[0].coverage))
    # the asked-for item itself must be on the line; a question of concepts only ("when do
    # you open?") needs the line to cover it well
    has_items = line.items > 0
    if (has_items and line.items < ITEMS_NEEDED) or line.coverage < limits.line:
        return None
    reply = line.text if line.text.endswith((".", "!", "?")) else f"{line.text}."
    return Decision(
        Action.RESPOND,
        reply=reply,
        model="offline",
        confidence=_confidence(line.coverage, limits.line, limits.confidence),
        reasons=[f"knowledge match {line.coverage:.2f} in {hit.source!r}: the line {line.text!r}"],
        citations=[{"kind": "chunk", "id": hit.id, "title": hit.source, "page": hit.page_number}],
        # a short line ("Tagliatelle al ragù $19") says nothing of its language: the business's
        # own words (its FAQ, the passages found) do
        source=line.text if len(line.text.split()) >= 6 else (business_text or hit.text),
    )


async def offline_reply(
    *,
    question: str,
    hits: list[SearchHit],
    faq_entries: list[dict[str, Any]],
    limits: Thresholds,
    business_name: str,
    tone: str,
    ignore_praise: bool = False,
) -> Decision:
    talk = recognise(question)
    if talk is not None and not talk.rest:
        if talk.kind == "praise" and ignore_praise:
            return Decision(Action.IGNORE, model="offline", reasons=["praise: left unanswered"])
        return small_talk_reply(talk, business_name=business_name, tone=tone)
    asked = talk.rest if talk is not None else question
    if is_complaint(asked):
        return Decision(
            Action.ESCALATE,
            model="offline",
            confidence=0.0,
            reasons=["the customer is unhappy: a person answers complaints"],
        )
    vectors = {h.id: h.similarity or 0.0 for h in hits if h.kind == "faq"}
    candidates = [
        Candidate(
            str(f["id"]),
            f["question"],
            f["answer"],
            vectors.get(str(f["id"])),
            under_review=f.get("needs_review_since") is not None,
        )
        for f in faq_entries
    ]
    chunks = [h for h in hits if h.kind == "chunk"]
    corpus = Corpus(
        [f"{c.question}\n{c.answer}" for c in candidates] + [chunk.text for chunk in chunks]
    )
    ranked = rank(asked, candidates, corpus)
    best = ranked[0] if ranked else None
    second = ranked[1] if len(ranked) > 1 else None
    if asks_about_safety(asked):
        if best is not None and best.coverage >= SAFE_COVERAGE:
            decision = _faq_decision(best, second, limits)
            if decision is not None:
                decision.reasons.append("a safety question: answered word for word from the FAQ")
                return decision
        return Decision(
            Action.ESCALATE,
            model="offline",
            confidence=0.0,
            reasons=[
                "a safety question (allergies, health, the law) the FAQ does not answer "
                "word for word: a person answers it"
            ],
        )
    if best is not None and (decision := _faq_decision(best, second, limits)) is not None:
        return decision
    if best is not None and second is not None and second.score >= limits.faq:
        # two FAQ entries answer it about as well: a person picks, never a passage's guess
        return Decision(
            Action.ESCALATE,
            model="offline",
            confidence=round(best.score, 3),
            reasons=[
                f"two FAQ entries fit equally ({best.candidate.question!r}, "
                f"{second.candidate.question!r}): a person answers"
            ],
            draft=best.candidate.answer,
        )
    # the language a short line (a name and a price) is in: told from more of the business's
    # own words, its FAQ and the passages found, not from the line alone
    business_text = " ".join(
        [f"{c.question} {c.answer}" for c in candidates] + [h.text for h in chunks]
    )[:3000]
    if (decision := _passage_decision(asked, chunks, corpus, limits, business_text)) is not None:
        return decision
    top = best.score if best else 0.0
    return Decision(
        Action.ESCALATE,
        model="offline",
        confidence=round(top, 3),
        reasons=[f"no confident answer in the knowledge base (best match {top:.2f})"],
    )


def in_customer_language(decision: Decision, question: str) -> Decision:
    """The offline responder cannot translate: an answer in another language than the
    customer's goes to staff as a draft instead of being sent."""
    if decision.action != Action.RESPOND or not decision.reply:
        return decision
    if decision.reasons and decision.reasons[0].startswith("small talk"):
        return decision  # answered in the customer's own language already
    asked = customer_language(question)
    answer = language.detect(decision.source or decision.reply) or language.detect(decision.reply)
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


def customer_language(text: str) -> str | None:
    """The language of a message: from the text itself, else from its small talk ("hola,
    ...") or its function words ("vocês", "est-ce"), which short messages still carry."""
    detected = language.detect(text)
    if detected is not None:
        return detected
    talk = recognise(text)
    return talk.language if talk is not None else language.from_function_words(text)


@lru_cache(maxsize=1)
def _holding_replies() -> dict[str, str]:
    replies = {}
    for line in load_prompt("holding").splitlines():
        if line.strip() and not line.startswith("#"):
            code, _, reply = line.partition(":")
            replies[code.strip()] = reply.strip()
    return replies


def holding_reply(configured: str | None, customer_text: str) -> str | None:
    """The workspace's holding message; the default one in the customer's language when it is
    one of ours (a message of the workspace's own is sent as written)."""
    if configured != DEFAULT_HOLDING_MESSAGE:
        return configured
    asked = customer_language(customer_text)
    return _holding_replies().get(asked or "en", configured)

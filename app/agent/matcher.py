"""Which FAQ entry a question asks about, and which line of a passage answers it, without a
model: how much of the question's meaning (its concepts and content words, weighted by how rare
they are in this workspace's knowledge) an entry covers, blended with the embedding similarity,
and accepted only with a margin over the runner-up.

A question word found elsewhere in the knowledge base but not in an entry weighs fully against
it; a word the knowledge base never uses weighs a third (a typo, "inside"); a concept always
weighs fully ("where is my order?" is not "where are you?")."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.agent.lexicon import fold, is_concept, terms, words

LEXICAL_WEIGHT = 0.7
CONCEPT_BOOST = 1.3
IN_ANSWER = 0.6
UNKNOWN_WORD = 0.35
DAY_WEIGHT = 0.15
ITEMS_NEEDED = 0.7
LITERAL_BONUS = 0.1
REVIEW_PENALTY = 0.2
HEADING_SHARE = 0.5


@dataclass(frozen=True)
class Candidate:
    id: str
    question: str
    answer: str
    vector: float | None = None  # the embedding similarity, when retrieval saw it
    under_review: bool = False  # staff marked a reply from it wrong since it was last edited


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    coverage: float


class Corpus:
    """Document frequencies over the workspace's FAQ and retrieved passages."""

    def __init__(self, documents: Sequence[str]) -> None:
        self.size = max(len(documents), 1)
        self.df: Counter[str] = Counter()
        for document in documents:
            self.df.update(_term_set(document))

    def weight(self, term: str) -> float:
        df = self.df.get(term, 0)
        idf = math.log((self.size + 1) / (df + 0.5))
        if term.startswith("DAY_"):
            return idf * DAY_WEIGHT  # a detail of an hours question, not its subject
        if is_concept(term):
            # a concept is the question's subject however often the knowledge base names it
            return max(idf, 1.0) * CONCEPT_BOOST
        return idf * (UNKNOWN_WORD if df == 0 else 1.0)


def coverage(question_terms: Sequence[str], corpus: Corpus, question: str, answer: str) -> float:
    """The weighted share of the question's terms found in the entry's question (fully) or
    only in its answer (partly)."""
    wanted = list(dict.fromkeys(question_terms))
    if not wanted:
        return 0.0
    in_question, in_answer = _term_set(question), _answer_terms(answer)
    total = found = 0.0
    for term in wanted:
        weight = corpus.weight(term)
        total += weight
        if term in in_question:
            found += weight
        elif term in in_answer:
            found += weight * IN_ANSWER
    return found / total if total else 0.0


def _literal_share(question: str, entry_question: str) -> float:
    """The share of the question's own words (before synonyms) in the entry's question: of two
    entries about returns, "return policy" is nearer to "can I return it?" than "exchange"."""
    asked = _word_set(question)
    return len(asked & _word_set(entry_question)) / len(asked) if asked else 0.0


# the same FAQ is compared with every question: what each entry says is worked out once
@lru_cache(maxsize=50_000)
def _term_set(text: str) -> frozenset[str]:
    return frozenset(terms(text))


@lru_cache(maxsize=50_000)
def _answer_terms(answer: str) -> frozenset[str]:
    return frozenset(terms(with_markers(answer, clock=False)))


@lru_cache(maxsize=50_000)
def _word_set(text: str) -> frozenset[str]:
    return frozenset(words(text))


def rank(question: str, candidates: Sequence[Candidate], corpus: Corpus) -> list[Scored]:
    """Best first."""
    wanted = terms(question)
    scored = []
    for candidate in candidates:
        cover = coverage(wanted, corpus, candidate.question, candidate.answer)
        vector = max(candidate.vector or 0.0, 0.0)
        score = min(
            1.0,
            LEXICAL_WEIGHT * cover
            + (1 - LEXICAL_WEIGHT) * vector
            + LITERAL_BONUS * _literal_share(question, candidate.question),
        ) - (REVIEW_PENALTY if candidate.under_review else 0.0)
        scored.append(Scored(candidate, round(score, 4), round(cover, 4)))
    return sorted(scored, key=lambda s: -s.score)


_LINES = re.compile(r"[^\n]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_PRICE = re.compile(r"[€$£]\s?\d|\d+(?:[.,]\d{1,2})?\s?(?:€|eur\b|usd\b|£|\$)", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    text: str
    coverage: float
    items: float  # the share of the question's content words (not concepts) it holds


_SPAN = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|thirty)\s*(to \w+ )?"
    r"(working )?(hours?|h|minutes?|mins?|days?|weeks?|months?)\b"
)
_CLOCK = re.compile(r"\b\d{1,2}(:\d{2})?\s?(am|pm)\b|\b\d{1,2}:\d{2}\b", re.IGNORECASE)


def with_markers(text: str, *, clock: bool = True) -> str:
    """The text with the concepts its figures answer: a price answers "how much", a time of
    day "when do you open", a span "how long"."""
    markers = []
    if _PRICE.search(text):
        markers.append("price")
    if clock and _CLOCK.search(text):
        markers.append("hours")
    if _SPAN.search(fold(text)):
        markers.append("how long")
    return " ".join([text, *markers])


def _pieces(passage: str) -> list[tuple[str, str]]:
    """(line or sentence, the section heading above it): "Pizza" over "Margherita $13"."""
    out: list[tuple[str, str]] = []
    heading = ""
    for line in _LINES.findall(passage):
        for piece in _SENTENCE.split(line):
            text = piece.strip(" -•*\t")
            if not text:
                continue
            if len(text.split()) <= 3 and not any(ch.isdigit() for ch in text):
                heading = text
                continue
            out.append((text, heading))
    return out


def best_line(question: str, passage: str, corpus: Corpus) -> Line | None:
    """The line or sentence of a passage that holds what was asked (an item and its price, a
    day and its hours), or None when no line holds the question's own words."""
    wanted = list(dict.fromkeys(terms(question)))
    items = [t for t in wanted if not is_concept(t)]
    item_weight = sum(corpus.weight(t) for t in items)
    best: Line | None = None
    for text, heading in _pieces(passage):
        on_line, in_heading = set(terms(text)), set(terms(heading))
        if items and not on_line & set(items):
            continue  # the asked-for thing itself must be on the line, not only its heading
        cover = coverage(wanted, corpus, with_markers(text), heading)
        item_share = (
            sum(
                corpus.weight(t) * (1.0 if t in on_line else HEADING_SHARE)
                for t in items
                if t in on_line or t in in_heading
            )
            / item_weight
            if item_weight
            else 0.0
        )
        line = Line(text, round(cover, 4), round(item_share, 4))
        if best is None or (line.items, line.coverage) > (best.items, best.coverage):
            best = line
    return best

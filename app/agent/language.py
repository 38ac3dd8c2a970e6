"""Which language a message is in (py3langid, offline), for replying in the customer's language.

Short texts ("hi", "ok!") say little about their language: below a length and a confidence we
answer "unknown" rather than guess."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from app.agent.lexicon import fold

# The languages of the businesses and customers we expect; a closed set makes short messages
# far more reliable than choosing among the model's 97
LANGUAGES = [
    "en",
    "es",
    "pt",
    "fr",
    "de",
    "it",
    "nl",
    "pl",
    "tr",
    "ru",
    "uk",
    "ar",
    "hi",
    "id",
    "ms",
    "ja",
    "ko",
    "zh",
    "vi",
    "th",
    "sv",
    "da",
    "no",
    "fi",
    "cs",
    "ro",
    "el",
    "he",
]
MIN_CHARS = 12
MIN_CONFIDENCE = 0.7


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


def preload() -> None:
    """Load the identifier's model now (about 0.5 s), not with the first message."""
    _identifier()


@lru_cache(maxsize=1024)
def detect(text: str | None) -> str | None:
    """An ISO 639-1 code, or None when the text is too short or too ambiguous to tell. Asked
    of the same message by the reply's steps, and of the same short phrases by customers."""
    cleaned = (text or "").strip()
    if len(cleaned) < MIN_CHARS:
        return None
    language, confidence = _identifier().classify(cleaned)
    return str(language) if confidence >= MIN_CONFIDENCE else None


# words that belong to one of the six languages we answer in (accent-free), for messages too
# short for the model: "Vocês aceitam PayPal?"
_FUNCTION_WORDS = {
    "en": {
        "you",
        "your",
        "do",
        "does",
        "the",
        "is",
        "are",
        "what",
        "how",
        "where",
        "when",
        "can",
        "have",
        "with",
    },
    "es": {
        "usted",
        "ustedes",
        "tienen",
        "hacen",
        "puedo",
        "cual",
        "cuanto",
        "donde",
        "cuando",
        "el",
        "los",
        "las",
        "del",
        "por",
        "que",
        "hay",
        "es",
        "una",
    },
    "pt": {
        "voce",
        "voces",
        "vcs",
        "tem",
        "fazem",
        "posso",
        "qual",
        "quanto",
        "onde",
        "quando",
        "os",
        "as",
        "do",
        "da",
        "nao",
        "sao",
        "uma",
        "aceitam",
        "e",
    },
    "fr": {
        "vous",
        "est",
        "ce",
        "avez",
        "etes",
        "faites",
        "puis",
        "quel",
        "quelle",
        "combien",
        "ou",
        "quand",
        "le",
        "les",
        "du",
        "une",
        "des",
    },
    "de": {
        "sie",
        "ihr",
        "habt",
        "haben",
        "ist",
        "sind",
        "kann",
        "ich",
        "wie",
        "was",
        "wo",
        "wann",
        "der",
        "die",
        "das",
        "ein",
        "eine",
        "gibt",
    },
    "it": {
        "voi",
        "avete",
        "siete",
        "fate",
        "posso",
        "quale",
        "quanto",
        "dove",
        "quando",
        "il",
        "lo",
        "gli",
        "della",
        "che",
        "una",
        "sono",
    },
}


def from_function_words(text: str | None) -> str | None:
    """The language most of the message's function words belong to, if one clearly leads."""
    folded = re.sub(r"[^a-z0-9\s]", " ", fold(text or ""))
    words = set(folded.split())
    scores = sorted(
        ((len(words & vocabulary), name) for name, vocabulary in _FUNCTION_WORDS.items()),
        reverse=True,
    )
    (best, name), (second, _) = scores[0], scores[1]
    return name if best >= 1 and best > second else None

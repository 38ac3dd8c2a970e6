"""Which language a message is in (py3langid, offline), for replying in the customer's language.

Short texts ("hi", "ok!") say little about their language: below a length and a confidence we
answer "unknown" rather than guess."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

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


def detect(text: str | None) -> str | None:
    """An ISO 639-1 code, or None when the text is too short or too ambiguous to tell."""
    cleaned = (text or "").strip()
    if len(cleaned) < MIN_CHARS:
        return None
    language, confidence = _identifier().classify(cleaned)
    return str(language) if confidence >= MIN_CONFIDENCE else None

"""Greetings, thanks, goodbyes, "are you a bot?" and praise, in the six languages we expect:
recognised by their phrases (short messages say too little for a language model of text), and
answered from `prompts/small_talk.md` in the workspace's tone, never escalated.

A message that is only small talk gets the template; one that also asks something ("hi! when
do you open?") has its small talk taken off, and the rest is the question."""

# word lists read best as strings of words
# ruff: noqa: SIM905

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.agent.lexicon import STOP_WORDS, fold
from app.agent.prompts import load_prompt

# (kind, language, phrases separated by "|"), accent-free and lower case; longer phrases first
# within a kind, so "thank you so much" is taken whole before "thank you"
_TABLE = (
    (
        "bot",
        "en",
        (
            "are you a bot|are you a robot|is this a bot|is this a robot|are you ai|"
            "are you an ai|are you real|is this automated|am i talking to a bot|"
            "am i talking to a robot|am i chatting with a bot|"
            "is this an automatic reply|are you a real person|is this a real person"
        ),
    ),
    ("bot", "es", "eres un bot|eres un robot|es un bot|eres una persona real|eres real"),
    ("bot", "pt", "voce e um robo|e um robo|voce e um bot|e um bot|voce e real"),
    (
        "bot",
        "fr",
        ("tu es un robot|vous etes un robot|c est un bot|es tu un bot|etes vous un robot"),
    ),
    ("bot", "de", "bist du ein bot|bist du ein roboter|sind sie ein bot|ist das ein bot"),
    ("bot", "it", "sei un bot|sei un robot|e un bot|sei una persona vera"),
    (
        "thanks",
        "en",
        (
            "thank you so much|thank you very much|thanks so much|thanks a lot|"
            "thanks a million|many thanks|much appreciated|appreciate it|thank you|"
            "thanks|thank u|thx|ty|cheers|great thanks|perfect thanks"
        ),
    ),
    ("thanks", "es", "muchas gracias|mil gracias|gracias"),
    ("thanks", "pt", "muito obrigado|muito obrigada|obrigado|obrigada|valeu"),
    ("thanks", "fr", "merci beaucoup|merci bien|merci"),
    ("thanks", "de", "vielen dank|danke schon|danke sehr|danke"),
    ("thanks", "it", "grazie mille|grazie tante|grazie"),
    (
        "goodbye",
        "en",
        (
            "have a nice day|have a good day|have a great day|see you soon|see you|"
            "see ya|goodbye|good bye|bye bye|bye|take care|good night"
        ),
    ),
    ("goodbye", "es", "hasta luego|hasta pronto|adios|que tengas buen dia|chao"),
    ("goodbye", "pt", "ate logo|ate mais|tchau|adeus"),
    ("goodbye", "fr", "au revoir|a bientot|bonne journee|bonne soiree"),
    ("goodbye", "de", "auf wiedersehen|bis bald|tschuss|schonen tag noch"),
    ("goodbye", "it", "arrivederci|a presto|buona giornata|buona serata"),
    (
        "greeting",
        "en",
        (
            "how are you doing|how are you|how are u|how r u|hows it going|"
            "how is it going|good morning|good afternoon|good evening|hello there|"
            "hi there|hey there|hello|hiya|hey|hi|yo|howdy|greetings"
        ),
    ),
    ("greeting", "es", "como estas|que tal|buenos dias|buenas tardes|buenas noches|buenas|hola"),
    ("greeting", "pt", "tudo bem|tudo bom|bom dia|boa tarde|boa noite|ola|oi"),
    ("greeting", "fr", "comment ca va|ca va|bonjour|bonsoir|salut|coucou"),
    (
        "greeting",
        "de",
        ("wie geht es dir|wie gehts|guten morgen|guten tag|guten abend|hallo|servus|moin"),
    ),
    ("greeting", "it", "come stai|come va|buongiorno|buonasera|ciao|salve"),
    (
        "praise",
        "en",
        (
            "love this|love it|i love it|love these|so beautiful|so cute|beautiful|"
            "gorgeous|amazing|awesome|stunning|looks delicious|looks amazing|"
            "so good|great job|well done|wow|yummy|nice|lovely|perfect|great"
        ),
    ),
    ("praise", "es", "me encanta|que bonito|que rico|precioso|hermoso|increible"),
    ("praise", "pt", "amei|adorei|que lindo|lindo|maravilhoso|perfeito"),
    ("praise", "fr", "j adore|trop beau|magnifique|superbe|genial"),
    ("praise", "de", "wunderschon|sieht lecker aus|toll|super|klasse"),
    ("praise", "it", "che bello|bellissimo|stupendo|fantastico|adoro"),
)
_PHRASES: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(
    (kind, language, tuple(phrases.split("|"))) for kind, language, phrases in _TABLE
)
# words that add nothing to small talk ("thanks a lot guys!", "hi team")
_FILLER = frozenset(
    (
        "! a again all amigos and chicos dear e equipe et everyone everything folks for "
        "friend friends guys haha just later le leute lol lot monde much now oh ok okay "
        "pessoal ragazzi really so such team that the then this too tout tutti u und very y "
        "you"
    ).split()
)


@dataclass(frozen=True)
class SmallTalk:
    kind: str  # greeting | thanks | goodbye | bot | praise
    language: str
    rest: str  # what the message asks besides ("" when it is only small talk)


def _fold(text: str) -> str:
    """Lower case, accents off, punctuation and emoji as spaces."""
    return " ".join(re.sub(r"[^a-z0-9\s]", " ", fold(text)).split())


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    return [
        (kind, language, re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])"))
        for kind, language, phrases in _PHRASES
        for phrase in phrases
    ]


def _strip(folded: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The small talk found (kind, language) in order, and the words left that are not filler."""
    found: list[tuple[str, str]] = []
    rest = f" {folded} "
    for kind, language, pattern in _patterns():
        if pattern.search(rest):
            found.append((kind, language))
            rest = pattern.sub(" ", rest)
    return found, [w for w in rest.split() if w not in _FILLER and w not in STOP_WORDS]


# a reply asks it of the same text up to three times (search, language, responder), and
# customers' small talk repeats ("hi", "thanks!"): a hundred patterns per call
@lru_cache(maxsize=1024)
def recognise(text: str) -> SmallTalk | None:
    """The message's small talk and what else it asks; None when it is not small talk (praise
    words inside a question are not: "nice, do you deliver?")."""
    found, leftover = _strip(_fold(text))
    if not found:
        return None
    kinds = [(kind, language) for kind, language in found if kind != "praise"]
    if not leftover:
        kind, language = found[0]
        return SmallTalk(kind, language, "")
    if not kinds and len(leftover) <= 2 and "?" not in text:
        # "gorgeous colour 😍", "love the new cakes!": praise of something, no question
        return SmallTalk(*found[0], "")
    if not kinds:
        return None
    kind, language = kinds[0]
    return SmallTalk(kind, language, _without_small_talk(text))


def _without_small_talk(text: str) -> str:
    """What the message asks besides its small talk (accent-free: the responder folds accents
    anyway), for the search and the matcher."""
    rest = f" {_fold(text)} "
    for _, _, pattern in _patterns():
        rest = pattern.sub(" ", rest)
    return " ".join(rest.split())


@lru_cache(maxsize=1)
def _templates() -> dict[tuple[str, str, str], str]:
    templates: dict[tuple[str, str, str], str] = {}
    for line in load_prompt("small_talk").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, reply = line.partition(":")
        kind, language, tone = key.strip().split(".")
        templates[(kind, language, tone)] = reply.strip()
    return templates


def reply_for(talk: SmallTalk, *, business_name: str, tone: str) -> str:
    register = (
        "formal" if re.search(r"formal|professional|polite", tone, re.IGNORECASE) else "friendly"
    )
    templates = _templates()
    template = (
        templates.get((talk.kind, talk.language, register))
        or templates.get((talk.kind, "en", register))
        or templates[(talk.kind, "en", "friendly")]
    )
    return template.replace("{business_name}", business_name)

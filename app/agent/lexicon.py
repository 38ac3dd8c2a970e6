"""The words of a small business's questions, for the offline responder: accents and case off,
stop words out, plurals folded, and the domain's common words mapped to one concept each in six
languages ("open", "hours", "abren", "horaires" are all HOURS), so a paraphrase meets the FAQ's
wording. Kept as data: a business adds its own synonyms here, not in code."""

# word lists read best as strings of words
# ruff: noqa: SIM905

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# concept -> words (accent-free, lower case) that ask about it, in en, es, pt, fr, de, it
CONCEPTS: dict[str, tuple[str, ...]] = {
    "HOURS": tuple(
        (
            "open opens opening opened close closes closing closed hours hour schedule timetable "
            "abren abre abierto abiertos cierran cierra cerrado horario horarios hora horas abrem "
            "aberto fecham fecha fechado ouvert ouvre ouvrez ouverture ferme fermez fermeture "
            "horaire horaires heure heures offnet geoffnet offnungszeiten schliesst geschlossen "
            "uhr aprite aperto apre apertura chiuso chiudete orari orario"
        ).split()
    ),
    "DELIVERY": tuple(
        (
            "deliver delivers delivery deliveries delivered ship ships shipping shipped send "
            "courier postage dispatch entrega entregas entregan envio envios envian enviar "
            "domicilio reparto entregam enviam frete livraison livrez livrer expedition expediez "
            "envoyez lieferung liefern liefert versand versenden consegna consegnate spedizione "
            "spedite spedire"
        ).split()
    ),
    "PAYMENT": tuple(
        (
            "pay paying payment payments card cards credit debit visa mastercard amex applepay "
            "gpay cash paypal contactless bizum pix pago pagos pagar tarjeta tarjetas efectivo "
            "pagamento cartao cartoes dinheiro payer paiement carte cartes especes zahlen "
            "bezahlen zahlung karte kartenzahlung bargeld pagare carta carte contanti bancomat"
        ).split()
    ),
    "LOCATION": tuple(
        (
            "address where located location locations directions map street situated direccion "
            "donde ubicacion ubicados ubicada encuentran endereco onde localizacao ficam fica "
            "adresse situe situes trouver trouve standort anschrift wo indirizzo dove trovate "
            "trova sede"
        ).split()
    ),
    "PRICE": tuple(
        (
            "price prices pricing cost costs expensive cheap fee fees charge rate rates precio "
            "precios cuesta cuestan cuanto vale preco precos custa custam quanto prix coute "
            "coutent combien tarif tarifs preis preise kostet kosten prezzo prezzi costa costano"
        ).split()
    ),
    "BOOKING": tuple(
        (
            "book booking bookings appointment appointments reserve reservation reservations slot "
            "reserva reservas reservar cita citas marcar agendar agendamento reserver rendez "
            "termin termine buchen reservieren reservierung prenotare prenotazione appuntamento"
        ).split()
    ),
    "RETURN": tuple(
        (
            "return returns refund refunds exchange exchanges swap devolucion devolver "
            "devoluciones cambio cambios devolucao troca trocas reembolso retour retours "
            "rembourser remboursement echange ruckgabe umtausch erstattung reso resi rimborso"
        ).split()
    ),
    "CANCEL": tuple(
        (
            "cancel cancels cancelled canceled cancelling canceling cancellation cancellations "
            "cancelar cancelacion cancelamento annuler annulation stornieren stornierung absagen "
            "cancellare disdetta"
        ).split()
    ),
    "KIDS": tuple(
        (
            "kid kids child children childrens toddler toddlers nino ninos infantil crianca "
            "criancas enfant enfants kinder kind bambini bambino"
        ).split()
    ),
    "HAIRCUT": tuple(
        "haircut haircuts cut cuts trim trims corte cortes coupe haarschnitt taglio".split()
    ),
    "EVENT": tuple(
        (
            "party parties event events celebration celebrations fiesta evento eventos festa fete "
            "soiree feier veranstaltung"
        ).split()
    ),
    "SIZE": tuple(
        (
            "size sizes sizing bigger smaller larger fit fits talla tallas tamanho taille tailles "
            "grosse taglia taglie"
        ).split()
    ),
    "ABROAD": tuple(
        (
            "abroad international internationally overseas worldwide foreign extranjero "
            "internacional internacionais estrangeiro etranger ausland weltweit estero "
            "internazionale"
        ).split()
    ),
    "PARKING": tuple(
        "parking park aparcamiento estacionamiento estacionamento parken parcheggio".split()
    ),
    "GIFT": tuple(
        "gift voucher vouchers giftcard regalo vale presente cadeau gutschein buono".split()
    ),
    "ALLERGY": tuple(
        (
            "allergy allergies allergic allergen allergens gluten celiac coeliac nut nuts peanut "
            "peanuts lactose dairy alergia alergias alergico alergica lactosa frutos alergeno "
            "lactose allergie allergique allergien allergisch glutenfrei allergia allergico"
        ).split()
    ),
}
# days (and the like) as concepts of their own: a detail of an hours question
DAYS: dict[str, tuple[str, ...]] = {
    "MON": tuple("monday mondays lunes segunda lundi montag lunedi".split()),
    "TUE": tuple("tuesday tuesdays martes terca mardi dienstag martedi".split()),
    "WED": tuple("wednesday wednesdays miercoles quarta mercredi mittwoch mercoledi".split()),
    "THU": tuple("thursday thursdays jueves quinta jeudi donnerstag giovedi".split()),
    "FRI": tuple("friday fridays viernes sexta vendredi freitag venerdi".split()),
    "SAT": tuple("saturday saturdays sabado sabados samedi samstag sabato".split()),
    "SUN": tuple("sunday sundays domingo domingos dimanche sonntag domenica".split()),
    "WEEKDAY": tuple(
        "weekday weekdays workday workdays laborables uteis semaine werktags feriali".split()
    ),
    "MEAL": tuple(
        (
            "lunch dinner breakfast brunch almuerzo cena desayuno almoco jantar dejeuner diner "
            "mittagessen abendessen pranzo colazione"
        ).split()
    ),
    "WEEKEND": tuple("weekend weekends finde semana wochenende settimana".split()),
    "HOLIDAY": tuple(
        (
            "holiday holidays christmas easter festivo festivos feriado ferie feiertag feiertage "
            "natale navidad noel"
        ).split()
    ),
}
# words that say nothing about which answer is meant, in the six languages
STOP_WORDS = frozenset(
    (
        "a about afternoon again al all also am an and another any anyone anything are as at "
        "au aux available avec avete bakery be been being bought bring but buy by can ce ces "
        "cette che ci com come como con could cual currently da das de del della dem den der "
        "des di did die dish dishes do does doing dont dos du e each ein eine einen el elle "
        "em en es est est-ce esta estan et eu evening ever every everything find five food "
        "for four from get gibt gli go going got guys haben habt had hai happen happens has "
        "hat have hay he hello help here hey hi ho home house how i ich id if ihr il im in "
        "into is ist it its ive je just kann know konnen la las le les let lets like lo long "
        "los ma make man many may me meal meals mes mi might mit mon more morning most much "
        "must my na nas need night no normally nos not nous now o oder of offer offers ohne "
        "ok okay on one or order ordered orders os other ou our over para per peux place "
        "please pode por possible posso potete pouvez puede puedo puis purchase purchased que "
        "quel quelle question quick quiero really restaurant salon sans say se sem senza "
        "shall she shop should si sie siete sin sind six so some someone something son sono "
        "sont still store su sure sus take te tell tem ter thank thanks that the their them "
        "there these they thing things this those three ti tiene tienen time to today "
        "tomorrow tonight too tu two u um uma un una unas und uno unos ur us use usted "
        "ustedes usually vc very vi voces vos votre vous want wanted was we were what when "
        "which who whom whose why will wir with without wonder wondering would y yes yet you "
        "your youre yours zu"
    ).split()
)
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def _concept_of() -> dict[str, str]:
    table = {word: concept for concept, words in CONCEPTS.items() for word in words}
    table.update({word: f"DAY_{day}" for day, words in DAYS.items() for word in words})
    return table


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    """Plurals and the commonest endings, enough for "croissants" to meet "croissant" and
    "colouring" to meet "colour"."""
    for ending, keep in (("able", 4), ("ing", 4), ("ed", 4)):
        if word.endswith(ending) and len(word) - len(ending) >= keep:
            word = word[: -len(ending)]
            break
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# phrases that mean one thing whatever their words: "my order" is the customer's own order
# (its status, which no FAQ knows), "bring it to my house" is a delivery
# compounds whose second word would otherwise mean something else: a gift card is not a
# payment card
_COMPOUNDS = re.compile(r"\b(gift|student|loyalty|member|membership|id|sim|credit) (cards?)\b")

_PHRASES = (
    ("DURATION", r"\bhow long\b|\bhow many (minutes|hours|days|weeks)\b|\bcuanto tiempo\b"),
    ("DURATION", r"\bquanto tempo\b|\bcombien de temps\b|\bwie lange\b"),
    (
        "ORDERSTATUS",
        r"\b(my|our|the|this|that|an|his|her) (order|package|parcel|delivery|purchase)\b",
    ),
    ("ORDERSTATUS", r"\b(mi|el|nuestro) pedido\b|\b(minha|a) encomenda\b|\b(ma|la) commande\b"),
    ("ORDERSTATUS", r"\bmeine bestellung\b|\bil mio ordine\b"),
    (
        "DELIVERY",
        r"\b(bring|take|drop)\b.{0,30}\b(house|home|door|address|office|flat|apartment)\b",
    ),
    ("LOCATION", r"\bget to (you|your|the)\b|\bhow (do|can) i (get|find) (you|there)\b"),
)
_PHRASE_PATTERNS = tuple((concept, re.compile(pattern)) for concept, pattern in _PHRASES)
# wordings that mean another concept than their words: to schedule a visit is to book it
_REWRITES = (
    (re.compile(r"\bschedule (an?|my|the) (appointment|visit|session|slot)"), r"book \1 \2"),
)


def words(text: str) -> list[str]:
    """A text's content words, stemmed, without concepts: its own wording."""
    return list(_words(text))


# the FAQ and passages are read again for every question: their terms are worked out once
@lru_cache(maxsize=50_000)
def _words(text: str) -> tuple[str, ...]:
    return tuple(
        _stem(word)
        for word in _WORD.findall(fold(text))
        if word not in STOP_WORDS and (len(word) > 1 or word.isdigit())
    )


def terms(text: str) -> list[str]:
    """A text's concepts (upper case) and content words (stemmed), in order, with repeats."""
    return list(_terms(text))


@lru_cache(maxsize=50_000)
def _terms(text: str) -> tuple[str, ...]:
    concepts = _concept_of()
    out: list[str] = []
    folded_text = _COMPOUNDS.sub(
        lambda m: m.group(0) if m.group(1) == "credit" else f"{m.group(1)}card", fold(text)
    )
    for pattern, replacement in _REWRITES:
        folded_text = pattern.sub(replacement, folded_text)
    for concept, pattern in _PHRASE_PATTERNS:
        if pattern.search(folded_text):
            out.append(concept)
    for word in _WORD.findall(folded_text):
        if word in concepts:
            out.append(concepts[word])
        elif word not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
            out.append(_stem(word))
    # "how much", "cuanto cuesta": a price even without the word
    folded = fold(text)
    if re.search(r"\bhow much\b|\bwhat do(es)? .* cost\b", folded) and "PRICE" not in out:
        out.append("PRICE")
    if re.search(r"\bwhat time\b|\bwhen .* (open|close)", folded) and "HOURS" not in out:
        out.append("HOURS")
    return tuple(out)


def is_concept(term: str) -> bool:
    return term.isupper()


def asks_about_safety(text: str) -> bool:
    """Allergies, health, the law: answered only word for word from the FAQ."""
    return (
        "ALLERGY" in terms(text)
        or re.search(
            r"\b(medical|medicine|doctor|pregnan\w*|diabet\w*|legal|lawyer|lawsuit|sue|embarazada|"
            r"medico|medicament\w*|schwanger|avvocato|abogado|advogado|avocat|anwalt)\b",
            fold(text),
        )
        is not None
    )


_COMPLAINT = re.compile(
    r"\b(disappoint\w*|terrible|awful|horrible|worst|rude|unacceptable|complain\w*|angry|"
    r"furious|stale|burnt|burned|wrong order|never (arrived|came)|(didn ?t|did not|hasn ?t|has not) "
    r"(arrive|come|show up)|damaged|broken|poor service|bad service|scam|rip ?off|ridiculous|"
    r"disgusting|inedible|overcharged|charged twice|still waiting|not happy|unhappy|"
    r"decepcionad\w*|pesim\w*|queja|reclamacion|mal servicio|estafa|pessim\w*|reclamacao|horrivel|"
    r"decu\w*|inadmissible|plainte|reclamation|arnaque|enttauscht|schrecklich|beschwerde|"
    r"unverschamt|deluso|delusa|terribile|reclamo|lamentela|truffa)\b"
)


def is_complaint(text: str) -> bool:
    """An unhappy customer: a person answers, whatever the knowledge base says."""
    return _COMPLAINT.search(fold(text)) is not None

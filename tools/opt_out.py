# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Recognise opt-outs and opt-ins written as short natural sentences.

Pure Python, standard library only. ``keywords.parse_keyword`` handles a body
that is exactly one keyword ("STOP"). Since FCC 24-18 (effective 2025-04-11) a
consumer may revoke consent "by any reasonable means", and a reply such as
"please stop texting me" must be honoured too. This module reads such replies.

How a reply is read (each step is data in ``LANGUAGES``, per language):

1. The body is folded (case, accents, punctuation) into a list of words.
2. An *explicit phrase* ("stop texting", "unsubscribe", "opt me out",
   "no more texts", "remove me from your list") is an opt-out wherever it
   appears, unless a negation stands right before it ("don't unsubscribe me").
3. In a short reply (at most ``MAX_WORDS`` words) a *bare opt-out verb*
   ("stop", "quit", "end", "revoke", "cancel") counts when the reply is only
   that verb with polite or emphatic filler ("stop please"), or when its
   object is the messages themselves ("stop these", "stop sending this"). A verb with
   another object ("don't stop the treatment", "can I stop the medication",
   "cancel my appointment", "end of the week") is not an opt-out: those
   replies go to the conversation, where a person reads them, and
   "cancel my appointment" is an appointment answer, not a withdrawal of
   consent to be texted.
4. "Wrong number" replies are opt-outs: the person texted never consented.
5. Opt-in phrases ("start", "unstop", "text me again") work the same way,
   and only when no opt-out was found.

False positives and negatives are documented by the fixed list of replies in
``tests/test_tools_opt_out.py``; change the data with it.
"""

import unicodedata

STOP = "stop"
START = "start"

#: Longer replies are conversations; a person reads them.
MAX_WORDS = 12
MAX_BODY_LENGTH = 300

#: Per language: explicit opt-out and opt-in phrases (word sequences, folded),
#: bare verbs, objects meaning "your messages", negations and filler words.
LANGUAGES = {
    "en": {
        "stop_phrases": [
            "stop texting",
            "stop text",
            "stop texts",
            "stop messaging",
            "stop sending",
            "stop contacting",
            "stop the texts",
            "stop the messages",
            "stop all texts",
            "stop all messages",
            "unsubscribe",
            "unsubscribe me",
            "opt out",
            "opt me out",
            "optout",
            "remove me from your list",
            "remove me from this list",
            "remove me from your texts",
            "remove me from your messages",
            "remove my number",
            "take me off your list",
            "take me off this list",
            "take me off the list",
            "take my number off",
            "no more texts",
            "no more messages",
            "no more text messages",
            "no more sms",
            "dont text me",
            "do not text me",
            "dont message me",
            "do not message me",
            "dont contact me",
            "do not contact me",
            "revoke consent",
            "revoke my consent",
            "withdraw consent",
            "withdraw my consent",
            "wrong number",
            "wrong person",
            "leave me alone",
        ],
        "stop_verbs": ["stop", "quit", "end", "revoke", "cancel", "stopall"],
        "message_objects": [
            "it",
            "this",
            "these",
            "that",
            "them",
            "texts",
            "text",
            "texting",
            "messages",
            "message",
            "messaging",
            "sms",
            "sending",
            "now",
            "all",
        ],
        "negations": ["dont", "do not", "never", "not", "cant", "cannot", "wont"],
        "filler": [
            "please",
            "pls",
            "plz",
            "now",
            "thanks",
            "thank you",
            "thx",
            "ok",
            "okay",
            "i said",
            "just",
            "asap",
            "immediately",
            "already",
            "sorry",
        ],
        "start_phrases": [
            "start",
            "unstop",
            "start again",
            "text me again",
            "resume texts",
            "resubscribe",
            "subscribe",
            "opt in",
            "opt me in",
            "optin",
        ],
    },
    "es": {
        "stop_phrases": [
            "baja",
            "darme de baja",
            "dar de baja",
            "no me envien mas",
            "no me manden mas",
            "no mas mensajes",
            "no mas sms",
            "dejen de enviar",
            "deje de enviar",
            "dejen de escribir",
            "numero equivocado",
        ],
        "stop_verbs": ["parar", "para", "alto", "cancelar", "detener"],
        "message_objects": ["mensajes", "mensaje", "sms", "esto", "ya"],
        "negations": ["no", "nunca"],
        "filler": ["por favor", "porfa", "gracias", "ya"],
        "start_phrases": ["alta", "empezar", "comenzar", "reanudar"],
    },
    "fr": {
        "stop_phrases": [
            "arret",
            "arreter les sms",
            "arretez les sms",
            "arretez de m envoyer",
            "arretez de menvoyer",
            "desabonner",
            "me desabonner",
            "desinscrire",
            "me desinscrire",
            "plus de sms",
            "plus de messages",
            "ne plus recevoir",
            "mauvais numero",
            "faux numero",
        ],
        "stop_verbs": ["stop", "arreter", "arretez", "annuler"],
        "message_objects": ["sms", "messages", "message", "ca", "cela", "ces"],
        "negations": ["ne", "pas", "jamais", "n"],
        "filler": ["svp", "s il vous plait", "s il te plait", "merci", "stp"],
        "start_phrases": ["reprendre", "reactiver", "arret fin"],
    },
    "de": {
        "stop_phrases": [
            "abmelden",
            "abbestellen",
            "keine sms mehr",
            "keine nachrichten mehr",
            "nicht mehr schreiben",
            "falsche nummer",
        ],
        "stop_verbs": ["stopp", "stop", "ende", "aufhoren", "beenden"],
        "message_objects": ["sms", "nachrichten", "das", "bitte"],
        "negations": ["nicht", "kein", "nie"],
        "filler": ["bitte", "danke", "sofort"],
        "start_phrases": ["anmelden", "fortsetzen"],
    },
}


def fold(body):
    """Lower-case words of ``body`` without accents or punctuation.

    Apostrophes join ("don't" -> "dont", "m'envoyer" -> "menvoyer"); other
    punctuation, symbols and emoji separate words.
    """
    text = unicodedata.normalize("NFKD", body)
    chars = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Mn":
            continue
        if char in "'’`":
            chars.append("" if chars and chars[-1] not in " " else " ")
            continue
        chars.append(char.lower() if category[0] in ("L", "N") else " ")
    return "".join(chars).split()


def _phrases(values):
    return [tuple(value.split()) for value in values]


def _find(words, phrase, start=0):
    """Index of ``phrase`` (a tuple of words) in ``words``, or -1."""
    size = len(phrase)
    for index in range(start, len(words) - size + 1):
        if tuple(words[index : index + size]) == phrase:
            return index
    return -1


def _negated(words, index, negations):
    """A negation among the two words before ``index``."""
    before = words[max(0, index - 3) : index]
    joined = " ".join(before)
    return any(
        (len(neg.split()) == 1 and neg in before) or (" " in neg and neg in joined)
        for neg in negations
    )


def _strip_filler(words, filler):
    phrases = sorted(_phrases(filler), key=len, reverse=True)
    rest = list(words)
    changed = True
    while changed and rest:
        changed = False
        for phrase in phrases:
            if tuple(rest[: len(phrase)]) == phrase:
                rest = rest[len(phrase) :]
                changed = True
            elif len(rest) >= len(phrase) and tuple(rest[-len(phrase) :]) == phrase:
                rest = rest[: -len(phrase)]
                changed = True
    return rest


def _contains_phrase(words, phrases, negations):
    for phrase in phrases:
        index = _find(words, phrase)
        while index >= 0:
            if not _negated(words, index, negations):
                return True
            index = _find(words, phrase, index + 1)
    return False


def _bare_verb(words, data):
    """A bare opt-out verb alone (with filler) or aimed at the messages."""
    verbs = set(data["stop_verbs"])
    objects = set(data["message_objects"])
    negations = data["negations"]
    core = _strip_filler(words, data["filler"])
    if not core:
        return False
    if all(word in verbs for word in core):
        return True  # "stop", "stop stop stop", "quit"
    for index, word in enumerate(core):
        if word not in verbs or _negated(core, index, negations):
            continue
        after = _strip_filler(core[index + 1 :], data["filler"])
        if not after or (len(after) <= 2 and all(w in objects for w in after)):
            # "stop", "stop these", "stop it now", "please stop"
            return index == 0 or all(w in objects for w in core[:index])
    return False


def parse_opt_out(body, languages=None):
    """Return STOP, START or None for a short natural reply.

    ``languages`` restricts the word lists used (codes such as "en" or
    "fr_FR"); by default every language is tried, English first.
    """
    if not isinstance(body, str) or not body or len(body) > MAX_BODY_LENGTH:
        return None
    words = fold(body)
    if not words:
        return None
    short = len(words) <= MAX_WORDS
    codes = _language_codes(languages)
    for code in codes:
        data = LANGUAGES[code]
        negations = data["negations"]
        if _contains_phrase(words, _phrases(data["stop_phrases"]), negations):
            return STOP
        if short and _bare_verb(words, data):
            return STOP
    for code in codes if short else ():
        data = LANGUAGES[code]
        core = tuple(_strip_filler(words, data["filler"]))
        if core in _phrases(data["start_phrases"]):
            return START
    return None


def _language_codes(languages):
    if not languages:
        return list(LANGUAGES)
    codes = []
    for language in languages:
        code = (language or "").split("_")[0].lower()
        if code in LANGUAGES and code not in codes:
            codes.append(code)
    if "en" not in codes:
        # The carriers' keywords are English everywhere.
        codes.append("en")
    return codes

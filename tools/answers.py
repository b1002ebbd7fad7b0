# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Read a client's answer to a reminder that asked one ("Reply C to confirm,
R to reschedule").

Pure Python, standard library only. ``parse_answer`` returns CONFIRM, DECLINE,
RESCHEDULE or None. The STOP / START / HELP keywords and natural opt-outs always
win: a body that ``keywords.parse_keyword`` or ``opt_out.parse_opt_out`` reads
is never an answer ("cancel" stays an opt-out, "yes" an opt-in).

How a reply is read:

1. The body is folded (case, accents, punctuation) into words (``opt_out.fold``).
2. A reply that is exactly one code ("C", "c.", "1", "R", "2") or one answer
   word ("confirm", "reschedule") is that answer.
3. A short reply (at most ``MAX_WORDS`` words) containing a phrase of exactly
   one kind ("I'll be there", "cancel my appointment", "another day") is that
   answer. Phrases of two kinds ("yes but can we reschedule") or none: None, a
   person reads it.
"""

from .keywords import parse_keyword
from .opt_out import fold, parse_opt_out

CONFIRM = "confirm"
DECLINE = "decline"
RESCHEDULE = "reschedule"

#: Longer replies are conversations.
MAX_WORDS = 10
MAX_BODY_LENGTH = 200

#: A reply made of exactly this word (folded) is the answer.
CODES = {
    **dict.fromkeys(
        (
            "c",
            "1",
            "y",
            "ok",
            "okay",
            "confirm",
            "confirmed",
            "confirming",
            "yep",
            "yeah",
            "sure",
        ),
        CONFIRM,
    ),
    **dict.fromkeys(("r", "2", "reschedule", "rescheduling", "resched"), RESCHEDULE),
    **dict.fromkeys(("n", "3", "no", "nope", "decline", "declined"), DECLINE),
}

#: Phrases (folded word sequences) that make a short reply an answer.
PHRASES = {
    CONFIRM: (
        "confirm",
        "confirmed",
        "i confirm",
        "ill be there",
        "i will be there",
        "will be there",
        "see you then",
        "see you there",
        "i ll be there",
        "count me in",
        "im coming",
        "i am coming",
    ),
    DECLINE: (
        "cancel my appointment",
        "cancel the appointment",
        "cancel my session",
        "cancel the session",
        "cant make it",
        "cannot make it",
        "can not make it",
        "cant come",
        "cannot come",
        "wont be there",
        "will not be there",
        "not coming",
        "i decline",
    ),
    RESCHEDULE: (
        "reschedule",
        "rescheduled",
        "another day",
        "another time",
        "different time",
        "different day",
        "move my appointment",
        "move the appointment",
        "change my appointment",
        "change the time",
        "new time",
    ),
}


def _contains(words, phrase):
    size = len(phrase)
    return any(
        tuple(words[index : index + size]) == phrase
        for index in range(len(words) - size + 1)
    )


_PHRASES = {
    answer: [tuple(phrase.split()) for phrase in phrases]
    for answer, phrases in PHRASES.items()
}


def parse_answer(body):
    """Return CONFIRM, DECLINE, RESCHEDULE or None for a reply ``body``."""
    if not isinstance(body, str) or not body or len(body) > MAX_BODY_LENGTH:
        return None
    if parse_keyword(body) or parse_opt_out(body):
        return None
    words = fold(body)
    if not words or len(words) > MAX_WORDS:
        return None
    if len(words) == 1:
        return CODES.get(words[0])
    found = {
        answer
        for answer, phrases in _PHRASES.items()
        if any(_contains(words, phrase) for phrase in phrases)
    }
    if len(found) == 1:
        return found.pop()
    return None

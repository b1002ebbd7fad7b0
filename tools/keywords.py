# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Recognise STOP / START / HELP keywords in inbound SMS bodies.

Pure Python, standard library only. A body is a keyword only when the whole
message, once normalised, is exactly one keyword: "Stop!" opts out, "please
stop texting me" does not.
"""

import unicodedata

STOP = "stop"
START = "start"
HELP = "help"

#: Opt-out keywords (the US carrier / Twilio default list).
STOP_WORDS = frozenset(
    {"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT"}
)
#: Opt-in keywords.
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
#: Help keywords.
HELP_WORDS = frozenset({"HELP", "INFO"})

#: Normalised word -> "stop", "start" or "help".
KEYWORDS = {
    **dict.fromkeys(STOP_WORDS, STOP),
    **dict.fromkeys(START_WORDS, START),
    **dict.fromkeys(HELP_WORDS, HELP),
}

# A keyword with some spaces, punctuation or emoji around it stays far below
# this; longer bodies are ordinary messages and are rejected without work.
MAX_BODY_LENGTH = 200
_MAX_WORD_LENGTH = max(len(word) for word in KEYWORDS)


def normalize_keyword(body: str) -> str:
    """Reduce ``body`` to its upper-case letters and digits, without accents.

    Full-width and other compatibility forms are folded (NFKC), combining marks
    are dropped, and spaces, punctuation, symbols and emoji are removed.
    """
    # NFKD = the NFKC compatibility folding, with accents split off as marks.
    text = unicodedata.normalize("NFKD", body)
    kept = [char for char in text if unicodedata.category(char)[0] in ("L", "N")]
    return "".join(kept).upper()


def parse_keyword(body: str) -> str | None:
    """Return "stop", "start" or "help" if ``body`` is exactly one keyword."""
    if not isinstance(body, str) or not body or len(body) > MAX_BODY_LENGTH:
        return None
    word = normalize_keyword(body)
    if not word or len(word) > _MAX_WORD_LENGTH:
        return None
    return KEYWORDS.get(word)

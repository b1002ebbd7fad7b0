# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests for tools/keywords.py (STOP / START / HELP recognition)."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.text_messaging.tools import keywords

EXPECTED = {
    "STOP": "stop",
    "UNSUBSCRIBE": "stop",
    "CANCEL": "stop",
    "END": "stop",
    "QUIT": "stop",
    "STOPALL": "stop",
    "REVOKE": "stop",
    "OPTOUT": "stop",
    "START": "start",
    "YES": "start",
    "UNSTOP": "start",
    "HELP": "help",
    "INFO": "help",
}

_ACCENTS = {"A": "\u00c1", "E": "\u00c9", "I": "\u00cf", "O": "\u00d3", "U": "\u00dc"}


def _full_width(text):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in text)


def _accented(text):
    return "".join(_ACCENTS.get(c, c) for c in text)


def _combining(text):
    return "".join(c + "\u0301" for c in text)


def _variants(word):
    """Every accepted spelling of ``word`` (upper case)."""
    lower = word.lower()
    title = word.title()
    return [
        word,
        lower,
        title,
        lower[:-1] + word[-1],  # mixed case
        f" {title} ",
        f"\t{lower}\n",
        f"{word}!",
        f" {title}! ",
        f"{word}.",
        f"{lower}?",
        f"{word}!!!",
        f'"{lower}"',
        f"'{word}'",
        f"({lower})",
        f"*{word}*",
        f"-{lower}-",
        f"{word} \U0001f64f",  # folded hands
        f"\U0001f64f{lower}",
        f"{title} \U0001f44d\U0001f3fd",  # thumbs up with skin tone
        f"{word} \u2764\ufe0f",  # red heart with variation selector
        f"\u00a0{word}\u00a0",  # no-break spaces
        f"\u200b{word}\u200b",  # zero-width spaces
        f"\u3000{word}\u3000",  # ideographic spaces
        f"{word}\r\n",
        _full_width(word),
        _full_width(lower),
        _full_width(f"{title}!"),
        _accented(word),
        _accented(lower),
        _combining(word),
        " ".join(word),  # spaced out letters
        "".join(chr(0x1D400 + ord(c) - ord("A")) for c in word),  # math bold
    ]


_CASES = [
    (variant, kind) for word, kind in EXPECTED.items() for variant in _variants(word)
]


def test_word_sets_match_the_reference():
    assert keywords.STOP_WORDS == {w for w, k in EXPECTED.items() if k == "stop"}
    assert keywords.START_WORDS == {w for w, k in EXPECTED.items() if k == "start"}
    assert keywords.HELP_WORDS == {w for w, k in EXPECTED.items() if k == "help"}
    assert isinstance(keywords.STOP_WORDS, frozenset)
    assert keywords.KEYWORDS == EXPECTED


def test_word_sets_are_disjoint():
    assert keywords.STOP_WORDS.isdisjoint(keywords.START_WORDS)
    assert keywords.STOP_WORDS.isdisjoint(keywords.HELP_WORDS)
    assert keywords.START_WORDS.isdisjoint(keywords.HELP_WORDS)


@pytest.mark.parametrize("body, kind", _CASES)
def test_every_word_in_every_variant(body, kind):
    assert keywords.parse_keyword(body) == kind


@pytest.mark.parametrize(
    "body, kind",
    [
        ("stop", "stop"),
        (" Stop! ", "stop"),
        ("STOP.", "stop"),
        ("Stop all", "stop"),
        ("STOP ALL", "stop"),
        ("stop-all", "stop"),
        ("Stop_All", "stop"),
        ("opt-out", "stop"),
        ("opt out", "stop"),
        ("Opt Out!", "stop"),
        ("OPT_OUT", "stop"),
        ("un stop", "start"),
        ("Un-Stop", "start"),
        ("un-subscribe", "stop"),
        ("Unsubscribe.", "stop"),
        ("STOP \U0001f64f", "stop"),
        ("\U0001f6d1 STOP \U0001f6d1", "stop"),
        ("\uff33\uff34\uff2f\uff30", "stop"),  # full-width STOP
        ("\uff53\uff54\uff4f\uff50\uff01", "stop"),  # full-width stop!
        ("St\u00f3p", "stop"),
        ("S\u0336T\u0336O\u0336P\u0336", "stop"),  # combining strike-through
        ("Y\u00e9s", "start"),
        ("yes!", "start"),
        ("Yes \U0001f44d", "start"),
        ("Start.", "start"),
        ("help?", "help"),
        ("HELP!!", "help"),
        ("info", "help"),
        ("Info?", "help"),
        ("qu\u0131t", "stop"),  # Turkish dotless i
        ("QU\u0130T", "stop"),  # Turkish dotted capital I
        ("\u24c8\u24c9\u24c4\u24c5", "stop"),  # circled letters
    ],
)
def test_examples(body, kind):
    assert keywords.parse_keyword(body) == kind


@pytest.mark.parametrize(
    "body",
    [
        "please stop texting me",
        "Stop texting me",
        "stop it",
        "Don't stop",
        "stop stop",
        "STOP STOP STOP",
        "Stopwatch",
        "stops",
        "stopped",
        "stopp",
        "sto",
        "top",
        "S T O P S",
        "STOP 2",
        "STOP2",
        "2 STOP",
        "stop1",
        "yes I will be there",
        "Yes please",
        "yes yes",
        "yesterday",
        "eyes",
        "ye",
        "yeah",
        "yep",
        "ok",
        "no",
        "helpful",
        "help me",
        "Can you help?",
        "help desk",
        "information",
        "infos",
        "Info about my order",
        "The end",
        "end of story",
        "ending",
        "Cancel my appointment",
        "cancelled",
        "cancellation",
        "quite",
        "quiet",
        "I quit smoking",
        "start time?",
        "restart",
        "started",
        "Startup",
        "unstoppable",
        "revoked",
        "opt in",
        "optout now",
        "unsubscribed",
        "subscribe",
        "stop all messages",
        "stopall please",
        "\u0421\u0422\u041e\u041f",  # Cyrillic STOP lookalike
        "\u0405TOP",  # Cyrillic DZE looks like S
        "\u0391\u0392\u0395",  # Greek letters
        "\u505c\u6b62",  # Chinese "stop"
        "\U0001f6d1",  # stop sign emoji only
        "!!!",
        "...",
        "123",
        "0",
        "\U0001f64f\U0001f64f",
    ],
)
def test_near_misses_are_not_keywords(body):
    assert keywords.parse_keyword(body) is None


@pytest.mark.parametrize(
    "body", [None, False, 0, b"STOP", ["STOP"], "", " ", "\n\t ", "\u00a0\u3000"]
)
def test_empty_and_non_text_bodies(body):
    assert keywords.parse_keyword(body) is None


@pytest.mark.parametrize(
    "body",
    [
        "a" * 100_000,
        "STOP" + " " * 100_000,
        " " * 100_000 + "STOP",
        "STOP" * 25_000,
        "\U0001f64f" * 100_000,
        "e\u0301" * 50_000,
    ],
)
def test_huge_bodies_return_none_quickly(body):
    started = time.perf_counter()
    assert keywords.parse_keyword(body) is None
    assert time.perf_counter() - started < 0.05


def test_long_padding_within_limit_still_matches():
    body = " " * 90 + "STOP" + "!" * 90
    assert len(body) <= keywords.MAX_BODY_LENGTH
    assert keywords.parse_keyword(body) == "stop"


def test_normalize_keyword():
    assert keywords.normalize_keyword(" Opt-Out! \U0001f64f") == "OPTOUT"
    assert keywords.normalize_keyword("\uff33t\u00f3p") == "STOP"
    assert keywords.normalize_keyword("") == ""


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(body):
    result = keywords.parse_keyword(body)
    assert result in (None, "stop", "start", "help")


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters() | st.sampled_from(["\ud800", "\udfff", "\u0301"]),
        max_size=300,
    )
)
def test_arbitrary_text_with_surrogates_never_raises(body):
    assert keywords.parse_keyword(body) in (None, "stop", "start", "help")


@settings(max_examples=300, deadline=None)
@given(
    word=st.sampled_from(sorted(EXPECTED)),
    before=st.text(alphabet=" .,!?-*'\"\U0001f64f\U0001f44d\n", max_size=5),
    after=st.text(alphabet=" .,!?-*'\"\U0001f64f\U0001f44d\n", max_size=5),
)
def test_keyword_with_random_decoration(word, before, after):
    assert keywords.parse_keyword(before + word + after) == EXPECTED[word]


@settings(max_examples=300, deadline=None)
@given(
    word=st.sampled_from(sorted(EXPECTED)),
    extra=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
    space=st.sampled_from(["", " ", "-", ". "]),
)
def test_keyword_with_another_word_is_not_a_keyword(word, extra, space):
    body = f"{word}{space}{extra}"
    if keywords.normalize_keyword(body) not in EXPECTED:
        assert keywords.parse_keyword(body) is None

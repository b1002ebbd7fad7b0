# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests for tools/answers.py (answers to a reminder that asked one)."""

import pytest

from odoo.addons.text_messaging.tools import answers
from odoo.addons.text_messaging.tools.keywords import KEYWORDS

C, D, R = answers.CONFIRM, answers.DECLINE, answers.RESCHEDULE

REPLIES = [
    ("C", C),
    ("c", C),
    ("c.", C),
    (" C! ", C),
    ("confirm", C),
    ("Confirmed", C),
    ("CONFIRM.", C),
    ("1", C),
    ("ok", C),
    ("yes I'll be there", C),
    ("Yes, I’ll be there!", C),
    ("I will be there, thanks", C),
    ("R", R),
    ("r", R),
    ("2", R),
    ("reschedule", R),
    ("Can we reschedule please?", R),
    ("I need another day", R),
    ("N", D),
    ("no", D),
    ("Please cancel my appointment", D),
    ("Sorry, can't make it", D),
    ("I won't be there", D),
    # STOP / START / HELP keep their meaning.
    ("cancel", None),
    ("CANCEL", None),
    ("Stop", None),
    ("yes", None),
    ("START", None),
    ("help", None),
    ("please stop texting me", None),
    # Anything else is for a person.
    ("", None),
    ("   ", None),
    ("hello", None),
    ("Running 10 minutes late", None),
    ("What time is it again?", None),
    ("c c", None),
    ("12", None),
    ("Yes I'll be there but can we reschedule the next one", None),
    ("I confirm " + "really " * 20, None),
    ("x" * 500, None),
]


@pytest.mark.parametrize(("body", "expected"), REPLIES)
def test_parse_answer(body, expected):
    assert answers.parse_answer(body) == expected


@pytest.mark.parametrize("word", sorted(KEYWORDS))
def test_keywords_are_never_answers(word):
    for body in (word, word.lower(), f"{word}.", f" {word.title()}!"):
        assert answers.parse_answer(body) is None


def test_codes_do_not_collide_with_keywords():
    assert not {code.upper() for code in answers.CODES} & set(KEYWORDS)


@pytest.mark.parametrize("body", [None, 1, b"C", ["C"]])
def test_non_text_is_no_answer(body):
    assert answers.parse_answer(body) is None

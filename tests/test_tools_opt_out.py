# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests for tools/opt_out.py: natural-language opt-outs and opt-ins.

REPLIES is the fixed list of real-world replies the issue asks for, each with
the expected reading. It documents the false positives we avoid ("don't stop
the treatment") and the readings we chose ("cancel my appointment" is an
appointment answer, not a withdrawal of consent).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.text_messaging.tools import opt_out

STOP, START = opt_out.STOP, opt_out.START

REPLIES = [
    # -- opt-outs: the FCC 24-18 words, alone or with filler
    ("STOP", STOP),
    ("stop.", STOP),
    ("Stop please", STOP),
    ("please stop", STOP),
    ("i said stop", STOP),
    ("Stop stop stop", STOP),
    ("Quit", STOP),
    ("end", STOP),
    ("Cancel", STOP),
    ("REVOKE", STOP),
    ("\U0001f6d1 stop \U0001f6d1", STOP),
    ("Stop it", STOP),
    ("stop these messages", STOP),
    ("stop sending these", STOP),
    # -- opt-outs: explicit phrases anywhere in the reply
    ("Please stop texting me", STOP),
    ("stop texting me!!", STOP),
    ("Unsubscribe me please", STOP),
    ("I want to unsubscribe", STOP),
    ("opt me out", STOP),
    ("Remove me from your list", STOP),
    ("take me off this list", STOP),
    ("No more texts please", STOP),
    ("Don't text me again", STOP),
    ("do not contact me", STOP),
    ("I revoke my consent", STOP),
    ("leave me alone", STOP),
    (
        "I have been thinking about it and I would like you to stop texting me "
        "about your promotions from now on",
        STOP,
    ),
    # -- opt-outs: the person texted is not the client
    ("Wrong number", STOP),
    ("STOP!!! wrong number", STOP),
    ("wrong number, who is this?", STOP),
    # -- opt-outs in other languages
    ("Por favor no me envíen más mensajes", STOP),
    ("Baja", STOP),
    ("STOP SVP", STOP),
    ("Arrêtez les SMS", STOP),
    ("Je veux me désabonner", STOP),
    ("Bitte keine SMS mehr", STOP),
    ("Stopp", STOP),
    # -- not opt-outs: another object, a negation, another meaning
    ("Don't stop the treatment", None),
    ("Can I stop the medication before the appointment?", None),
    ("I need to cancel my appointment", None),
    ("Cancel my appointment please", None),
    ("See you at the end of the week", None),
    ("The bus stop is closed, I'll be late", None),
    ("I can't stop laughing", None),
    ("I'll stop by the office later", None),
    ("I want to end my treatment", None),
    ("Is the end time 5pm?", None),
    ("Stop smoking program info?", None),
    ("Please don't unsubscribe me", None),
    ("Please remove me from the waiting list for Tuesday", None),
    ("no thanks", None),
    # -- not opt-outs: ordinary replies
    ("Thanks, see you tomorrow", None),
    ("What time is my appointment?", None),
    ("How do I get to the clinic?", None),
    ("Confirm", None),
    ("C", None),
    ("Yes", None),
    ("Can you text me the address?", None),
    # -- opt-ins
    ("START", START),
    ("Unstop", START),
    ("text me again please", START),
    ("opt me in", START),
]


def test_the_list_is_long_enough():
    assert len(REPLIES) >= 50
    assert len({body for body, _ in REPLIES}) == len(REPLIES)


@pytest.mark.parametrize(("body", "expected"), REPLIES)
def test_real_world_replies(body, expected):
    assert opt_out.parse_opt_out(body) == expected


def test_languages_restrict_the_word_lists():
    # "Baja" is Spanish only; English always applies (carrier keywords).
    assert opt_out.parse_opt_out("Baja", languages=["fr_FR"]) is None
    assert opt_out.parse_opt_out("Baja", languages=["es_ES"]) == STOP
    assert opt_out.parse_opt_out("stop", languages=["fr_FR"]) == STOP


def test_fold():
    assert opt_out.fold("Don’t TEXT me!!") == ["dont", "text", "me"]
    assert opt_out.fold("Arrêtez-les") == ["arretez", "les"]
    assert opt_out.fold("") == []


@pytest.mark.parametrize("body", [None, "", "   ", "!!!", 42, "x" * 400])
def test_bad_input_is_no_opt_out(body):
    assert opt_out.parse_opt_out(body) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_never_raises(body):
    assert opt_out.parse_opt_out(body) in (STOP, START, None)

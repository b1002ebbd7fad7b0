# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests for tools/fit.py (a text within N segments, with a note)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.text_messaging.tools.fit import fit_segments
from odoo.addons.text_messaging.tools.segments import count_segments

NOTE = "(Shortened.)"


def test_a_text_that_fits_is_unchanged():
    text = "Line one\nline two  with spaces"
    assert fit_segments(text, 1, NOTE) == text


def test_a_long_text_is_cut_at_a_word_and_ends_with_the_note():
    text = "word " * 100  # 500 characters: 4 segments
    result = fit_segments(text, 2, NOTE)
    assert result.endswith(" " + NOTE)
    assert count_segments(result).segments == 2
    assert result[: -len(NOTE) - 1].endswith("word")
    # The longest cut: one more word would not fit.
    assert count_segments("word " + result).segments > 2


def test_unicode_text_counts_in_ucs2():
    text = "Merci 🙂 " * 40
    result = fit_segments(text, 1, NOTE)
    assert count_segments(result).segments == 1
    assert result.startswith("Merci 🙂") and result.endswith(NOTE)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=800), st.integers(min_value=1, max_value=4))
def test_never_more_than_the_maximum(text, max_segments):
    result = fit_segments(text, max_segments, NOTE)
    assert count_segments(result).segments <= max_segments
    if count_segments(text).segments <= max_segments:
        assert result == text

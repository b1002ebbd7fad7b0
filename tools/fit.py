# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fit a text in a number of SMS segments, cleanly, with a note saying so.

Pure Python, standard library only. Used for texts the business did not write
as texts (chatter messages, forwarded replies): a text that fits is returned
unchanged; a longer one is cut at a word boundary (``clip``) and ends with
``note``, the whole within ``max_segments``.
"""

from .clip import clip
from .segments import count_segments


def fits(text, max_segments):
    """Whether ``text`` takes at most ``max_segments`` segments."""
    return count_segments(text or "").segments <= max_segments


def fit_segments(text, max_segments, note):
    """``text`` unchanged when it fits in ``max_segments``, else its longest
    clean cut followed by a space and ``note`` that fits.

    The number of segments only grows with the length of a cut, so the
    longest cut is found by bisection (about log2(len(text)) counts)."""
    text = text or ""
    if max_segments <= 0 or fits(text, max_segments):
        return text
    low, high = 0, len(text)
    best = note if fits(note, max_segments) else ""
    while low <= high:
        middle = (low + high) // 2
        cut = clip(text, middle)
        candidate = f"{cut} {note}" if cut else note
        if fits(candidate, max_segments):
            best = candidate
            low = middle + 1
        else:
            high = middle - 1
    return best

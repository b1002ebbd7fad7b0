# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Shorten a placeholder's value to a length limit, cleanly.

Pure Python, standard library only. A value longer than its limit is cut at
the last word boundary that fits, without a dangling separator; a single word
longer than the limit is cut inside. No ellipsis character is added: "…" is
not in the GSM-7 alphabet and would turn the whole text into UCS-2 (70
characters per segment instead of 160).
"""

# Characters not worth keeping at the end of a shortened value.
_TRAILING = " ,;:-/(&.–"


def clip(text, limit):
    """``text`` (a str, None counts as "") in at most ``limit`` characters.

    ``limit`` None or 0 means no limit."""
    text = " ".join((text or "").split())
    if not limit or limit < 0 or len(text) <= limit:
        return text
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    shortened = cut[:space] if space > 0 else text[:limit]
    return shortened.rstrip(_TRAILING) or text[:limit]

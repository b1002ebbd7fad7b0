# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""SMS encoding and segment counting (GSM 03.38 default alphabet and UCS-2).

Pure Python, standard library only. A message is sent as GSM-7 when every
character is in the basic or extension table, otherwise the whole message is
sent as UCS-2 (UTF-16). Long messages are split into parts that each carry a
concatenation header; an ESC+char pair or a surrogate pair is never split.
"""

from dataclasses import dataclass

GSM7 = "gsm7"
UCS2 = "ucs2"

# Basic table, indexed by GSM code (0x00-0x7F). Position 0x1B is ESC (the
# escape to the extension table), not a character, and is left out below.
_GSM7_BASIC_TABLE = (
    # 0x00: @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"
    # 0x10: Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ ESC Æ æ ß É
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1b"
    "\u00c6\u00e6\u00df\u00c9"
    # 0x20: SP ! " # ¤ % & ' ( ) * + , - . /
    " !\"#\u00a4%&'()*+,-./"
    "0123456789:;<=>?"
    # 0x40: ¡ A-O, 0x50: P-Z Ä Ö Ñ Ü §
    "\u00a1ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"
    # 0x60: ¿ a-o, 0x70: p-z ä ö ñ ü à
    "\u00bfabcdefghijklmno"
    "pqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"
)
_ESC = "\x1b"

#: Characters of the basic table, 1 septet each. Position 0x09 is drawn as
#: capital C-cedilla by ETSI and as small c-cedilla by Unicode: accept both.
GSM7_BASIC = frozenset(_GSM7_BASIC_TABLE.replace(_ESC, "")) | {"\u00e7"}

#: Characters of the extension table (ESC + code), 2 septets each:
#: form feed ^ { } \ [ ~ ] | and the euro sign.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|\u20ac")

GSM7_CHARACTERS = GSM7_BASIC | GSM7_EXTENSION

#: Units per part: (single part, each part of a multipart message).
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SegmentInfo:
    """Encoding and size of one SMS body."""

    encoding: str  # "gsm7" or "ucs2"
    characters: int  # code points
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # 160/153 (GSM-7) or 70/67 (UCS-2)
    remaining: int  # units still free in the last segment


def is_gsm7(text: str) -> bool:
    """Return True if ``text`` can be sent with the GSM-7 alphabet."""
    return GSM7_CHARACTERS.issuperset(text)


def non_gsm_characters(text: str) -> list[str]:
    """Return the distinct characters that force UCS-2, in order of appearance."""
    if not text:
        return []
    return [char for char in dict.fromkeys(text) if char not in GSM7_CHARACTERS]


def _encoding(text: str) -> str:
    return GSM7 if is_gsm7(text) else UCS2


def _unit_sizes(text: str, encoding: str) -> list[int]:
    """Units taken by each code point of ``text`` in ``encoding``."""
    if encoding == GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    # Code points above the BMP become a surrogate pair (2 code units).
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _pack(sizes: list[int], capacity: int) -> list[tuple[int, int, int]]:
    """Greedily pack sizes into parts: (start, end, units) per part."""
    parts = []
    start = used = 0
    for index, size in enumerate(sizes):
        if used + size > capacity:
            parts.append((start, index, used))
            start, used = index, 0
        used += size
    parts.append((start, len(sizes), used))
    return parts


def _layout(text: str):
    """Return (encoding, total units, per_segment, parts) for ``text``."""
    encoding = _encoding(text)
    single, multi = LIMITS[encoding]
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    if not text:
        return encoding, 0, single, []
    if units <= single:
        return encoding, units, single, [(0, len(text), units)]
    return encoding, units, multi, _pack(sizes, multi)


def count_segments(text: str) -> SegmentInfo:
    """Return the encoding, size and number of SMS segments of ``text``."""
    text = text or ""
    encoding, units, per_segment, parts = _layout(text)
    last_units = parts[-1][2] if parts else 0
    return SegmentInfo(
        encoding=encoding,
        characters=len(text),
        units=units,
        segments=len(parts),
        per_segment=per_segment,
        remaining=per_segment - last_units,
    )


def split_segments(text: str) -> list[str]:
    """Split ``text`` into the parts a handset would receive."""
    text = text or ""
    parts = _layout(text)[3]
    return [text[start:end] for start, end, _units in parts]

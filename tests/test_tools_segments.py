# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests for tools/segments.py (GSM 03.38 / UCS-2 segment counting)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.text_messaging.tools import segments

EURO = "\u20ac"
EMOJI = "\U0001f600"  # grinning face, outside the BMP
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
UCS = "\u0436"  # Cyrillic zhe: one BMP code unit, not GSM
EXTENSION = "\f^{}\\[~]|" + EURO


def _units(part, encoding):
    """Units of ``part``, computed independently of the module."""
    if encoding == segments.GSM7:
        return sum(2 if char in EXTENSION else 1 for char in part)
    return len(part.encode("utf-16-le", "surrogatepass")) // 2


def _check_parts(text):
    """Split ``text`` and check the parts against count_segments()."""
    info = segments.count_segments(text)
    parts = segments.split_segments(text)
    assert "".join(parts) == text
    assert len(parts) == info.segments
    assert info.characters == len(text)
    assert info.units == _units(text, info.encoding)
    single, multi = segments.LIMITS[info.encoding]
    assert info.per_segment == (single if len(parts) <= 1 else multi)
    for part in parts:
        assert part
        assert _units(part, info.encoding) <= info.per_segment
    if parts:
        assert info.remaining == info.per_segment - _units(parts[-1], info.encoding)
    else:
        assert info.remaining == info.per_segment
    # Greedy packing: the first char of each later part did not fit before it.
    for before, after in zip(parts, parts[1:], strict=False):
        used = _units(before, info.encoding) + _units(after[0], info.encoding)
        assert used > info.per_segment
    return info, parts


# --- tables -----------------------------------------------------------------


def test_basic_table_has_127_characters_plus_small_c_cedilla():
    assert len(segments.GSM7_BASIC) == 128
    assert "\x1b" not in segments.GSM7_BASIC
    assert segments.GSM7_BASIC.isdisjoint(segments.GSM7_EXTENSION)


def test_basic_table_positions():
    table = segments._GSM7_BASIC_TABLE
    assert len(table) == 128
    assert table[0x00] == "@"
    assert table[0x09] == "\u00c7"
    assert table[0x0A] == "\n"
    assert table[0x0D] == "\r"
    assert table[0x10] == "\u0394"
    assert table[0x1B] == "\x1b"
    assert table[0x1F] == "\u00c9"
    assert table[0x24] == "\u00a4"
    assert table[0x40] == "\u00a1"
    assert table[0x5F] == "\u00a7"
    assert table[0x60] == "\u00bf"
    assert table[0x7F] == "\u00e0"


def test_extension_table_is_exactly_the_reference():
    assert segments.GSM7_EXTENSION == frozenset(EXTENSION)


@pytest.mark.parametrize("char", sorted(segments.GSM7_BASIC))
def test_every_basic_character_is_one_septet(char):
    info = segments.count_segments(char)
    assert (info.encoding, info.units, info.segments) == ("gsm7", 1, 1)


@pytest.mark.parametrize("char", list(EXTENSION))
def test_every_extension_character_is_two_septets(char):
    info = segments.count_segments(char)
    assert (info.encoding, info.units, info.segments) == ("gsm7", 2, 1)
    assert info.remaining == 158


@pytest.mark.parametrize("char", ["\u00c7", "\u00e7"])
def test_c_cedilla_both_cases_are_gsm(char):
    info = segments.count_segments("Gar" + char + "on")
    assert info.encoding == "gsm7"
    assert info.units == 6
    assert segments.non_gsm_characters(char) == []


@pytest.mark.parametrize(
    "char",
    [
        "`",
        "\u00e1",  # á
        "\u00ed",
        "\u00f3",
        "\u00fa",
        "\u00e2",
        "\u00ea",
        "\u00f5",
        "\u00e3",
        "\u00c0",  # À (only small à is GSM)
        "\u201c",  # curly quotes
        "\u201d",
        "\u2018",
        "\u2019",
        "\u2013",  # en dash
        "\u2014",  # em dash
        "\u2026",  # ellipsis
        "\u00a0",  # no-break space
        "\t",
        "\x1b",  # ESC itself is not a character
        "\u03b1",  # Greek small alpha
        "\u2126",  # Ohm sign (not the Greek capital omega of the table)
        EMOJI,
    ],
)
def test_non_gsm_characters_force_ucs2(char):
    info = segments.count_segments("Hello " + char)
    assert info.encoding == "ucs2"
    assert segments.non_gsm_characters("Hello " + char) == [char]


def test_curly_quote_forces_ucs2_for_whole_message():
    text = "It\u2019s ready"
    info = segments.count_segments(text)
    assert info.encoding == "ucs2"
    assert info.units == len(text)
    assert segments.non_gsm_characters(text) == ["\u2019"]


def test_non_gsm_characters_distinct_in_order():
    text = "a\u2019b\u2026c\u2019" + EMOJI + "\u2026" + EURO
    assert segments.non_gsm_characters(text) == ["\u2019", "\u2026", EMOJI]
    assert segments.non_gsm_characters("plain {text} " + EURO) == []
    assert segments.non_gsm_characters("") == []


def test_is_gsm7():
    assert segments.is_gsm7("")
    assert segments.is_gsm7("Price: 5" + EURO + " [ok]")
    assert not segments.is_gsm7("caf\u00e1")


# --- empty ------------------------------------------------------------------


def test_empty_text():
    info = segments.count_segments("")
    assert info == segments.SegmentInfo("gsm7", 0, 0, 0, 160, 160)
    assert segments.split_segments("") == []


def test_none_is_treated_as_empty():
    assert segments.count_segments(None).segments == 0
    assert segments.split_segments(None) == []


# --- GSM-7 boundaries -------------------------------------------------------


@pytest.mark.parametrize(
    "length, segs, per_segment, remaining",
    [
        (1, 1, 160, 159),
        (159, 1, 160, 1),
        (160, 1, 160, 0),
        (161, 2, 153, 145),
        (305, 2, 153, 1),
        (306, 2, 153, 0),
        (307, 3, 153, 152),
        (459, 3, 153, 0),
        (460, 4, 153, 152),
    ],
)
def test_gsm7_boundaries(length, segs, per_segment, remaining):
    text = "a" * length
    info, parts = _check_parts(text)
    assert info == segments.SegmentInfo(
        "gsm7", length, length, segs, per_segment, remaining
    )


def test_one_euro_at_160_characters_makes_two_segments():
    text = "a" * 159 + EURO
    info, parts = _check_parts(text)
    assert (info.characters, info.units, info.segments) == (160, 161, 2)
    assert parts == ["a" * 153, "a" * 6 + EURO]


def test_euro_fitting_exactly_in_one_segment():
    info, _parts = _check_parts("a" * 158 + EURO)
    assert (info.units, info.segments, info.remaining) == (160, 1, 0)


@pytest.mark.parametrize("char", list(EXTENSION))
def test_extension_pair_not_split_at_part_boundary(char):
    # 306 septets would be 2 parts by plain ceil(), but the pair cannot
    # straddle the boundary after 152 septets, so a third part is needed.
    text = "a" * 152 + char + "a" * 152
    info, parts = _check_parts(text)
    assert info.units == 306
    assert info.segments == 3
    assert parts == ["a" * 152, char + "a" * 151, "a"]
    assert info.remaining == 152


def test_extension_pair_exactly_at_part_end():
    text = "a" * 151 + EURO + "a" * 153
    info, parts = _check_parts(text)
    assert (info.units, info.segments) == (306, 2)
    assert parts == ["a" * 151 + EURO, "a" * 153]


def test_only_extension_characters():
    # 80 euros = 160 septets fit one part; 81 need 2 parts of 76 + 5.
    assert _check_parts(EURO * 80)[0].segments == 1
    info, parts = _check_parts(EURO * 81)
    assert (info.units, info.segments) == (162, 2)
    assert [len(p) for p in parts] == [76, 5]


def test_gsm7_newlines_count_one_septet():
    info = segments.count_segments("a\r\nb\n")
    assert (info.encoding, info.units) == ("gsm7", 5)


# --- UCS-2 boundaries -------------------------------------------------------


@pytest.mark.parametrize(
    "length, segs, per_segment, remaining",
    [
        (1, 1, 70, 69),
        (69, 1, 70, 1),
        (70, 1, 70, 0),
        (71, 2, 67, 63),
        (133, 2, 67, 1),
        (134, 2, 67, 0),
        (135, 3, 67, 66),
        (201, 3, 67, 0),
        (202, 4, 67, 66),
    ],
)
def test_ucs2_boundaries(length, segs, per_segment, remaining):
    text = UCS * length
    info, parts = _check_parts(text)
    assert info == segments.SegmentInfo(
        "ucs2", length, length, segs, per_segment, remaining
    )


def test_ucs2_extension_characters_count_one_unit():
    # In UCS-2 the euro sign is one UTF-16 code unit, not an ESC pair.
    info = segments.count_segments(EURO * 69 + UCS)
    assert (info.encoding, info.units, info.segments) == ("ucs2", 70, 1)


def test_single_non_gsm_character_in_long_gsm_text():
    text = "a" * 100 + "\u2019"
    info, _parts = _check_parts(text)
    assert (info.encoding, info.units, info.segments) == ("ucs2", 101, 2)


# --- characters outside the BMP ---------------------------------------------


def test_emoji_counts_two_units():
    info = segments.count_segments(EMOJI)
    assert (info.encoding, info.characters, info.units) == ("ucs2", 1, 2)
    assert info.remaining == 68


def test_emoji_at_single_part_boundary():
    info, _parts = _check_parts(UCS * 68 + EMOJI)
    assert (info.characters, info.units, info.segments) == (69, 70, 1)
    info, parts = _check_parts(UCS * 69 + EMOJI)
    assert (info.characters, info.units, info.segments) == (70, 71, 2)
    assert parts == [UCS * 67, UCS * 2 + EMOJI]


def test_emoji_only_messages():
    info, _parts = _check_parts(EMOJI * 35)
    assert (info.units, info.segments, info.remaining) == (70, 1, 0)
    info, parts = _check_parts(EMOJI * 36)
    # 67 units per part hold 33 emoji (66 units); the last unit stays empty.
    assert (info.units, info.segments) == (72, 2)
    assert parts == [EMOJI * 33, EMOJI * 3]
    assert info.remaining == 61


def test_surrogate_pair_not_split_at_part_boundary():
    # 134 units would be 2 parts by plain ceil(); the pair cannot straddle
    # the boundary after 66 units, so a third part is needed.
    text = UCS * 66 + EMOJI + UCS * 66
    info, parts = _check_parts(text)
    assert (info.units, info.segments) == (134, 3)
    assert parts == [UCS * 66, EMOJI + UCS * 65, UCS]


def test_surrogate_pair_exactly_at_part_end():
    text = UCS * 65 + EMOJI + UCS * 67
    info, parts = _check_parts(text)
    assert (info.units, info.segments) == (134, 2)
    assert parts == [UCS * 65 + EMOJI, UCS * 67]


def test_zwj_family_emoji_units():
    # 4 people outside the BMP (2 units each) joined by 3 ZWJ (1 unit each).
    info = segments.count_segments(FAMILY)
    assert (info.encoding, info.characters, info.units) == ("ucs2", 7, 11)
    assert info.segments == 1
    assert info.remaining == 59


def test_zwj_family_emoji_series():
    info, _parts = _check_parts(FAMILY * 6)  # 66 units
    assert (info.units, info.segments) == (66, 1)
    info, parts = _check_parts(FAMILY * 7)  # 77 units
    assert (info.units, info.segments) == (77, 2)


def test_flag_and_skin_tone_sequences():
    flag = "\U0001f1eb\U0001f1f7"  # regional indicators F + R
    thumbs = "\U0001f44d\U0001f3fd"  # thumbs up + medium skin tone
    assert segments.count_segments(flag).units == 4
    assert segments.count_segments(thumbs).units == 4


def test_lone_surrogate_does_not_crash():
    info, parts = _check_parts("\ud83d" * 71)
    assert (info.encoding, info.units, info.segments) == ("ucs2", 71, 2)


# --- split_segments ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hello",
        "a" * 160,
        "a" * 161,
        "a" * 1000,
        ("Your appointment {ref} is at 10:00 [room 5] ~ " + EURO) * 20,
        UCS * 500,
        (EMOJI + "a") * 100,
        FAMILY * 40,
        "Line one\nLine two\r\n" * 30,
    ],
)
def test_split_segments_rejoin_and_fit(text):
    _check_parts(text)


def test_split_single_part_returns_whole_text():
    assert segments.split_segments("Hi " + EURO) == ["Hi " + EURO]


def test_segment_info_is_frozen():
    info = segments.count_segments("x")
    with pytest.raises(AttributeError):
        info.segments = 5


def test_long_text_is_fast():
    # 100 kB must not be a problem for the compose preview.
    info = segments.count_segments("a" * 100_000)
    assert info.segments == -(-100_000 // 153)
    assert len(segments.split_segments(UCS * 100_000)) == -(-100_000 // 67)


# --- properties -------------------------------------------------------------

_GSM_ALPHABET = sorted(segments.GSM7_CHARACTERS)
_MIXED = st.sampled_from(
    _GSM_ALPHABET
    + list(EXTENSION) * 5
    + [UCS, "\u2019", EMOJI, "\U0001f44d", "\u200d", "\U00020000"]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_arbitrary_text(text):
    _check_parts(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_GSM_ALPHABET), max_size=700))
def test_property_gsm_text(text):
    info, _parts = _check_parts(text)
    assert info.encoding == "gsm7"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_MIXED, min_size=60, max_size=700))
def test_property_mixed_text_near_boundaries(text):
    info, _parts = _check_parts(text)
    if info.encoding == "gsm7":
        assert segments.non_gsm_characters(text) == []
    else:
        assert segments.non_gsm_characters(text)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters() | st.sampled_from(["\ud800", "\ud83d", "\udfff"]),
        max_size=400,
    )
)
def test_property_any_code_point_including_surrogates(text):
    _check_parts(text)

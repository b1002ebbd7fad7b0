# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests for tools/clip.py (placeholder length limits)."""

import pytest

from odoo.addons.text_messaging.tools.clip import clip

CASES = [
    ("Ada", 25, "Ada"),
    ("Dr Bo", 22, "Dr Bo"),
    ("", 5, ""),
    (None, 5, ""),
    ("Main office", None, "Main office"),
    ("Main office", 0, "Main office"),
    ("  Main   office ", 25, "Main office"),
    ("Room 12", 7, "Room 12"),
    ("Room 12B", 7, "Room"),
    ("Dr Maximilian Oppenheimer-Smith", 22, "Dr Maximilian"),
    ("Mar 4, 2025 at 11:00 AM", 16, "Mar 4, 2025 at"),
    ("Mar 4, 2025, 11:00", 16, "Mar 4, 2025"),
    ("Bartholomew-Alexander", 5, "Barth"),
    ("A, B", 2, "A"),
    ("Room - 5", 6, "Room"),
    ("Wolfeschlegelsteinhausenbergerdorff Smith", 25, "Wolfeschlegelsteinhausenb"),
]


@pytest.mark.parametrize(("text", "limit", "expected"), CASES)
def test_clip(text, limit, expected):
    result = clip(text, limit)
    assert result == expected
    if limit:
        assert len(result) <= limit

"""SMS part counts at the edges of GSM-7 and UCS-2, as a gateway bills them."""

import pytest

from lounge.notify.sms import segment

HEBREW = "שלום"  # four letters, UCS-2


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets each
        ("a" * 159 + "€", "GSM-7", 2),
        ("א" * 70, "UCS-2", 1),
        ("א" * 71, "UCS-2", 2),
        ("א" * 134, "UCS-2", 2),
        ("א" * 135, "UCS-2", 3),
        ("a" * 69 + "א", "UCS-2", 1),  # one Hebrew letter turns the whole text into UCS-2
        ("a" * 70 + "א", "UCS-2", 2),
        ("🙂" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("🙂" * 36, "UCS-2", 2),
        ("", "GSM-7", 1),
    ],
)
def test_part_counts_at_the_edges(text: str, encoding: str, parts: int) -> None:
    segments = segment(text)
    assert (segments.encoding, segments.count) == (encoding, parts)
    assert "".join(segments.parts) == text


def test_a_hebrew_text_with_a_link_counts_in_ucs2_parts() -> None:
    text = f"{HEBREW}, הצטרפתם לטרקלין העסקי של חברת החשמל. פרטים ומנהל הלקוח שלכם: https://lounge.example/inbox"
    assert 70 < len(text) <= 134
    segments = segment(text)
    assert segments.encoding == "UCS-2"
    assert segments.count == 2
    assert all(len(part) <= 67 for part in segments.parts)


def test_an_escape_pair_is_never_split_across_parts() -> None:
    segments = segment("a" * 152 + "€" + "b" * 10)
    assert segments.parts[0] == "a" * 152
    assert segments.parts[1].startswith("€")


def test_a_surrogate_pair_is_never_split_across_parts() -> None:
    segments = segment("א" * 66 + "🙂" + "א" * 10)
    assert segments.parts[0] == "א" * 66
    assert segments.parts[1].startswith("🙂")

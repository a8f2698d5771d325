"""Contacts' phone numbers: Israeli and international forms to E.164, the rest refused."""

import pytest

from lounge.notify.phones import InvalidPhone, can_receive_sms, normalize


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("050-234-5678", "+972502345678"),
        ("0502345678", "+972502345678"),
        ("+972 50 234 5678", "+972502345678"),
        ("03-555-1234", "+97235551234"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (212) 555-0123", "+12125550123"),
    ],
)
def test_israeli_and_international_numbers_become_e164(raw: str, e164: str) -> None:
    assert normalize(raw) == e164


@pytest.mark.parametrize("raw", ["", "hello", "050-123", "+972 99 999 9999 9999", "12345"])
def test_numbers_that_are_not_valid_are_refused_with_the_number_named(raw: str) -> None:
    with pytest.raises(InvalidPhone, match="is not"):
        normalize(raw)


def test_mobiles_take_texts_and_landlines_do_not() -> None:
    assert can_receive_sms("+972502345678")
    assert not can_receive_sms("+97235551234")

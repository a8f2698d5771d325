"""Phone numbers as the SMS gateway needs them: validated, in E.164.

Contacts type numbers the Israeli way (``050-123-4567``, ``03 555 1234``) or with a country code;
the gateway wants ``+972501234567``. Parsing and validity come from ``phonenumbers`` (Google's
libphonenumber metadata), which knows every numbering plan and its changes, so nothing here
hard-codes prefixes or lengths.
"""

from __future__ import annotations

import phonenumbers

#: Numbers written without a country code are read as Israeli.
DEFAULT_REGION = "IL"


class InvalidPhone(ValueError):
    """A number that is not a valid Israeli or international phone number."""


def normalize(raw: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of ``raw``, or :class:`InvalidPhone` saying why not."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number ({exc._msg})") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid Israeli or international phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_sms(e164: str) -> bool:
    """Mobile numbers take texts; landlines do not (some plans cannot tell: let those try)."""
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return kind in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }

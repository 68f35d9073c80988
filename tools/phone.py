"""Phone numbers in E.164 form, shared by technicians and customer intake."""

import re

import phonenumbers

from odoo.exceptions import ValidationError


def format_e164(env, number, country):
    """Return ``number`` in E.164 form, read in ``country`` when it has no
    country prefix; raise a ValidationError in the user's language otherwise."""
    try:
        parsed = phonenumbers.parse(number, country.code or None)
    except phonenumbers.NumberParseException:
        parsed = None
    if not parsed or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            env._(
                "The phone number “%(number)s” is not valid. Enter it with its "
                "country code, e.g. +90 532 123 45 67.",
                number=number,
            )
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_or_none(text, country):
    """``text`` in E.164 form when it looks like a valid phone number, else
    None: for search boxes and imports, where text may be a name as well."""
    if not re.fullmatch(r"[\d\s()+.\-/]{6,}", text or ""):
        return None
    try:
        parsed = phonenumbers.parse(text, country.code or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

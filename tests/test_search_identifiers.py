"""A search q read as a phone number or an email address (chalicelib.search.identifiers, contract
8.3 "Identifiers as typed"): examples first, then Hypothesis properties over valid numbers of
many regions in each of their formats."""
from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib import validation
from chalicelib.search.identifiers import email_reading, phone_readings, region_of

US_NUMBER = "+14048316195"
GB_NUMBER = "+442079460958"


# -- phones: examples ------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [
    "(404) 831-6195", "404.831.6195", "404-831-6195", "4048316195", "404 831 6195",
    "+1 404 831 6195", "+1-404-831-6195", "+14048316195", "001 404 831 6195", "00 1 404 831 6195",
    "1 (404) 831-6195", "1-404-831-6195", "  (404) 831-6195\t", "[404] 831 6195",
    "404\u2013831\u20136195",  # en dashes
    "\u0664\u0660\u0664-\u0668\u0663\u0661-\u0666\u0661\u0669\u0665",  # Arabic-Indic digits
])
def test_a_us_number_in_any_usual_spelling_reads_as_its_e164_form(q):
    assert phone_readings(q, "US", []) == [US_NUMBER]


@pytest.mark.parametrize("q", [
    "+44 20 7946 0958", "0044 20 7946 0958", "+44 (0)20 7946 0958", "(+44) 20 7946 0958",
    "+442079460958", "0044-20-7946-0958",
])
def test_an_international_number_reads_as_that_number_whatever_the_regions(q):
    assert phone_readings(q, "US", []) == [GB_NUMBER]
    assert phone_readings(q, "FR", ["DE", "IT"]) == [GB_NUMBER]


def test_a_plus_or_00_number_is_read_only_as_international():
    # 020 7946 0958 is a London number when read nationally in GB; with "+" it is not.
    assert phone_readings("+20 7946 0958", "GB", ["GB"]) == []
    assert phone_readings("+1 404 831 6195", "GB", ["US"]) == [US_NUMBER]


def test_a_national_number_of_a_held_region_is_read_there():
    assert phone_readings("020 7946 0958", "US", ["GB"]) == [GB_NUMBER]


def test_a_national_number_of_the_default_region_is_read_there():
    assert phone_readings("020 7946 0958", "GB", []) == [GB_NUMBER]
    assert phone_readings("020 7946 0958", "GB", ["GB", "GB"]) == [GB_NUMBER]


def test_a_leading_zero_number_is_not_read_where_nothing_is_held():
    assert phone_readings("020 7946 0958", "US", []) == []
    assert phone_readings("020 7946 0958", "US", ["DE"]) == []


def test_a_leading_zero_number_is_read_in_the_default_region_then_in_held_regions_in_order():
    # 06 12 34 56 78 is a French mobile and a Dutch mobile; 0612345678 is also valid in IT.
    fr = phone_readings("06 12 34 56 78", "FR", [])
    nl = phone_readings("06 12 34 56 78", "NL", [])
    assert fr == ["+33612345678"] and nl == ["+31612345678"]
    assert phone_readings("06 12 34 56 78", "FR", ["NL"]) == fr + nl
    assert phone_readings("06 12 34 56 78", "US", ["NL", "FR"]) == nl + fr
    assert phone_readings("06 12 34 56 78", "NL", ["NL", "FR", "NL"]) == nl + fr


def test_digits_without_prefix_read_in_the_default_region_then_as_international_then_held():
    # 207 is a US area code (Maine), 44 20... a UK country code and number, 20 7946... London.
    assert phone_readings("2079460958", "US", ["GB"]) == ["+12079460958", GB_NUMBER]
    assert phone_readings("442079460958", "US", []) == [GB_NUMBER]
    assert phone_readings("1 404 831 6195", "GB", []) == [US_NUMBER]  # as international


def test_a_trunk_prefix_other_than_zero_is_read_in_its_held_region():
    assert phone_readings("8 (912) 345-67-89", "US", ["RU"]) == ["+79123456789"]


def test_the_default_regions_own_international_prefix_reads_as_stored():
    assert phone_readings("011 44 20 7946 0958", "US", []) == [GB_NUMBER]


def test_digits_of_another_script_follow_the_same_rules():
    zero_zero_44 = "\u0660\u0660\u0664\u0664 20 7946 0958"  # Arabic-Indic 0044
    assert phone_readings(zero_zero_44, "US", []) == [GB_NUMBER]
    assert phone_readings("\u0660" + "20 7946 0958", "US", ["GB"]) == [GB_NUMBER]


def test_the_same_number_from_several_readings_is_listed_once():
    # +1 is shared by US and CA: a US number read in CA is the same number.
    assert phone_readings("404 831 6195", "US", ["CA", "US"]) == [US_NUMBER]


def test_unknown_or_empty_held_regions_are_skipped():
    assert phone_readings("020 7946 0958", "US", ["", "ZZ", "001", "gb"]) == [GB_NUMBER]


@pytest.mark.parametrize("q", [
    "831-6195",  # 7 digits: not a whole US number
    "7946", "123456", "+44 20", "0044 20",
    "john 404 831 6195", "404 831 6195 john", "1-800-FLOWERS", "404/831/6195",
    "404,831,6195", "404 831 6195 ext 12", "404 831 6195 #12", "+1 404 +831 6195",
    "404 831 6195+", "++1 404 831 6195", "", "   ", "-", "()", "+",
    "123456789012345678901",  # more digits than any number
    "0000000000", "1111111111",  # digits, but no valid number
])
def test_anything_else_is_no_phone(q):
    assert phone_readings(q, "US", ["GB", "FR"]) == []


def test_each_reading_is_what_storage_would_store():
    for q, region in (("(404) 831-6195", "US"), ("020 7946 0958", "GB"), ("06 12 34 56 78", "FR")):
        assert phone_readings(q, region, []) == [validation.normalise_phone(q, region)]


# -- region_of ---------------------------------------------------------------------------------

@pytest.mark.parametrize("e164, region", [
    (US_NUMBER, "US"), (GB_NUMBER, "GB"), ("+15145551234", "CA"), ("+33612345678", "FR"),
    ("+79123456789", "RU"), ("+80012345678", None), ("", None), ("not a phone", None),
    ("+999123", None),
])
def test_region_of_a_stored_phone(e164, region):
    assert region_of(e164) == region


def test_region_of_reads_back_a_held_national_number():
    held = [region_of("+33612345678"), region_of(GB_NUMBER)]
    assert phone_readings("020 7946 0958", "US", held) == [GB_NUMBER]


# -- email -------------------------------------------------------------------------------------

@pytest.mark.parametrize("q, expected", [
    ("ada@example.com", "ada@example.com"),
    (" Ada.Lovelace@Example.com ", "ada.lovelace@example.com"),
    ("ADA@EXAMPLE.COM", "ada@example.com"),
    ("JOS\u00c9@xn--bcher-kva.example", "jos\u00e9@b\u00fccher.example"),  # A-label domain
    ("Jose\u0301@b\u00fccher.example", "jos\u00e9@b\u00fccher.example"),  # decomposed (NFD)
    ("ada+search@example.co.uk", "ada+search@example.co.uk"),
])
def test_a_whole_email_address_reads_as_its_stored_form(q, expected):
    assert email_reading(q) == expected
    assert email_reading(q) == validation.normalise_email(q)


@pytest.mark.parametrize("q", [
    "ada@", "@example.com", "a b@c.d", "ada@example.com lovelace", "ada lovelace",
    "ada@@example.com", "ada@localhost", '"a b"@c.d', "Ada <ada@example.com>", "", "   ",
    "p\u0430ypal@example.com",  # Latin with a Cyrillic letter: never stored
    "404 831 6195",
])
def test_anything_else_is_no_email(q):
    assert email_reading(q) is None


def test_a_phone_is_no_email_and_an_email_is_no_phone():
    assert email_reading("+1 404 831 6195") is None
    assert phone_readings("4048316195@example.com", "US", []) == []


# -- properties --------------------------------------------------------------------------------

REGIONS = ["US", "CA", "GB", "FR", "DE", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI",
           "PL", "PT", "IE", "RU", "UA", "TR", "IN", "CN", "JP", "KR", "AU", "NZ", "BR", "MX", "AR",
           "ZA", "NG", "EG", "KE", "IL", "AE", "SG", "HK", "PH", "ID", "VN", "TH"]
TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
SEPARATORS = st.sampled_from(["", " ", "-", ".", " - ", "  ", "\u2010"])


@st.composite
def valid_numbers(draw):
    """A valid number of one of REGIONS: an example number with some trailing digits redrawn."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(TYPES)))
    assume(example is not None)
    nsn = phonenumbers.national_significant_number(example)
    keep = draw(st.integers(min_value=max(1, len(nsn) - 4), max_value=len(nsn)))
    tail = draw(st.text("0123456789", min_size=len(nsn) - keep, max_size=len(nsn) - keep))
    number = phonenumbers.parse(f"+{example.country_code}{nsn[:keep]}{tail}", None)
    assume(phonenumbers.is_valid_number(number))
    assume(phonenumbers.region_code_for_number(number) == region)
    return region, number


def respell(formatted, draw):
    """The same digits, their groups joined by random separators, one group maybe bracketed."""
    plus = "+" if formatted.startswith("+") else ""
    groups = re.findall(r"\d+", formatted)
    bracket = draw(st.integers(min_value=-1, max_value=len(groups) - 1))
    if bracket >= 0:
        groups[bracket] = f"({groups[bracket]})"
    out = groups[0]
    for group in groups[1:]:
        out += draw(SEPARATORS) + group
    return plus + out


def e164(number):
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def digit_count(text):
    return sum(c.isdigit() for c in text)


INTERNATIONAL = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                 phonenumbers.PhoneNumberFormat.RFC3966]


@settings(max_examples=300, deadline=None)
@given(valid_numbers(), st.sampled_from(INTERNATIONAL), st.booleans(), st.data())
def test_an_international_spelling_reads_as_exactly_that_number(drawn, fmt, double_zero, data):
    region, number = drawn
    text = phonenumbers.format_number(number, fmt).removeprefix("tel:")
    text = respell(text, data.draw) if data.draw(st.booleans()) else text
    if double_zero:
        text = "00" + text.removeprefix("+")
    assume(digit_count(text) >= 7)
    default = data.draw(st.sampled_from(REGIONS))
    held = data.draw(st.lists(st.sampled_from(REGIONS), max_size=4))
    assert phone_readings(text, default, held) == [e164(number)]


@settings(max_examples=300, deadline=None)
@given(valid_numbers(), st.data())
def test_a_national_spelling_reads_as_the_number_when_its_region_is_default_or_held(drawn, data):
    region, number = drawn
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    text = respell(text, data.draw) if data.draw(st.booleans()) else text
    assume(digit_count(text) >= 7)
    others = data.draw(st.lists(st.sampled_from(REGIONS), max_size=4))
    assert e164(number) in phone_readings(text, region, others)
    default = data.draw(st.sampled_from(REGIONS))
    held = others + [region] + data.draw(st.lists(st.sampled_from(REGIONS), max_size=2))
    readings = phone_readings(text, default, held)
    assert e164(number) in readings
    assert len(readings) == len(set(readings))
    if default == region:
        assert readings[0] == e164(number)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), st.data())
def test_every_reading_is_a_valid_e164_number_that_storage_would_store(q, data):
    default = data.draw(st.sampled_from(REGIONS))
    held = data.draw(st.lists(st.sampled_from(REGIONS), max_size=3))
    for reading in phone_readings(q, default, held):
        assert re.fullmatch(r"\+[1-9]\d{6,14}", reading)
        assert phonenumbers.is_valid_number(phonenumbers.parse(reading, None))
        assert validation.normalise_phone(reading, "US") == reading


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 -.()+[]", max_size=25), st.data())
def test_phone_like_text_reads_in_the_default_region_first(q, data):
    default = data.draw(st.sampled_from(REGIONS))
    held = data.draw(st.lists(st.sampled_from(REGIONS), max_size=3))
    readings = phone_readings(q, default, held)
    if "+" in q or re.sub(r"\D", "", q).startswith("00") or not 7 <= digit_count(q) <= 20:
        return
    try:
        stored = validation.normalise_phone(q, default)
    except ValueError:
        return
    assert readings[0] == stored


@settings(max_examples=200, deadline=None)
@given(valid_numbers())
def test_region_of_is_the_region_a_national_spelling_reads_in(drawn):
    region, number = drawn
    assert region_of(e164(number)) == region

from collections.abc import Callable
from decimal import Decimal

import pytest
import simplejson
from hypothesis import given
from hypothesis import strategies as st

from webapp.money import (
    CURRENCIES,
    MAX_MINOR,
    Money,
    MoneyError,
    nexkasa_amount,
    nexkasa_amount_from_wire,
    paynet_amount,
    paynet_amount_from_wire,
    paytrek_amount,
    paytrek_amount_from_wire,
    pientegra_amount,
    pientegra_amount_from_wire,
)

currencies = st.sampled_from(sorted(CURRENCIES))
minor_units = st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR)
half_range = st.integers(min_value=-(MAX_MINOR // 2), max_value=MAX_MINOR // 2)
positive_minor = st.integers(min_value=1, max_value=999_999_999_999)
not_positive_minor = st.integers(min_value=-(10**12), max_value=0)
canonical_text = st.builds(
    lambda whole, cents: f"{whole}.{cents:02d}",
    st.integers(min_value=0, max_value=10**15),
    st.integers(min_value=0, max_value=99),
)

FROM_WIRE: list[Callable[[object, str], Money]] = [
    paytrek_amount_from_wire,
    pientegra_amount_from_wire,
    nexkasa_amount_from_wire,
    paynet_amount_from_wire,
]
TO_WIRE: list[Callable[[Money], object]] = [
    paytrek_amount,
    pientegra_amount,
    nexkasa_amount,
    paynet_amount,
]


def try_(minor: int) -> Money:
    return Money.from_minor(minor, "TRY")


# --- Money ------------------------------------------------------------------------------------


@given(minor_units, currencies)
def test_minor_units_round_trip(minor, currency):
    assert Money.from_minor(minor, currency).minor == minor


@given(canonical_text)
def test_canonical_text_round_trips_through_str(text):
    assert str(Money.parse(text, "TRY").amount) == text


def test_amount_is_quantized_to_the_currency_exponent():
    assert Money(Decimal("10.5"), "TRY").amount == Decimal("10.50")
    assert str(Money(Decimal("10.5"), "TRY").amount) == "10.50"
    assert str(Money(10, "USD").amount) == "10.00"
    assert str(Money(Decimal("-0"), "EUR").amount) == "0.00"
    assert Money.parse("1500.5", "TRY") == Money(Decimal("1500.50"), "TRY")
    assert Money.parse("1500", "TRY").minor == 150_000


@given(st.integers(-(10**15), 10**15), st.integers(min_value=1, max_value=9), currencies)
def test_more_decimals_than_the_currency_has_are_refused(minor, last_digit, currency):
    amount = Decimal(minor).scaleb(-2) + Decimal(last_digit).scaleb(-3)
    with pytest.raises(MoneyError, match=f"{currency} takes at most 2 decimals"):
        Money(amount, currency)
    with pytest.raises(MoneyError, match="at most 2 decimals"):
        Money.parse(f"{abs(amount):f}", currency)


@pytest.mark.parametrize(
    "text",
    ["", "1e3", "NaN", "nan", "Infinity", "-Infinity", " 12", "12 ", "1,5", "+5", "-5", ".5", "5.",
     "1_000", "١٢", "0x10", "12\n"],
)  # fmt: skip
def test_parse_refuses_anything_but_a_plain_decimal(text):
    with pytest.raises(MoneyError):
        Money.parse(text, "TRY")


def test_parse_refuses_the_turkish_thousands_form():
    with pytest.raises(MoneyError, match="at most 2 decimals"):
        Money.parse("1.500", "TRY")


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_non_finite_amounts_are_refused(amount):
    with pytest.raises(MoneyError):
        Money(amount, "TRY")


def test_amounts_beyond_a_bigint_of_minor_units_are_refused():
    assert Money.from_minor(MAX_MINOR, "TRY").minor == MAX_MINOR
    with pytest.raises(MoneyError, match="out of range"):
        Money.from_minor(MAX_MINOR + 1, "TRY")
    with pytest.raises(MoneyError, match="out of range"):
        Money(Decimal("1E+30"), "TRY")


@pytest.mark.parametrize("currency", ["XXX", "try", "TL", "", None, 949])
def test_unknown_currency_is_refused(currency):
    with pytest.raises(MoneyError, match="unsupported currency"):
        Money(Decimal(1), currency)
    with pytest.raises(MoneyError, match="unsupported currency"):
        Money.from_minor(100, currency)


def test_floats_are_refused_by_constructors():
    with pytest.raises(TypeError):
        Money(12.5, "TRY")
    with pytest.raises(TypeError):
        Money.parse(12.5, "TRY")
    with pytest.raises(TypeError):
        Money.from_minor(1250.0, "TRY")
    with pytest.raises(TypeError):
        Money("12.50", "TRY")
    with pytest.raises(TypeError):
        Money(True, "TRY")


@given(half_range, half_range)
def test_arithmetic_and_ordering_follow_minor_units(a, b):
    x, y = try_(a), try_(b)
    assert (x + y).minor == a + b
    assert (x - y).minor == a - b
    assert (x < y) == (a < b)
    assert (x >= y) == (a >= b)
    assert (x + Money.zero("TRY")) == x


def test_mixing_currencies_is_refused():
    tl, usd = Money(1, "TRY"), Money(1, "USD")
    for operation in (lambda: tl + usd, lambda: tl - usd, lambda: tl < usd, lambda: tl >= usd):
        with pytest.raises(MoneyError, match="cannot mix TRY and USD"):
            operation()
    assert tl != usd


def test_is_positive():
    assert try_(1).is_positive
    assert not Money.zero("TRY").is_positive
    assert not try_(-1).is_positive


# --- Provider wire formats --------------------------------------------------------------------


@given(positive_minor)
def test_every_provider_round_trips(minor):
    money = try_(minor)
    assert paytrek_amount_from_wire(paytrek_amount(money), "TRY") == money
    assert nexkasa_amount_from_wire(nexkasa_amount(money)) == money
    assert paynet_amount_from_wire(paynet_amount(money)) == money
    if 100 <= minor <= 100_000_000:
        assert pientegra_amount_from_wire(pientegra_amount(money)) == money


@given(positive_minor, st.sampled_from(["USD", "EUR"]))
def test_paytrek_round_trips_every_currency(minor, currency):
    money = Money.from_minor(minor, currency)
    assert paytrek_amount_from_wire(paytrek_amount(money), currency) == money


@given(positive_minor)
def test_json_numbers_parsed_as_decimal_round_trip(minor):
    money = try_(minor)
    body = simplejson.dumps({"amount": paytrek_amount(money)})
    wire = simplejson.loads(body, use_decimal=True)["amount"]
    assert paytrek_amount_from_wire(wire, "TRY") == money


def test_paytrek_amount_is_a_json_number_with_two_decimals():
    money = Money.parse("12.5", "TRY")
    assert simplejson.dumps({"amount": paytrek_amount(money)}) == '{"amount": 12.50}'
    assert simplejson.dumps({"amount": paynet_amount(try_(1500_00))}) == '{"amount": 1500.00}'


def test_nexkasa_amount_is_text_with_two_decimals():
    assert nexkasa_amount(try_(1500_00)) == "1500.00"
    assert nexkasa_amount(try_(1)) == "0.01"


def test_nexkasa_signed_callback_float_literal_parsed_as_decimal():
    body = '{"amount": 1500.5, "status": "APPROVED"}'
    amount = simplejson.loads(body, use_decimal=True)["amount"]
    assert nexkasa_amount_from_wire(amount) == Money.parse("1500.50", "TRY")


def test_nexkasa_refuses_more_than_twelve_digits():
    assert nexkasa_amount(try_(999_999_999_999)) == "9999999999.99"
    with pytest.raises(MoneyError, match=r"at most 9999999999\.99"):
        nexkasa_amount(try_(1_000_000_000_000))


@pytest.mark.parametrize(
    ("minor", "error"),
    [(99, "amount_below_min"), (100, None), (100_000_000, None), (100_000_001, "amount_above_max")],
)
def test_pientegra_range_edges(minor, error):
    if error is None:
        assert pientegra_amount(try_(minor)) == str(minor)
    else:
        with pytest.raises(MoneyError, match=error):
            pientegra_amount(try_(minor))


def test_pientegra_amount_is_a_json_string_of_minor_units():
    assert simplejson.dumps({"amount": pientegra_amount(try_(2500_00))}) == '{"amount": "250000"}'


def test_pientegra_minor_unit_strings():
    assert pientegra_amount_from_wire("100000") == Money.parse("1000.00", "TRY")
    for bad in ["", "10.5", "-100", "+100", "1e3", " 100", "١٠٠", "9" * 20]:
        with pytest.raises(MoneyError):
            pientegra_amount_from_wire(bad)
    with pytest.raises(MoneyError):
        pientegra_amount_from_wire(-100)
    with pytest.raises(TypeError):
        pientegra_amount_from_wire(Decimal("100"))


@pytest.mark.parametrize("to_wire", TO_WIRE)
@given(minor=not_positive_minor)
def test_zero_and_negative_amounts_are_refused_on_the_way_out(to_wire, minor):
    with pytest.raises(MoneyError, match="only positive amounts"):
        to_wire(try_(minor))


@pytest.mark.parametrize("to_wire", [pientegra_amount, nexkasa_amount, paynet_amount])
def test_try_only_providers_refuse_other_currencies(to_wire):
    with pytest.raises(MoneyError, match="only TRY"):
        to_wire(Money.parse("150.00", "USD"))


@pytest.mark.parametrize("from_wire", FROM_WIRE)
@pytest.mark.parametrize("value", [12.5, 100.0, True])
def test_floats_are_refused_from_every_provider(from_wire, value):
    with pytest.raises(TypeError):
        from_wire(value, "TRY")


@pytest.mark.parametrize(
    "from_wire", [paytrek_amount_from_wire, nexkasa_amount_from_wire, paynet_amount_from_wire]
)
@pytest.mark.parametrize("value", [Decimal("12.345"), "12.345", Decimal("-1.00"), "-1.00", "NaN"])
def test_major_unit_providers_refuse_extra_decimals_and_negatives(from_wire, value):
    with pytest.raises(MoneyError):
        from_wire(value, "TRY")


@pytest.mark.parametrize(
    "from_wire", [paytrek_amount_from_wire, nexkasa_amount_from_wire, paynet_amount_from_wire]
)
def test_major_unit_providers_accept_decimal_int_and_text(from_wire):
    expected = Money.parse("1500.00", "TRY")
    for value in (Decimal("1500.00"), Decimal("1500.0"), 1500, "1500.00", "1500"):
        assert from_wire(value, "TRY") == expected


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("1.500,00", "1500.00"), ("150,5", "150.50"), (" 150.00 ", "150.00"), ("12", "12.00")],
)
def test_a_typed_amount_may_use_the_turkish_decimal_comma(typed, amount):
    assert Money.parse_typed(typed, "TRY") == Money.parse(amount, "TRY")


@pytest.mark.parametrize("typed", ["1.500", "1,500.00", "1.50,00", "-5,00", "1 500,00"])
def test_ambiguous_or_mixed_typed_amounts_are_refused(typed):
    with pytest.raises(MoneyError):
        Money.parse_typed(typed, "TRY")

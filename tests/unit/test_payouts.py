"""Payout validation: Turkish IBANs, amounts per provider, the spec, masking, the body hash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.models import Payout
from webapp.payments.checkouts import SpecError
from webapp.payments.payout_sending import body_hash
from webapp.payments.payouts import (
    mask_iban,
    normalize_iban,
    parse_payout_spec,
    payout_amount,
)

IBAN = "TR320010009999901234567890"  # Pientegra's example; mod-97 valid


def spec(**overrides):
    return {
        "amount": "2500.00",
        "currency": "TRY",
        "iban": IBAN,
        "holder_name": "Ayşe Yılmaz",
        "customer_id": "cust-42",
        "reference": "PAYOUT-1",
        **overrides,
    }


@pytest.mark.parametrize(
    "typed",
    [IBAN, "TR32 0010 0099 9990 1234 5678 90", "tr32 0010 0099 9990 1234 5678 90", f" {IBAN}\t"],
)
def test_an_iban_is_stored_upper_case_without_spaces(typed):
    assert normalize_iban(typed) == IBAN


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("DE89370400440532013000", "iban_country"),
        ("TR32001000999990123456789", "iban_length"),
        ("TR3200100099999012345678901", "iban_length"),
        ("TR32001000999990123456789X", "iban_invalid"),
        ("TR320010009999901234567891", "iban_checksum"),
        ("", "iban_country"),
    ],
)
def test_a_bad_iban_names_why(typed, code):
    with pytest.raises(SpecError) as raised:
        normalize_iban(typed)
    assert (raised.value.field, raised.value.code) == ("iban", code)


@given(st.integers(min_value=0, max_value=9))
def test_any_single_changed_digit_fails_the_checksum(digit):
    changed = IBAN[:-1] + str(digit)
    if changed == IBAN:
        assert normalize_iban(changed) == IBAN
    else:
        with pytest.raises(SpecError):
            normalize_iban(changed)


def test_only_the_last_four_characters_are_shown():
    assert mask_iban(IBAN) == "*" * 22 + "7890"


@pytest.mark.parametrize("amount", ["0", "0.00", "-5", "1.234", "abc", "1e3", "0.99"])
def test_amounts_outside_what_pientegra_takes_are_refused(amount):
    with pytest.raises(SpecError) as raised:
        payout_amount(amount, "pientegra")
    assert raised.value.field == "amount"


def test_pientegras_documented_range_is_enforced_before_sending():
    assert payout_amount("1.00", "pientegra").minor == 100
    assert payout_amount("1000000.00", "pientegra").minor == 100_000_000
    with pytest.raises(SpecError):
        payout_amount("1000000.01", "pientegra")
    assert payout_amount("0.50", "nexkasa").minor == 50


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 2500}, "amount"),
        ({"holder_name": ""}, "holder_name"),
        ({"customer_id": None}, "customer_id"),
        ({"reference": "has space"}, "reference"),
        ({"provider": "paytrek"}, "provider"),
        ({"extra": "x"}, "extra"),
    ],
)
def test_the_spec_names_the_field_at_fault(overrides, field):
    with pytest.raises(SpecError) as raised:
        parse_payout_spec(spec(**overrides))
    assert raised.value.field == field


def test_a_missing_field_is_named():
    data = spec()
    del data["iban"]
    with pytest.raises(SpecError) as raised:
        parse_payout_spec(data)
    assert raised.value.field == "iban"


def test_the_body_hash_is_stable_and_follows_every_sent_field():
    def payout(**fields):
        values = {
            "customer_ref": "cust-42",
            "customer_label": "Mağaza PAYOUT-1",
            "amount_minor": 250_000,
            "currency": "TRY",
            "iban": IBAN,
            "holder_name": "Ayşe Yılmaz",
            **fields,
        }
        return Payout(**values)

    assert body_hash(payout()) == body_hash(payout())
    assert body_hash(payout()) != body_hash(payout(amount_minor=250_001))
    assert body_hash(payout()) != body_hash(payout(holder_name="Ayse Yilmaz"))

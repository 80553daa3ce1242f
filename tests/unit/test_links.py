"""Link signing: canonical form, purposes, tampering."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.payments import links

SECRET = "ls_test_secret"


def test_canonical_form_is_sorted_and_rfc3986_encoded():
    params = {"order_id": "A 1/ü", "amount": "10.00", "signature": "ignored", "merchant": "mer_1"}
    assert links.canonical(params) == "amount=10.00&merchant=mer_1&order_id=A%201%2F%C3%BC"


def test_signature_is_hmac_of_purpose_and_canonical():
    params = {"amount": "10.00", "merchant": "mer_1"}
    expected = hmac.new(
        SECRET.encode(), b"checkout\namount=10.00&merchant=mer_1", hashlib.sha256
    ).hexdigest()
    assert links.sign(params, SECRET, links.CHECKOUT) == expected


def test_a_signature_for_one_purpose_is_refused_for_another():
    params = {"amount": "10.00", "merchant": "mer_1"}
    params["signature"] = links.sign(params, SECRET, links.CHECKOUT)
    links.verify(params, SECRET, links.CHECKOUT)
    with pytest.raises(links.LinkError):
        links.verify(params, SECRET, links.PAYOUT)


@given(
    st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=30), max_size=6),
    st.text(min_size=1, max_size=10),
)
def test_any_change_breaks_the_signature(params, changed_key):
    params = {k: v for k, v in params.items() if k != "signature"}
    signed = {**params, "signature": links.sign(params, SECRET, links.CHECKOUT)}
    links.verify(signed, SECRET, links.CHECKOUT)
    if changed_key == "signature":
        return
    tampered = {**signed, changed_key: signed.get(changed_key, "") + "x"}
    with pytest.raises(links.LinkError):
        links.verify(tampered, SECRET, links.CHECKOUT)


def test_query_parsing_refuses_repeated_parameters():
    with pytest.raises(links.LinkError):
        links.parse_query("amount=1.00&amount=1000.00")

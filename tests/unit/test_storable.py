"""Text both databases store: what the input guard and the provider parsers refuse."""

from __future__ import annotations

import pytest

from webapp.storable import all_storable, storable


@pytest.mark.parametrize("text", ["", "Ayşe Yılmaz", "₺1.500,00", "emoji \U0001f600"])
def test_ordinary_text_is_storable(text):
    assert storable(text)


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfffy"])
def test_nul_and_unpaired_surrogates_are_not(text):
    assert not storable(text)


def test_every_string_of_a_json_value_is_checked_keys_included():
    assert all_storable({"a": [1, "b", {"c": None}]})
    assert not all_storable({"a": [1, "b", {"c\x00": None}]})
    assert not all_storable([[["\ud800"]]])


def test_nesting_deeper_than_the_stack_is_walked_without_recursion():
    deep: list = ["\x00"]
    for _ in range(100_000):
        deep = [deep]
    assert not all_storable(deep)

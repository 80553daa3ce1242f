"""``next`` targets can only lead to a path on our own site."""

import pytest

from webapp.navigation import safe_next


@pytest.mark.parametrize(
    "target",
    ["/console/", "/console/payments?page=2", "/"],
)
def test_local_paths_are_kept(target):
    assert safe_next(target, "/fallback") == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil",
        "javascript:alert(1)",
        "console",
        "/ok\r\nSet-Cookie: x=1",
        "http:/evil.example",
        "/\tx",
    ],
)
def test_anything_else_falls_back(target):
    assert safe_next(target, "/fallback") == "/fallback"

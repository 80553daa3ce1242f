"""What a simulated provider hands to the sandbox framework.

A provider package builds one ``SandboxProvider``: its documented API blueprint (mounted under
``/<name>``; fault injection applies to it), an optional blueprint of sandbox-only operator
routes (never faulted), the items awaiting an operator decision for ``/_sandbox/operator``, and
its switches for ``/_sandbox/<name>/settings``. ``providers.py`` lists them in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint


@dataclass(frozen=True)
class OperatorAction:
    """A button on the operator page: a POST form to ``url``, named ``label`` (Turkish)."""

    label: str
    url: str
    asks_reason: bool = False


@dataclass(frozen=True)
class PendingItem:
    item_id: str
    summary: Mapping[str, str]
    actions: Sequence[OperatorAction]


class SettingsError(ValueError):
    """A provider switch was given a value it does not know."""


def _nothing_pending() -> Sequence[PendingItem]:
    return ()


@dataclass(frozen=True)
class SandboxProvider:
    name: str
    title: str
    api: Blueprint
    operator: Blueprint | None = None
    pending_items: Callable[[], Sequence[PendingItem]] = _nothing_pending
    switches: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Each switch's choices; the first is the default."""
    config_keys: Sequence[str] = ()
    """The credentials it checks, named as in the product's settings (``NEXKASA_API_KEY``)."""

    @property
    def url_prefix(self) -> str:
        return f"/{self.name}"

    def default_settings(self) -> dict[str, str]:
        return {name: choices[0] for name, choices in self.switches.items()}

    def checked_settings(self, changes: Mapping[str, Any]) -> dict[str, str]:
        """``changes`` when every key is a switch and every value one of its choices."""
        for name, value in changes.items():
            choices = self.switches.get(name)
            if choices is None:
                raise SettingsError(f"{name}: unknown switch")
            if value not in choices:
                raise SettingsError(f"{name}: one of {', '.join(choices)}")
        return dict(changes)

"""The shape of the status machine itself: complete, and terminal statuses have no way out."""

from webapp.models import AttemptStatus, CheckoutStatus, PaylinkStatus, PayoutStatus
from webapp.payments.status import EDGES, can_transition, is_terminal

ALL = [*CheckoutStatus, *PayoutStatus, *PaylinkStatus, *AttemptStatus]


def test_every_status_has_its_edges_listed():
    for kind in (CheckoutStatus, PayoutStatus, PaylinkStatus, AttemptStatus):
        assert set(EDGES[kind]) == set(kind)


def test_edges_stay_within_one_kind_of_entity():
    for kind, edges in EDGES.items():
        for source, targets in edges.items():
            assert type(source) is kind
            assert all(type(target) is kind for target in targets), source


def test_terminal_statuses():
    assert {s for s in CheckoutStatus if is_terminal(s)} == {
        CheckoutStatus.REFUNDED,
        CheckoutStatus.FAILED,
        CheckoutStatus.EXPIRED,
        CheckoutStatus.CANCELLED,
    }
    assert {s for s in PayoutStatus if is_terminal(s)} == {
        PayoutStatus.REJECTED,
        PayoutStatus.RETURNED,
        PayoutStatus.FAILED,
    }
    assert {s for s in PaylinkStatus if is_terminal(s)} == {
        PaylinkStatus.PAID,
        PaylinkStatus.FAILED,
        PaylinkStatus.EXPIRED,
        PaylinkStatus.CANCELLED,
    }


def test_a_repeat_is_always_allowed_and_nothing_leaves_a_terminal_status():
    for status in ALL:
        assert can_transition(status, status)
        if is_terminal(status):
            assert not any(can_transition(status, other) for other in ALL if other != status)


def test_expired_checkout_never_becomes_paid():
    assert not can_transition(CheckoutStatus.EXPIRED, CheckoutStatus.PAID)


def test_sent_payout_can_come_back():
    assert can_transition(PayoutStatus.SENT, PayoutStatus.RETURNED)
    assert not can_transition(PayoutStatus.RETURNED, PayoutStatus.SENT)


def test_every_non_terminal_status_can_reach_a_terminal_one():
    for start in ALL:
        seen, frontier = {start}, [start]
        while frontier:
            current = frontier.pop()
            for nxt in EDGES[type(current)][current]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert any(is_terminal(s) for s in seen), start

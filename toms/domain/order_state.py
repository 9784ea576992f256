"""The FIX order state machine as one table.

Rows follow the FIX 4.4 order state change matrices (Volume 4, Appendix D; the D-numbers
in comments are the FIX 4.2/4.4 scenario references). A row reads: *while toms holds the
order in this status, a report of this kind may carry these OrdStatus values*. Anything
not in the table is an ``InvalidTransition``; a report whose OrdStatus is not among the
allowed values is an ``InconsistentReport``. Absence from the Appendix does not forbid a
transition, so rows marked "real world" come from what brokers do, not from a matrix.

Local rows (``CANCEL_REQUESTED`` and friends) are toms' own requests and the broker's
OrderCancelReject (35=9) answers to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from toms.domain.execution import ExecKind as K
from toms.domain.execution import RoutedStatus as S


class LocalTrigger(StrEnum):
    CANCEL_REQUESTED = "cancel_requested"
    REPLACE_REQUESTED = "replace_requested"
    CANCEL_REJECTED = "cancel_rejected"
    REPLACE_REJECTED = "replace_rejected"


Trigger = K | LocalTrigger
L = LocalTrigger

TERMINAL: Final = frozenset({S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED})
PENDING_REQUEST: Final = frozenset({S.PENDING_CANCEL, S.PENDING_REPLACE})
WORKING: Final = frozenset({S.NEW, S.PARTIALLY_FILLED})
# A fill can carry any status the order may be in once it has executed (precedence rules).
_AFTER_FILL: Final = frozenset({S.PARTIALLY_FILLED, S.FILLED})
# A replace acknowledgement reports the replacement's status; FIX 4.2 brokers say REPLACED.
_AFTER_REPLACE: Final = frozenset({S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.REPLACED})
# Fills, corrections and busts report the order's own status when a request is pending:
# "pending cancel" takes precedence over "partially filled" and "filled" (D4, D5).
_DURING_PENDING_CANCEL: Final = frozenset({S.PENDING_CANCEL}) | _AFTER_FILL
_DURING_PENDING_REPLACE: Final = frozenset({S.PENDING_REPLACE}) | _AFTER_FILL
# After a bust the order can be back to any earlier working status (D35).
_AFTER_BUST: Final = frozenset({S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED})

TRANSITIONS: Final[Mapping[tuple[S, Trigger], frozenset[S]]] = {
    # ── Acknowledgement of a new order (D1, D10)
    (S.PENDING_NEW, K.PENDING_NEW): frozenset({S.PENDING_NEW}),
    (S.PENDING_NEW, K.NEW): frozenset({S.NEW}),
    (S.PENDING_NEW, K.REJECTED): frozenset({S.REJECTED}),
    (S.PENDING_NEW, K.TRADE): _AFTER_FILL,  # real world: the fill overtakes the ack
    (S.PENDING_NEW, K.CANCELED): frozenset({S.CANCELED}),  # IOC/FOK killed on arrival
    (S.PENDING_NEW, K.EXPIRED): frozenset({S.EXPIRED}),
    (S.PENDING_NEW, K.ORDER_STATUS): frozenset(S),  # reconciliation may reveal anything
    # ── Working orders (D1, D2)
    (S.NEW, K.NEW): frozenset({S.NEW}),  # duplicate ack with a new ExecID: harmless
    (S.NEW, K.TRADE): _AFTER_FILL,
    (S.PARTIALLY_FILLED, K.TRADE): _AFTER_FILL,
    (S.NEW, K.CANCELED): frozenset({S.CANCELED}),  # unsolicited cancel ("UR OUT")
    (S.PARTIALLY_FILLED, K.CANCELED): frozenset({S.CANCELED}),
    (S.NEW, K.DONE_FOR_DAY): frozenset({S.DONE_FOR_DAY}),
    (S.PARTIALLY_FILLED, K.DONE_FOR_DAY): frozenset({S.DONE_FOR_DAY}),
    (S.NEW, K.EXPIRED): frozenset({S.EXPIRED}),
    (S.PARTIALLY_FILLED, K.EXPIRED): frozenset({S.EXPIRED}),
    (S.NEW, K.REJECTED): frozenset({S.REJECTED}),  # broker rejects after the ack
    (S.NEW, K.STOPPED): frozenset({S.STOPPED}),  # guaranteed a price by the broker
    (S.PARTIALLY_FILLED, K.STOPPED): frozenset({S.STOPPED}),
    (S.NEW, K.SUSPENDED): frozenset({S.SUSPENDED}),
    (S.PARTIALLY_FILLED, K.SUSPENDED): frozenset({S.SUSPENDED}),
    (S.NEW, K.CALCULATED): frozenset({S.CALCULATED}),
    (S.PARTIALLY_FILLED, K.CALCULATED): frozenset({S.CALCULATED}),
    (S.STOPPED, K.TRADE): _AFTER_FILL | {S.STOPPED},
    (S.STOPPED, K.CANCELED): frozenset({S.CANCELED}),
    (S.SUSPENDED, K.RESTATED): WORKING | {S.SUSPENDED},  # resumed by the broker
    (S.SUSPENDED, K.CANCELED): frozenset({S.CANCELED}),
    (S.CALCULATED, K.TRADE): _AFTER_FILL | {S.CALCULATED},
    (S.CALCULATED, K.DONE_FOR_DAY): frozenset({S.DONE_FOR_DAY}),
    # ── Restatements by the broker (ExecType D): quantity or price changed, status kept
    (S.NEW, K.RESTATED): WORKING | {S.CANCELED},
    (S.PARTIALLY_FILLED, K.RESTATED): _AFTER_FILL | {S.CANCELED},
    (S.DONE_FOR_DAY, K.RESTATED): WORKING,  # GTC order reinstated next morning
    (S.DONE_FOR_DAY, K.NEW): frozenset({S.NEW, S.PARTIALLY_FILLED}),
    # ── Cancel (D3, D4, D5)
    (S.PENDING_NEW, L.CANCEL_REQUESTED): frozenset({S.PENDING_CANCEL}),
    (S.NEW, L.CANCEL_REQUESTED): frozenset({S.PENDING_CANCEL}),
    (S.PARTIALLY_FILLED, L.CANCEL_REQUESTED): frozenset({S.PENDING_CANCEL}),
    (S.STOPPED, L.CANCEL_REQUESTED): frozenset({S.PENDING_CANCEL}),
    (S.SUSPENDED, L.CANCEL_REQUESTED): frozenset({S.PENDING_CANCEL}),
    (S.DONE_FOR_DAY, L.CANCEL_REQUESTED): frozenset({S.PENDING_CANCEL}),
    (S.PENDING_CANCEL, K.PENDING_CANCEL): frozenset({S.PENDING_CANCEL}),
    (S.PENDING_CANCEL, K.NEW): frozenset({S.NEW, S.PENDING_CANCEL}),  # ack passed our cancel
    (S.PENDING_CANCEL, K.TRADE): _DURING_PENDING_CANCEL,  # D4, D5: fill races the cancel
    (S.PENDING_CANCEL, K.CANCELED): frozenset({S.CANCELED}),
    (S.PENDING_CANCEL, K.REJECTED): frozenset({S.REJECTED}),  # the new order itself failed
    (S.PENDING_CANCEL, K.EXPIRED): frozenset({S.EXPIRED}),
    (S.PENDING_CANCEL, K.DONE_FOR_DAY): frozenset({S.DONE_FOR_DAY}),
    (S.PENDING_CANCEL, L.CANCEL_REJECTED): frozenset(S) - PENDING_REQUEST - {S.REPLACED},
    # ── Cancel/replace (D6 to D17)
    (S.PENDING_NEW, L.REPLACE_REQUESTED): frozenset({S.PENDING_REPLACE}),
    (S.NEW, L.REPLACE_REQUESTED): frozenset({S.PENDING_REPLACE}),
    (S.PARTIALLY_FILLED, L.REPLACE_REQUESTED): frozenset({S.PENDING_REPLACE}),
    (S.PENDING_REPLACE, K.PENDING_REPLACE): frozenset({S.PENDING_REPLACE}),
    (S.PENDING_REPLACE, K.NEW): frozenset({S.NEW, S.PENDING_REPLACE}),
    (S.PENDING_REPLACE, K.TRADE): _DURING_PENDING_REPLACE,  # D7: execution while pending
    (S.PENDING_REPLACE, K.REPLACED): _AFTER_REPLACE,  # D11, D12: below CumQty ends FILLED
    (S.PENDING_REPLACE, K.CANCELED): frozenset({S.CANCELED}),  # unsolicited, while pending
    (S.PENDING_REPLACE, K.REJECTED): frozenset({S.REJECTED}),
    (S.PENDING_REPLACE, K.EXPIRED): frozenset({S.EXPIRED}),
    (S.PENDING_REPLACE, K.DONE_FOR_DAY): frozenset({S.DONE_FOR_DAY}),
    (S.PENDING_REPLACE, L.REPLACE_REJECTED): frozenset(S) - PENDING_REQUEST - {S.REPLACED},
    # Rejects that arrive after the order left the pending state (D9: too late, filled)
    (S.FILLED, L.CANCEL_REJECTED): frozenset({S.FILLED}),
    (S.FILLED, L.REPLACE_REJECTED): frozenset({S.FILLED}),
    (S.CANCELED, L.CANCEL_REJECTED): frozenset({S.CANCELED}),
    (S.CANCELED, L.REPLACE_REJECTED): frozenset({S.CANCELED}),
    (S.EXPIRED, L.CANCEL_REJECTED): frozenset({S.EXPIRED}),
    (S.DONE_FOR_DAY, L.CANCEL_REJECTED): frozenset({S.DONE_FOR_DAY}),
    # ── After the order is done: late fills are real and must be booked (D35)
    (S.CANCELED, K.TRADE): frozenset({S.CANCELED}),
    (S.EXPIRED, K.TRADE): frozenset({S.EXPIRED}),
    (S.DONE_FOR_DAY, K.TRADE): frozenset({S.DONE_FOR_DAY}) | _AFTER_FILL,
    (S.FILLED, K.DONE_FOR_DAY): frozenset({S.DONE_FOR_DAY, S.FILLED}),
    (S.FILLED, K.RESTATED): frozenset({S.FILLED}),
    # ── Trade corrections (G) and busts (H): history changes, so a filled order can reopen
    **{
        (status, kind): _AFTER_BUST | ({status} & PENDING_REQUEST)
        for kind in (K.TRADE_CORRECT, K.TRADE_CANCEL)
        for status in (
            S.NEW,
            S.PARTIALLY_FILLED,
            S.FILLED,
            S.CANCELED,
            S.EXPIRED,
            S.DONE_FOR_DAY,
            S.PENDING_CANCEL,
            S.PENDING_REPLACE,
        )
    },
    # ── Order status answers (ExecType I) never move the order; they are compared.
    **{(status, K.ORDER_STATUS): frozenset(S) for status in S if status is not S.PENDING_NEW},
}


def allowed_next(status: S, trigger: Trigger) -> frozenset[S] | None:
    """The statuses a trigger may lead to from ``status``; None when it may not happen."""
    return TRANSITIONS.get((status, trigger))

"""Random report sequences against the state machine (hypothesis).

A shadow ledger is rebuilt only from the events the aggregate emits, so the invariants
check the aggregate against its own audit trail:
- CumQty never exceeds OrderQty (overfills are refused, never applied);
- AvgPx equals the fill-weighted mean of the live fills;
- a refused report leaves the aggregate unchanged, a duplicate ExecID changes nothing;
- terminal states stay terminal, except when a bust or correction rewrites history.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.factories import Broker, make_routed, snapshot
from toms.domain.errors import DomainError
from toms.domain.events import FillBooked, FillBusted, FillCorrected
from toms.domain.execution import ExecKind as K
from toms.domain.execution import RoutedStatus as S
from toms.domain.ids import ClOrdId
from toms.domain.order_state import TERMINAL

QTY = st.integers(min_value=1, max_value=4000)
PX = st.decimals(min_value=Decimal("1"), max_value=Decimal("200"), places=2)
ANY_STATUS = st.sampled_from(list(S))
ANY_KIND = st.sampled_from(list(K))


class RoutedOrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.broker = Broker(make_routed(qty=10000))
        self.order = self.broker.order
        self.ledger: dict[str, tuple[Decimal, Decimal]] = {}  # live fills from events only
        self.last_report = None
        self.next_cl = 0

    def _apply(self, report, rewrites_history: bool = False) -> None:  # type: ignore[no-untyped-def]
        before = snapshot(self.order)
        was_terminal = self.order.is_terminal
        try:
            events = self.order.apply_report(report)
        except DomainError:
            assert snapshot(self.order) == before, "a refused report changed the order"
            return
        self.last_report = report
        for e in events:
            if isinstance(e, FillBooked):
                self.ledger[e.exec_id] = (e.quantity, e.price)
            elif isinstance(e, FillBusted):
                del self.ledger[e.busted_exec_id]
            elif isinstance(e, FillCorrected):
                del self.ledger[e.corrected_exec_id]
                self.ledger[e.exec_id] = (e.new_quantity, e.new_price)
        if was_terminal and not rewrites_history:
            assert self.order.is_terminal, f"left terminal state via {report.kind}"

    def _expected_leaves(self, status: S, cum: Decimal, qty: Decimal) -> Decimal:
        return Decimal(0) if status in TERMINAL | {S.DONE_FOR_DAY} else max(qty - cum, Decimal(0))

    @rule(qty=QTY, px=PX, status=ANY_STATUS, honest=st.booleans())
    def fill(self, qty: int, px: Decimal, status: S, honest: bool) -> None:
        cum = self.order.cum_qty + qty
        if honest:  # the status a correct broker would report
            status = S.FILLED if cum >= self.order.order_qty else S.PARTIALLY_FILLED
            if self.order.status in (S.PENDING_CANCEL, S.PENDING_REPLACE, S.CANCELED, S.EXPIRED):
                status = self.order.status
        leaves = self._expected_leaves(status, cum, self.order.order_qty)
        self._apply(self.broker.report(K.TRADE, status, cum, leaves, last_qty=qty, last_px=str(px)))

    @rule(kind=ANY_KIND, status=ANY_STATUS, cum_delta=st.integers(-2, 2))
    def arbitrary_report(self, kind: K, status: S, cum_delta: int) -> None:
        cum = max(self.order.cum_qty + cum_delta, Decimal(0))
        leaves = self._expected_leaves(status, cum, self.order.order_qty)
        ref = next(iter(self.ledger), None)
        report = self.broker.report(kind, status, cum, leaves, exec_ref_id=ref)
        self._apply(report, rewrites_history=kind in (K.TRADE_CANCEL, K.TRADE_CORRECT))

    @rule(data=st.data())
    def bust(self, data: st.DataObject) -> None:
        if not self.ledger:
            return
        ref = data.draw(st.sampled_from(sorted(self.ledger)))
        cum = self.order.cum_qty - self.ledger[ref][0]
        status = self.order.status
        if status in (S.FILLED, S.PARTIALLY_FILLED, S.NEW):
            status = S.PARTIALLY_FILLED if cum else S.NEW
        leaves = self._expected_leaves(status, cum, self.order.order_qty)
        report = self.broker.report(K.TRADE_CANCEL, status, cum, leaves, exec_ref_id=ref)
        self._apply(report, rewrites_history=True)

    @rule()
    def cancel(self) -> None:
        self.next_cl += 1
        with contextlib.suppress(DomainError):
            self.order.request_cancel(ClOrdId(f"C{self.next_cl}"), self.broker.clock)

    @rule()
    def cancel_ack(self) -> None:
        p = self.order.pending
        cum = self.order.cum_qty
        if p is not None:
            self._apply(self.broker.report(K.CANCELED, S.CANCELED, cum, 0, cl_ord_id=p.cl_ord_id))

    @rule(status=st.one_of(st.none(), ANY_STATUS))
    def cancel_reject(self, status: S | None) -> None:
        p = self.order.pending
        if p is None:
            return
        before = snapshot(self.order)
        try:
            self.broker.cancel_reject(p.cl_ord_id, status, to=p.kind.value)
        except DomainError:
            assert snapshot(self.order) == before

    @rule(qty=st.integers(1000, 15000))
    def replace(self, qty: int) -> None:
        self.next_cl += 1
        with contextlib.suppress(DomainError):
            self.order.request_replace(
                ClOrdId(f"R{self.next_cl}"), self.broker.clock, Decimal(qty), Decimal(50)
            )

    @rule()
    def replace_ack(self) -> None:
        p = self.order.pending
        if p is None or p.quantity is None:
            return
        cum = self.order.cum_qty
        qty = max(p.quantity, cum)
        status = S.FILLED if cum >= qty else S.PARTIALLY_FILLED if cum else S.NEW
        report = self.broker.report(
            K.REPLACED,
            status,
            cum,
            qty - cum,
            order_qty=qty,
            cl_ord_id=p.cl_ord_id,
            orig_cl_ord_id=p.orig_cl_ord_id,
        )
        self._apply(report)

    @rule()
    def duplicate(self) -> None:
        if self.last_report is None:
            return
        before = snapshot(self.order)
        assert self.order.apply_report(self.last_report) == []
        assert snapshot(self.order) == before

    @invariant()
    def quantities_are_consistent(self) -> None:
        cum = sum((q for q, _ in self.ledger.values()), Decimal(0))
        assert self.order.cum_qty == cum
        assert cum <= self.order.order_qty
        assert self.order.leaves_qty >= 0
        if cum:
            mean = sum((q * p for q, p in self.ledger.values()), Decimal(0)) / cum
            assert self.order.avg_px == mean
        else:
            assert self.order.avg_px is None


TestRoutedOrderMachine = RoutedOrderMachine.TestCase
TestRoutedOrderMachine.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)

"""``toms demo``: one trading day, end to end, on an embedded database.

Starts the OMS (SQLite under a fresh data directory, the single engine thread, QuickFIX
initiator sessions on FIX 4.4 and FIX 4.2) and the simulated broker (QuickFIX acceptor),
seeds the sample accounts, securities, positions and tax lots from ``config/toms.toml``,
then plays the day: PM orders (some blocked by compliance, one overridden), blocks routed
as market, limit and stop orders, partial fills, a cancel and a replace, allocation with
tax-lot relief and a wash sale, and end-of-day reports. Everything it prints is read back
from the database after commit.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from toms.app import Oms, set_price
from toms.config import BrokerSettings, Settings, load_settings
from toms.domain.blocks import BlockStatus
from toms.domain.errors import TomsError
from toms.domain.ids import BrokerId
from toms.domain.orders import Order, OrderStatus
from toms.domain.values import OrderType, Side
from toms.services.waiting import CommitWaiter
from toms.simulator.acceptor import BrokerConfig, SimulatedBroker
from toms.simulator.matching import FillPolicy, MatchingConfig

COMMISSION_PER_SHARE = Decimal("0.005")
WAIT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class PmOrder:
    key: str
    account: str
    symbol: str
    side: Side
    qty: str
    order_type: OrderType = OrderType.MARKET
    limit: str | None = None
    stop: str | None = None
    why: str = ""


# The PM orders of the day. Comments say what each one demonstrates.
PM_ORDERS = (
    PmOrder("ibm-growth", "GROWTH", "IBM", Side.BUY, "500"),
    PmOrder("ibm-alpha", "ALPHA", "IBM", Side.BUY, "300"),  # washes ALPHA's IBM loss below
    PmOrder("ibm-family", "FAMILY", "IBM", Side.BUY, "100"),
    PmOrder("jpm-income", "INCOME", "JPM", Side.SELL, "600", OrderType.LIMIT, limit="201.00"),
    PmOrder("nvda-growth", "GROWTH", "NVDA", Side.BUY, "1000", OrderType.STOP, stop="123.00"),
    PmOrder(
        "nvda-alpha",
        "ALPHA",
        "NVDA",
        Side.BUY,
        "2000",
        why="ALPHA already holds ~9.9% of NAV in NVDA: position limit",
    ),
    PmOrder("aapl-fat", "GROWTH", "AAPL", Side.BUY, "200000", why="fat finger: 200,000 shares"),
    PmOrder(
        "msft-family",
        "FAMILY",
        "MSFT",
        Side.BUY,
        "600",
        why="22% of NAV in one name: blocked, then overridden by compliance",
    ),
    PmOrder("sap-europa", "EUROPA", "SAP", Side.BUY, "200", OrderType.LIMIT, limit="176.00"),
    PmOrder("aapl-growth", "GROWTH", "AAPL", Side.SELL, "700", OrderType.LIMIT, limit="192.00"),
    PmOrder(
        "ibm-alpha-sell",
        "ALPHA",
        "IBM",
        Side.SELL,
        "1000",
        why="sells IBM bought last month at 190: a short-term loss",
    ),
)


@dataclass
class DemoResult:
    data_dir: Path
    database_url: str
    orders: dict[str, Order] = field(default_factory=dict)
    blocks: dict[str, str] = field(default_factory=dict)
    routed: dict[str, str] = field(default_factory=dict)
    allocations: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def demo_settings(data_dir: Path, port: int, base: Settings | None = None) -> Settings:
    base = base or load_settings()
    brokers = tuple(
        BrokerSettings(
            BrokerId(b),
            version,
            "TOMS",
            "SIMBROKER",
            "127.0.0.1",
            port,
            heartbeat_seconds=30,
            reconnect_seconds=1,
        )
        for b, version in (("SIM", "FIX.4.4"), ("SIM42", "FIX.4.2"))
    )
    return replace(
        base, data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'toms.db'}", brokers=brokers
    )


def run_demo(
    data_dir: Path | None = None,
    *,
    out: Callable[[str], None] = print,
    database_url: str | None = None,
    base: Settings | None = None,
) -> DemoResult:
    data_dir = (data_dir or Path(tempfile.mkdtemp(prefix="toms-demo-"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    base = base or load_settings()
    broker = SimulatedBroker(
        BrokerConfig(
            port=0,
            data_dir=data_dir / "sim-broker",
            prices=dict(base.prices),
            matching=MatchingConfig(fill_policy=FillPolicy(partial_fills=3)),
        )
    )
    broker.start()
    settings = demo_settings(data_dir, broker.port, base)
    if database_url:
        settings = replace(settings, database_url=database_url)
    result = DemoResult(data_dir, settings.database_url)
    oms = Oms(settings)
    try:
        oms.start()
        waiter = CommitWaiter(oms.read)
        oms.subscribe(waiter)
        _Day(oms, broker, waiter, result, out).play()
    finally:
        oms.stop()
        broker.stop()
    return result


class _Day:
    def __init__(
        self,
        oms: Oms,
        broker: SimulatedBroker,
        waiter: CommitWaiter,
        result: DemoResult,
        out: Callable[[str], None],
    ) -> None:
        self.oms, self.broker, self.waiter, self.r, self.say = oms, broker, waiter, result, out

    def play(self) -> None:
        self.say(f"toms demo: data in {self.r.data_dir}")
        self.say(f"  database {self.r.database_url}")
        self.say(f"  simulated broker listening on 127.0.0.1:{self.broker.port} (FIX 4.2 + 4.4)")
        for name in ("SIM", "SIM42"):
            if not self.oms.fix.wait_logged_on(name, WAIT_SECONDS):
                raise TomsError(f"FIX session {name} did not log on")
        self.say("  FIX sessions SIM (FIX.4.4) and SIM42 (FIX.4.2) logged on\n")
        self.pm_orders()
        self.compliance_override()
        self.route_blocks()
        self.work_the_day()
        self.allocate()
        self.end_of_day()

    # ── morning: PMs submit, compliance checks ──────────────────────────────────────
    def pm_orders(self) -> None:
        self.say("09:30  PMs submit orders; pre-trade compliance checks each one")
        for o in PM_ORDERS:
            order = self.oms.submit_order(
                account_id=o.account,
                symbol=o.symbol,
                side=o.side,
                quantity=Decimal(o.qty),
                order_type=o.order_type,
                user=f"pm-{o.account.lower()}",
                limit_price=Decimal(o.limit) if o.limit else None,
                stop_price=Decimal(o.stop) if o.stop else None,
            )
            self.r.orders[o.key] = order
            verdict = "ACCEPTED" if order.status is OrderStatus.ACCEPTED else "BLOCKED "
            detail = (
                f"  ({self._blocking_rules(order)})" if order.status is OrderStatus.BLOCKED else ""
            )
            self.say(
                f"       {verdict} {o.account:<7} {o.side.value:<5} {o.qty:>7} {o.symbol:<5}"
                f" {_terms(o)}{detail}"
            )

    def compliance_override(self) -> None:
        order = self.r.orders["msft-family"]
        reason = "client-directed purchase; IPS exception #17 approved by the CCO"
        self.r.orders["msft-family"] = self.oms.override(
            order.order_id, "cco", ["compliance"], reason
        )
        self.say(f'09:35  compliance (cco) overrides FAMILY MSFT: "{reason}"\n')

    # ── trader builds blocks and routes ─────────────────────────────────────────────
    def route_blocks(self) -> None:
        self.say("09:40  trader builds blocks and routes them")
        plan: list[tuple[str, list[str], str, OrderType, dict[str, Decimal]]] = [
            ("IBM buy", ["ibm-growth", "ibm-alpha", "ibm-family"], "SIM", OrderType.MARKET, {}),
            (
                "JPM sell",
                ["jpm-income"],
                "SIM42",
                OrderType.LIMIT,
                {"limit_price": Decimal("201.00")},
            ),
            ("NVDA buy", ["nvda-growth"], "SIM", OrderType.STOP, {"stop_price": Decimal("123.00")}),
            ("MSFT buy", ["msft-family"], "SIM", OrderType.MARKET, {}),
            ("SAP buy", ["sap-europa"], "SIM", OrderType.LIMIT, {"limit_price": Decimal("176.00")}),
            (
                "AAPL sell",
                ["aapl-growth"],
                "SIM",
                OrderType.LIMIT,
                {"limit_price": Decimal("192.00")},
            ),
            ("IBM sell", ["ibm-alpha-sell"], "SIM42", OrderType.MARKET, {}),
        ]
        for name, keys, broker, order_type, prices in plan:
            block = self.oms.create_block([self.r.orders[k].order_id for k in keys], "trader1")
            routed = self.oms.route_block(
                block.block_id, broker=broker, order_type=order_type, user="trader1", **prices
            )
            self.r.blocks[name], self.r.routed[name] = block.block_id, routed.routed_order_id
            terms = " ".join(str(v) for v in prices.values())
            self.say(
                f"       {name:<9} {block.quantity:>6} shares, {len(keys)} account(s) -> "
                f"{broker} {order_type.value} {terms}".rstrip()
            )
        self._wait_status("IBM buy", "filled")
        self._wait_status("IBM sell", "filled")
        self._wait_status("MSFT buy", "filled")
        self.say("       market orders filled in partials: IBM buy, IBM sell, MSFT buy\n")

    def work_the_day(self) -> None:
        self.say("11:00  the market moves; resting orders work")
        self._move("JPM", "201.10")
        self._wait_status("JPM sell", "filled")
        self.say("       JPM 201.10: the sell limit at 201.00 fills (FIX 4.2 session)")
        self._move("NVDA", "123.40")
        self._wait_status("NVDA buy", "filled")
        self.say("       NVDA 123.40: the buy stop at 123.00 triggers and fills")
        self.oms.cancel(self.r.routed["SAP buy"], "trader1")
        self._wait_status("SAP buy", "canceled")
        self.say("       trader cancels the SAP limit buy: pending cancel, then canceled")
        self.oms.replace(
            self.r.routed["AAPL sell"],
            "trader1",
            quantity=Decimal("600"),
            limit_price=Decimal("191.00"),
        )
        self.waiter.until(
            lambda uow: uow.routed.get(self.r.routed["AAPL sell"]).order_qty == Decimal(600),
            WAIT_SECONDS,
        )
        self.say("       trader replaces the AAPL sell: 700 @ 192.00 -> 600 @ 191.00")
        self._move("AAPL", "191.20")
        self._wait_status("AAPL sell", "filled")
        self.say("       AAPL 191.20: the replaced sell fills\n")

    # ── operations allocate ─────────────────────────────────────────────────────────
    def allocate(self) -> None:
        self.say("16:00  operations allocate finished blocks at one average price per block")
        for name, block_id in self.r.blocks.items():
            block = self.oms.read(lambda uow, b=block_id: uow.blocks.require(b))
            if block.status is not BlockStatus.DONE:
                continue
            routed = self.oms.read(lambda uow, b=block_id: uow.routed.for_block(b))
            filled = sum((r.cum_qty for r in routed), Decimal(0))
            if not filled:
                self.say(f"       {name:<9} nothing filled: nothing to allocate")
                continue
            commission = (filled * COMMISSION_PER_SHARE).quantize(Decimal("0.01"), ROUND_HALF_UP)
            record = self.oms.allocate(block_id, "ops1", ["operations"], commission=commission)
            shares = ", ".join(f"{a.account_id} {a.quantity}" for a in record.outputs if a.quantity)
            self.say(
                f"       {name:<9} {filled:>6} @ {_px(record.inputs.average_price)}  "
                f"commission {commission}  -> {shares}"
            )
            self.r.allocations.append(block_id)
        for block_id in self.r.allocations:
            self.waiter.until(
                lambda uow, b=block_id: all(
                    a.status in ("accepted", "rejected") for a in uow.allocations.for_block(b)
                ),
                WAIT_SECONDS,
            )
        self.say("       broker acknowledged every AllocationInstruction (35=J -> 35=P)\n")

    def end_of_day(self) -> None:
        self.broker.end_of_day()
        self.say("17:00  end of day: reports")
        self.r.summary = self.oms.read(summarise)
        for line in format_summary(self.r.summary):
            self.say(line)
        self.say("")
        self.say("Look closer (same data directory):")
        self.say(f"  toms report all --data-dir {self.r.data_dir}")
        self.say(f"  toms compliance report --data-dir {self.r.data_dir}")
        self.say(f"  toms fix-log {self.r.data_dir / 'fix' / 'log'} --cl-ord-id <ClOrdID>")

    # ── helpers ─────────────────────────────────────────────────────────────────────
    def _move(self, symbol: str, price: str) -> None:
        px = Decimal(price)
        self.oms.call(set_price, self.oms.ctx, symbol, px)  # our market data: the last price
        self.broker.set_price(symbol, px)

    def _wait_status(self, name: str, status: str) -> None:
        rid = self.r.routed[name]
        self.waiter.until(lambda uow: uow.routed.get(rid).status.value == status, WAIT_SECONDS)
        self.waiter.until(
            lambda uow: uow.blocks.require(self.r.blocks[name]).status is not BlockStatus.ROUTED,
            WAIT_SECONDS,
        )

    def _blocking_rules(self, order: Order) -> str:
        def rules(uow: Any) -> list[str]:
            for row in uow.audit.for_entity("order", order.order_id):
                if row.event_type == "ComplianceChecked":
                    return [r["message"] for r in row.payload["results"] if r["status"] == "block"]
            return []

        found = self.oms.read(rules)
        return found[0] + (f" (+{len(found) - 1} more)" if len(found) > 1 else "") if found else ""


def summarise(uow: Any) -> dict[str, Any]:
    orders = uow.orders.list()
    routed = [uow.routed.get(i) for i in uow.routed.list_ids()]
    realized = uow.ledger.realized()
    fills = [f for r in routed for f in r.fills if not f.busted]
    by_status: dict[str, int] = {}
    for o in orders:
        by_status[o.status.value] = by_status.get(o.status.value, 0) + 1
    routed_status: dict[str, int] = {}
    for r in routed:
        routed_status[r.status.value] = routed_status.get(r.status.value, 0) + 1
    overrides = [
        e
        for o in orders
        for e in uow.audit.for_entity("order", o.order_id)
        if e.event_type == "ComplianceOverridden"
    ]
    gain = {"short_term": Decimal(0), "long_term": Decimal(0)}
    for row in realized:
        gain[row.term] += row.proceeds - row.cost_basis + row.wash_sale_disallowed
    allocations = uow.allocations.all()
    return {
        "orders": len(orders),
        "orders_by_status": dict(sorted(by_status.items())),
        "compliance_overrides": len(overrides),
        "routed_by_status": dict(sorted(routed_status.items())),
        "fills": len(fills),
        "filled_shares": sum((f.quantity for f in fills), Decimal(0)),
        "allocations": {
            a.status: sum(1 for b in allocations if b.status == a.status) for a in allocations
        },
        "realized_short_term": gain["short_term"],
        "realized_long_term": gain["long_term"],
        "wash_sales": len(uow.ledger.wash_sales()),
        "wash_sale_disallowed": sum((r.wash_sale_disallowed for r in realized), Decimal(0)),
        "flagged_executions": len(uow.executions.flagged()),
        "lots": len(uow.lots.all()),
    }


def format_summary(s: dict[str, Any]) -> list[str]:
    return [
        "Summary",
        f"  PM orders        {s['orders']}  {_counts(s['orders_by_status'])}",
        f"  overrides        {s['compliance_overrides']} (compliance, with reason, audited)",
        f"  broker orders    {sum(s['routed_by_status'].values())}  "
        f"{_counts(s['routed_by_status'])}",
        f"  fills            {s['fills']} executions, {s['filled_shares']} shares",
        f"  allocations      {_counts(s['allocations'])} (AllocationInstruction acks)",
        f"  realized P&L     short-term {_money(s['realized_short_term'])}, "
        f"long-term {_money(s['realized_long_term'])} (reportable, after wash sales)",
        f"  wash sales       {s['wash_sales']} "
        f"(loss disallowed {_money(s['wash_sale_disallowed'])}, "
        "added to the replacement lot's basis)",
        f"  tax lots open    {s['lots']}",
        f"  unmatched or inconsistent broker reports: {s['flagged_executions']}",
    ]


def _counts(counts: dict[str, int]) -> str:
    return "(" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")"


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def _px(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001'), ROUND_HALF_UP)}"


def _terms(o: PmOrder) -> str:
    if o.order_type is OrderType.MARKET:
        return "market"
    if o.order_type is OrderType.STOP:
        return f"stop {o.stop}"
    return f"{o.order_type.value} {o.limit}"

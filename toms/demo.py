"""``toms demo``: one trading day, end to end, on an embedded database.

Starts the OMS (SQLite under a fresh data directory, the single writer, QuickFIX
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

from toms.client import ApiClient, EventStream
from toms.config import BrokerSettings, Settings, load_settings
from toms.domain.blocks import BlockStatus
from toms.domain.errors import TomsError
from toms.domain.ids import BrokerId
from toms.domain.orders import OrderStatus
from toms.domain.values import OrderType, Side
from toms.server.server import OmsServer
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
    server_url: str = ""
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
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
    port: int = 0,
    keep_serving: Callable[[OmsServer], None] | None = None,
) -> DemoResult:
    """Play the day against a real OMS server; ``keep_serving`` runs before it stops."""
    data_dir = (data_dir or Path(tempfile.mkdtemp(prefix="toms-demo-"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    base = base or load_settings()
    broker = SimulatedBroker(
        BrokerConfig(
            port=0,
            data_dir=data_dir / "sim-broker",
            reset_on_logon=False,  # sequences persist, as at a real broker
            prices=dict(base.prices),
            matching=MatchingConfig(fill_policy=FillPolicy(partial_fills=3)),
        )
    )
    broker.start()
    settings = demo_settings(data_dir, broker.port, base)
    if database_url:
        settings = replace(settings, database_url=database_url)
    result = DemoResult(data_dir, settings.database_url)
    server = OmsServer(settings, port=port)
    try:
        server.start()
        result.server_url = server.url
        with _Desk(server.url, settings) as desk:
            _Day(server, desk, broker, result, out).play()
        if keep_serving is not None:
            keep_serving(server)
    finally:
        server.stop()
        broker.stop()
    return result


class _Desk:
    """One API client per user of the day, and the event stream they wait on."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.users = {u.name: u for u in settings.users}
        self.clients = {name: ApiClient(url, u.token) for name, u in self.users.items()}
        self.stream = EventStream(url, self.users["viewer"].token)

    def __enter__(self) -> _Desk:
        self.stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.stop()
        for client in self.clients.values():
            client.close()

    def pm_for(self, account: str) -> ApiClient:
        for name, user in self.users.items():
            if "pm" in user.roles and account in user.accounts:
                return self.clients[name]
        raise TomsError(f"no PM user manages account {account}")

    def __getattr__(self, name: str) -> ApiClient:  # desk.trader1, desk.cco, desk.ops1
        try:
            return self.clients[name.replace("_", "-")]
        except KeyError:
            raise AttributeError(name) from None

    def wait(self, probe: Callable[[], Any], what: str) -> Any:
        return self.stream.wait_until(probe, WAIT_SECONDS, what)


class _Day:
    def __init__(
        self,
        server: OmsServer,
        desk: _Desk,
        broker: SimulatedBroker,
        result: DemoResult,
        out: Callable[[str], None],
    ) -> None:
        self.server, self.desk, self.broker, self.r, self.say = server, desk, broker, result, out

    def play(self) -> None:
        self.say(f"toms demo: data in {self.r.data_dir}")
        self.say(f"  database {self.r.database_url}")
        self.say(f"  OMS server {self.server.url} (API docs {self.server.url}/docs)")
        self.say(f"  simulated broker listening on 127.0.0.1:{self.broker.port} (FIX 4.2 + 4.4)")
        viewer = self.desk.viewer
        self.desk.wait(
            lambda: all(s["logged_on"] for s in viewer.get("/sessions")), "FIX sessions to log on"
        )
        self.say("  FIX sessions SIM (FIX.4.4) and SIM42 (FIX.4.2) logged on\n")
        self.pm_orders()
        self.compliance_override()
        self.route_blocks()
        self.work_the_day()
        self.allocate()
        self.end_of_day()

    # ── morning: PMs submit, compliance checks ──────────────────────────────────────
    def pm_orders(self) -> None:
        self.say("09:30  PMs submit orders through the API; pre-trade compliance checks each")
        for o in PM_ORDERS:
            order = self.desk.pm_for(o.account).submit_order(
                account_id=o.account,
                symbol=o.symbol,
                side=o.side,
                quantity=o.qty,
                order_type=o.order_type,
                limit_price=o.limit,
                stop_price=o.stop,
            )
            self.r.orders[o.key] = order
            blocked = order["status"] == OrderStatus.BLOCKED.value
            messages = (order.get("compliance") or {}).get("messages") or [""]
            more = f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""
            detail = f"  ({messages[0]}{more})" if blocked else ""
            self.say(
                f"       {'BLOCKED ' if blocked else 'ACCEPTED'} {o.account:<7} {o.side.value:<5}"
                f" {o.qty:>7} {o.symbol:<5} {_terms(o)}{detail}"
            )

    def compliance_override(self) -> None:
        order = self.r.orders["msft-family"]
        reason = "client-directed purchase; IPS exception #17 approved by the CCO"
        self.r.orders["msft-family"] = self.desk.cco.override(order["order_id"], reason)
        self.say(f'09:35  compliance (cco) overrides FAMILY MSFT: "{reason}"\n')

    # ── trader builds blocks and routes ─────────────────────────────────────────────
    def route_blocks(self) -> None:
        self.say("09:40  trader builds blocks and routes them")
        plan: list[tuple[str, list[str], str, OrderType, dict[str, str]]] = [
            ("IBM buy", ["ibm-growth", "ibm-alpha", "ibm-family"], "SIM", OrderType.MARKET, {}),
            ("JPM sell", ["jpm-income"], "SIM42", OrderType.LIMIT, {"limit_price": "201.00"}),
            ("NVDA buy", ["nvda-growth"], "SIM", OrderType.STOP, {"stop_price": "123.00"}),
            ("MSFT buy", ["msft-family"], "SIM", OrderType.MARKET, {}),
            ("SAP buy", ["sap-europa"], "SIM", OrderType.LIMIT, {"limit_price": "176.00"}),
            ("AAPL sell", ["aapl-growth"], "SIM", OrderType.LIMIT, {"limit_price": "192.00"}),
            ("IBM sell", ["ibm-alpha-sell"], "SIM42", OrderType.MARKET, {}),
        ]
        trader = self.desk.trader1
        for name, keys, broker, order_type, prices in plan:
            block = trader.create_block([self.r.orders[k]["order_id"] for k in keys])
            routed = trader.route(block["block_id"], broker=broker, order_type=order_type, **prices)
            self.r.blocks[name], self.r.routed[name] = block["block_id"], routed["routed_order_id"]
            terms = " ".join(prices.values())
            self.say(
                f"       {name:<9} {block['quantity']:>6} shares, {len(keys)} account(s) -> "
                f"{broker} {order_type.value} {terms}".rstrip()
            )
        for name in ("IBM buy", "IBM sell", "MSFT buy"):
            self._wait_status(name, "filled")
        self.say("       market orders filled in partials: IBM buy, IBM sell, MSFT buy\n")

    def work_the_day(self) -> None:
        trader = self.desk.trader1
        self.say("11:00  the market moves; resting orders work")
        self._move("JPM", "201.10")
        self._wait_status("JPM sell", "filled")
        self.say("       JPM 201.10: the sell limit at 201.00 fills (FIX 4.2 session)")
        self._move("NVDA", "123.40")
        self._wait_status("NVDA buy", "filled")
        self.say("       NVDA 123.40: the buy stop at 123.00 triggers and fills")
        pending = trader.cancel(self.r.routed["SAP buy"])
        self._wait_status("SAP buy", "canceled")
        self.say(f"       trader cancels the SAP limit buy: {pending['status']}, then canceled")
        rid = self.r.routed["AAPL sell"]
        pending = trader.replace(rid, quantity="600", limit_price="191.00")
        self.desk.wait(lambda: trader.routed(rid)["quantity"] == "600", "the AAPL replace")
        self.say(
            f"       trader replaces the AAPL sell: 700 @ 192.00 -> 600 @ 191.00 "
            f"({pending['status']}, then replaced)"
        )
        self._move("AAPL", "191.20")
        self._wait_status("AAPL sell", "filled")
        self.say("       AAPL 191.20: the replaced sell fills\n")

    # ── operations allocate ─────────────────────────────────────────────────────────
    def allocate(self) -> None:
        ops = self.desk.ops1
        self.say("16:00  operations allocate finished blocks at one average price per block")
        for name, block_id in self.r.blocks.items():
            block = ops.block(block_id)
            filled = Decimal(block["filled_quantity"])
            if block["status"] != BlockStatus.DONE.value or not filled:
                self.say(f"       {name:<9} nothing filled: nothing to allocate")
                continue
            commission = (filled * COMMISSION_PER_SHARE).quantize(Decimal("0.01"), ROUND_HALF_UP)
            booked = ops.allocate(block_id, commission=commission)
            legs = [leg for a in booked["allocations"] for leg in a["legs"]]
            shares = ", ".join(f"{g['account_id']} {g['quantity']}" for g in legs)
            average = booked["allocations"][0]["average_price"]
            self.say(
                f"       {name:<9} {filled:>6} @ {_px(Decimal(average))}  "
                f"commission {commission}  -> {shares}"
            )
            self.r.allocations.append(block_id)
        for block_id in self.r.allocations:
            self.desk.wait(
                lambda b=block_id: all(
                    a["status"] in ("accepted", "rejected")
                    for a in ops.get("/allocations", block_id=b)
                ),
                f"the broker's AllocationInstructionAck for {block_id}",
            )
        self.say("       broker acknowledged every AllocationInstruction (35=J -> 35=P)\n")

    def end_of_day(self) -> None:
        self.broker.end_of_day()
        ops = self.desk.ops1
        self.say("17:00  end of day: reports (from the API)")
        self.say("       TCA: each block's average price against its arrival price")
        for row in ops.report("tca")["rows"]:
            if not row["avg_px"]:
                self.say(f"         {row['symbol']:<5} {row['side']:<5} nothing filled")
                continue
            bps = Decimal(row["slippage_bps"]).quantize(Decimal("0.1"), ROUND_HALF_UP)
            self.say(
                f"         {row['symbol']:<5} {row['side']:<5} {row['filled_qty']:>6} "
                f"@ {_px(Decimal(row['avg_px']))} vs arrival {row['arrival_price']}: "
                f"{bps:>6} bps (positive = cost)"
            )
        self.say("       realized gains by account and holding term (after wash sales)")
        for row in ops.report("gains_summary")["rows"]:
            if not row["lots"]:
                continue
            gain = _money(Decimal(row["reportable_gain"]))
            self.say(f"         {row['account']:<7} {row['term']:<11} {gain:>12}")
        self.r.summary = self.server.oms.read(summarise)
        for line in format_summary(self.r.summary):
            self.say(line)
        self.say("")
        self.say("Look closer (same data directory):")
        self.say(f"  toms report all --data-dir {self.r.data_dir}")
        self.say(f"  toms compliance report --data-dir {self.r.data_dir}")
        self.say(f"  toms fix-log {self.r.data_dir / 'fix' / 'log'} --cl-ord-id <ClOrdID>")

    # ── helpers ─────────────────────────────────────────────────────────────────────
    def _move(self, symbol: str, price: str) -> None:
        self.desk.ops1.set_price(symbol, price)  # our market data: the last price
        self.broker.set_price(symbol, Decimal(price))

    def _wait_status(self, name: str, status: str) -> None:
        trader = self.desk.trader1
        rid, bid = self.r.routed[name], self.r.blocks[name]
        self.desk.wait(
            lambda: (
                trader.routed(rid)["status"] == status
                and trader.block(bid)["status"] != BlockStatus.ROUTED.value
            ),
            f"{name} to be {status}",
        )


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

"""Explicit row <-> domain translation, kept beside the rows so the domain stays unmapped."""

from __future__ import annotations

from toms.domain.blocks import Block, BlockMember, BlockStatus
from toms.domain.execution import RoutedStatus
from toms.domain.ids import (
    AccountId,
    BlockId,
    BrokerId,
    ClOrdId,
    ExecId,
    LotId,
    OrderId,
    RoutedOrderId,
    Symbol,
    UserId,
)
from toms.domain.orders import Order, OrderStatus
from toms.domain.reference import Account, Security, TaxLot
from toms.domain.routed_order import Fill, PendingRequest, RequestKind, RoutedOrder
from toms.domain.values import AssetClass, OrderType, Side, TaxLotMethod, TimeInForce
from toms.persistence.tables import (
    AccountRow,
    BlockMemberRow,
    BlockRow,
    FillRow,
    OrderRow,
    RoutedOrderRow,
    SecurityRow,
    TaxLotRow,
)


def security_from_row(row: SecurityRow) -> Security:
    return Security(
        symbol=Symbol(row.symbol),
        issuer=row.issuer,
        sector=row.sector,
        country=row.country,
        lot_size=row.lot_size,
        asset_class=AssetClass(row.asset_class),
        currency=row.currency,
        shares_outstanding=row.shares_outstanding,
    )


def security_to_row(sec: Security, row: SecurityRow | None = None) -> SecurityRow:
    row = row or SecurityRow(symbol=sec.symbol)
    row.issuer, row.sector, row.country = sec.issuer, sec.sector, sec.country
    row.lot_size, row.asset_class, row.currency = sec.lot_size, sec.asset_class.value, sec.currency
    row.shares_outstanding = sec.shares_outstanding
    return row


def account_from_row(row: AccountRow) -> Account:
    return Account(
        account_id=AccountId(row.account_id),
        name=row.name,
        base_currency=row.base_currency,
        tax_lot_method=TaxLotMethod(row.tax_lot_method),
        cash=row.cash,
        short_allowed=row.short_allowed,
        group=row.group,
    )


def account_to_row(acc: Account, row: AccountRow | None = None) -> AccountRow:
    row = row or AccountRow(account_id=acc.account_id, version=0)
    row.name, row.base_currency = acc.name, acc.base_currency
    row.tax_lot_method, row.cash = acc.tax_lot_method.value, acc.cash
    row.short_allowed, row.group = acc.short_allowed, acc.group
    return row


def lot_from_row(row: TaxLotRow) -> TaxLot:
    return TaxLot(
        lot_id=LotId(row.lot_id),
        account_id=AccountId(row.account_id),
        symbol=Symbol(row.symbol),
        trade_date=row.trade_date,
        quantity=row.quantity,
        cost_basis=row.cost_basis,
        holding_start=row.holding_start,
        wash_sale_adjustment=row.wash_sale_adjustment,
    )


def lot_to_row(lot: TaxLot) -> TaxLotRow:
    return TaxLotRow(
        lot_id=lot.lot_id,
        account_id=lot.account_id,
        symbol=lot.symbol,
        trade_date=lot.trade_date,
        quantity=lot.quantity,
        cost_basis=lot.cost_basis,
        holding_start=lot.holding_start,
        wash_sale_adjustment=lot.wash_sale_adjustment,
    )


def order_from_row(row: OrderRow) -> Order:
    return Order(
        order_id=OrderId(row.order_id),
        account_id=AccountId(row.account_id),
        symbol=Symbol(row.symbol),
        side=Side(row.side),
        quantity=row.quantity,
        order_type=OrderType(row.order_type),
        created_at=row.created_at,
        created_by=UserId(row.created_by),
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        time_in_force=TimeInForce(row.time_in_force),
        expire_date=row.expire_date,
        status=OrderStatus(row.status),
        filled_quantity=row.filled_quantity,
        avg_price=row.avg_price,
        block_id=BlockId(row.block_id) if row.block_id else None,
        locate_id=row.locate_id,
        specific_lots=tuple(LotId(x) for x in row.specific_lots),
        note=row.note,
    )


def order_to_row(order: Order, row: OrderRow | None = None) -> OrderRow:
    row = row or OrderRow(order_id=order.order_id)
    row.account_id, row.symbol, row.side = order.account_id, order.symbol, order.side.value
    row.quantity, row.order_type = order.quantity, order.order_type.value
    row.limit_price, row.stop_price = order.limit_price, order.stop_price
    row.time_in_force, row.expire_date = order.time_in_force.value, order.expire_date
    row.status, row.filled_quantity, row.avg_price = (
        order.status.value,
        order.filled_quantity,
        order.avg_price,
    )
    row.block_id, row.locate_id = order.block_id, order.locate_id
    row.specific_lots, row.note = list(order.specific_lots), order.note
    row.created_at, row.created_by = order.created_at, order.created_by
    return row


def block_from_rows(row: BlockRow, members: list[BlockMemberRow], routed: list[str]) -> Block:
    return Block(
        block_id=BlockId(row.block_id),
        symbol=Symbol(row.symbol),
        side=Side(row.side),
        created_at=row.created_at,
        created_by=UserId(row.created_by),
        members=[
            BlockMember(OrderId(m.order_id), m.account_id, m.quantity)
            for m in sorted(members, key=lambda m: m.position)
        ],
        status=BlockStatus(row.status),
        routed_order_ids=[RoutedOrderId(r) for r in routed],
        arrival_price=row.arrival_price,
        version=row.version,
    )


def block_to_rows(block: Block, row: BlockRow | None) -> tuple[BlockRow, list[BlockMemberRow]]:
    row = row or BlockRow(block_id=block.block_id)
    row.symbol, row.side, row.status = block.symbol, block.side.value, block.status.value
    row.arrival_price, row.created_at, row.created_by = (
        block.arrival_price,
        block.created_at,
        block.created_by,
    )
    members = [
        BlockMemberRow(
            block_id=block.block_id,
            order_id=m.order_id,
            account_id=m.account_id,
            quantity=m.quantity,
            position=i,
        )
        for i, m in enumerate(block.members)
    ]
    return row, members


def routed_from_rows(
    row: RoutedOrderRow, chain: list[str], fills: list[FillRow], applied: set[str]
) -> RoutedOrder:
    pending = None
    if row.pending_kind and row.pending_cl_ord_id and row.pending_orig_cl_ord_id:
        pending = PendingRequest(
            RequestKind(row.pending_kind),
            ClOrdId(row.pending_cl_ord_id),
            ClOrdId(row.pending_orig_cl_ord_id),
            row.pending_quantity,
            row.pending_limit_price,
            row.pending_stop_price,
        )
    return RoutedOrder(
        routed_order_id=RoutedOrderId(row.routed_order_id),
        block_id=BlockId(row.block_id),
        broker=BrokerId(row.broker),
        symbol=Symbol(row.symbol),
        side=Side(row.side),
        order_type=OrderType(row.order_type),
        order_qty=row.order_qty,
        cl_ord_id=ClOrdId(row.cl_ord_id),
        created_at=row.created_at,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        time_in_force=TimeInForce(row.time_in_force),
        expire_date=row.expire_date,
        status=RoutedStatus(row.status),
        previous_status=RoutedStatus(row.previous_status) if row.previous_status else None,
        cl_ord_ids=[ClOrdId(c) for c in chain],
        pending=pending,
        fills=[
            Fill(
                ExecId(f.exec_id),
                RoutedOrderId(f.routed_order_id),
                f.quantity,
                f.price,
                f.executed_at,
                f.busted,
            )
            for f in sorted(fills, key=lambda f: f.seq)
        ],
        applied_exec_ids={ExecId(e) for e in applied},
        broker_order_id=row.broker_order_id,
        version=row.version,
    )


def routed_to_row(order: RoutedOrder, row: RoutedOrderRow | None) -> RoutedOrderRow:
    row = row or RoutedOrderRow(routed_order_id=order.routed_order_id, created_at=order.created_at)
    row.block_id, row.broker, row.symbol = order.block_id, order.broker, order.symbol
    row.side, row.order_type, row.order_qty = (
        order.side.value,
        order.order_type.value,
        order.order_qty,
    )
    row.limit_price, row.stop_price = order.limit_price, order.stop_price
    row.time_in_force, row.expire_date = order.time_in_force.value, order.expire_date
    row.cl_ord_id, row.status = order.cl_ord_id, order.status.value
    row.previous_status = order.previous_status.value if order.previous_status else None
    p = order.pending
    row.pending_kind = p.kind.value if p else None
    row.pending_cl_ord_id = p.cl_ord_id if p else None
    row.pending_orig_cl_ord_id = p.orig_cl_ord_id if p else None
    row.pending_quantity = p.quantity if p else None
    row.pending_limit_price = p.limit_price if p else None
    row.pending_stop_price = p.stop_price if p else None
    row.broker_order_id = order.broker_order_id
    row.cum_qty, row.avg_px = order.cum_qty, order.avg_px
    row.version = order.version
    return row

"""Final allocation of a finished block: book each account's share and tell the broker.

Operations allocate a block once nothing of it is working at the broker. Each account
gets the block's average price; its quantity comes from ``toms.allocation`` (pro-rata by
default, or trader targets / percentages), its commission the pro-rata share with cents
reconciled. Buys open tax lots, sells relieve them by the account's method (or the lots
named on the PM order), wash sales adjust replacement lots, cash moves by the net amount.
Everything lands in one transaction with a replayable allocation record; the
AllocationInstruction (35=J) goes to the broker after commit and its ack (35=P) is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from toms.allocation.instructions import (
    AllocationInputs,
    AllocationMethod,
    Charge,
    requests_from_block,
)
from toms.allocation.ledger import apply_trade
from toms.allocation.record import AccountAllocation, AllocationRecord, allocate
from toms.allocation.taxlots import LotTrade
from toms.domain.blocks import Block, BlockStatus
from toms.domain.errors import InvalidTransition, UnknownOrder
from toms.domain.ids import LotId, OrderId
from toms.domain.values import ZERO
from toms.services.block_progress import block_fill
from toms.services.compliance_gate import NotAuthorised
from toms.services.context import Context, Transaction, transaction
from toms.services.ports import GatewayUnavailable


def allocate_block(
    ctx: Context,
    block_id: str,
    user: str,
    roles: Iterable[str],
    *,
    method: AllocationMethod = AllocationMethod.PRO_RATA,
    targets: Mapping[str, Decimal] | None = None,
    commission: Decimal = ZERO,
    fees: Decimal = ZERO,
    send_instruction: bool = True,
) -> AllocationRecord:
    if "operations" not in roles:
        raise NotAuthorised(f"user {user} may not allocate: needs the operations role")
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        uow = tx.uow
        block: Block = uow.blocks.require(block_id)
        if block.status is not BlockStatus.DONE:
            raise InvalidTransition(
                f"block {block_id} is {block.status.value}: allocate once nothing is working"
            )
        routed = uow.routed.for_block(block_id)
        filled, avg_px = block_fill(routed)
        if filled == ZERO or avg_px is None:
            raise InvalidTransition(f"block {block_id} has no fills to allocate")
        security = uow.securities.get(block.symbol)
        charges = tuple(Charge(n, a) for n, a in (("commission", commission), ("fees", fees)) if a)
        inputs = AllocationInputs(
            block_id=block.block_id,
            symbol=block.symbol,
            side=block.side,
            lot_size=security.lot_size,
            filled_quantity=filled,
            average_price=avg_px,
            requests=requests_from_block(
                block, {OrderId(k): v for k, v in targets.items()} if targets else None
            ),
            seed=block.block_id,
            method=method,
            charges=charges,
        )
        record = allocate(inputs)
        alloc_id = ctx.ids.new("ALC")
        broker = routed[-1].broker if routed else None
        uow.allocations.add(
            alloc_id=alloc_id,
            block_id=block_id,
            record=record.to_dict(),
            broker=broker,
            created_at=now,
            created_by=user,
        )
        chosen: dict[str, list[str]] = {}
        for share in record.outputs:
            lots = _book(tx, alloc_id, block, share, now) if share.quantity > ZERO else []
            if uow.orders.require(share.order_id).specific_lots:
                chosen[share.order_id] = lots
            uow.allocations.add_leg(
                alloc_id=alloc_id,
                order_id=share.order_id,
                account_id=share.account_id,
                quantity=share.quantity,
                price=share.price,
                charges=share.total_charges,
                lots=lots,
            )
            order = uow.orders.require(share.order_id)
            uow.orders.save(
                replace(
                    order,
                    filled_quantity=share.quantity,
                    avg_price=share.price if share.quantity else None,
                )
            )
        block.status = BlockStatus.ALLOCATED
        block.version += 1
        uow.blocks.save(block)
        uow.audit.record(
            "BlockAllocated",
            {"alloc_id": alloc_id, **record.to_dict()},
            entity_type="block",
            entity_id=block_id,
            actor=user,
            occurred_at=now,
            recorded_at=now,
        )
        tx.commit()
        if send_instruction and broker is not None:
            cl_ord_ids = [c for r in routed for c in r.cl_ord_ids]
            tx.after_commit.append(
                lambda: _instruct(ctx, alloc_id, broker, block, record, cl_ord_ids, chosen, now)
            )
        return record


def apply_allocation_ack(ctx: Context, alloc_id: str, accepted: bool, text: str) -> None:
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        row = tx.uow.allocations.get(alloc_id)
        if row is None:
            raise UnknownOrder(f"allocation ack for unknown AllocID {alloc_id}")
        status = "accepted" if accepted else "rejected"
        tx.uow.allocations.set_status(alloc_id, status, text)
        tx.uow.audit.record(
            f"AllocationInstruction{status.title()}",
            {"alloc_id": alloc_id, "text": text},
            entity_type="block",
            entity_id=row.block_id,
            actor=f"broker:{row.broker}",
            occurred_at=now,
            recorded_at=now,
            reason=text,
        )
        tx.commit()


def _book(
    tx: Transaction, alloc_id: str, block: Block, share: AccountAllocation, now: datetime
) -> list[str]:
    """Book one account's share against its lots; returns the lots opened or relieved."""
    uow = tx.uow
    account = uow.accounts.get(share.account_id)
    order = uow.orders.require(share.order_id)
    lots = uow.lots.holding(share.account_id, block.symbol)
    pending = uow.ledger.pending_losses(share.account_id, block.symbol)
    trade = LotTrade.from_allocation(
        share,
        block.symbol,
        block.side,
        now.date(),
        lot_id=LotId(f"{block.block_id}-{share.order_id}") if block.side.opens_lot else None,
        specific_lots=tuple(order.specific_lots),
        trade_id=f"{alloc_id}/{share.order_id}",
    )
    update = apply_trade(lots, trade, account.tax_lot_method, pending)
    uow.lots.rebook(share.account_id, block.symbol, lots, update.lots)
    uow.ledger.add_realized(alloc_id, update.realized)
    uow.ledger.add_wash_sales(share.account_id, block.symbol, update.wash_sales)
    if update.opened:  # a purchase washed losses realized earlier: amend those sales
        for wash in update.wash_sales:
            uow.ledger.disallow(wash.trade_id, wash.loss_lot_id, wash.disallowed)
    uow.ledger.set_pending_losses(share.account_id, block.symbol, update.pending_losses)
    cash = account.cash - trade.net_amount if block.side.is_buy else account.cash + trade.net_amount
    uow.accounts.save(replace(account, cash=cash))
    for r in update.realized:
        if r.gain < ZERO:
            uow.audit.record(
                "LossRealized",
                {
                    "symbol": r.symbol,
                    "sold_on": r.disposed.isoformat(),
                    "loss": str(-r.gain),
                    "lot_id": r.lot_id,
                },
                entity_type="account",
                entity_id=share.account_id,
                actor="system",
                occurred_at=now,
                recorded_at=now,
            )
    touched = [lot.lot_id for lot in update.opened] or [r.lot_id for r in update.realized]
    return list(dict.fromkeys(touched))


def _instruct(
    ctx: Context,
    alloc_id: str,
    broker: str,
    block: Block,
    record: AllocationRecord,
    cl_ord_ids: list[str],
    lots: dict[str, list[str]],
    now: datetime,
) -> None:
    gateway = ctx.gateway(broker)
    try:
        gateway.send_allocation(alloc_id, block, record, cl_ord_ids, lots, now)  # type: ignore[attr-defined]
    except GatewayUnavailable as exc:
        with transaction(ctx) as tx:
            tx.uow.allocations.set_status(alloc_id, "booked", f"instruction not sent: {exc}")
            tx.commit()
        return
    with transaction(ctx) as tx:
        tx.uow.allocations.set_status(alloc_id, "instructed")
        tx.commit()

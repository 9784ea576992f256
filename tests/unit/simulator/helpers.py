"""Builders shared by the matching-model tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from toms.domain.values import OrderType, Side, TimeInForce
from toms.simulator.matching import (
    CancelReject,
    ExecReport,
    FillPolicy,
    MatchingConfig,
    MatchingEngine,
    NewOrder,
    Report,
)

NOW = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)
PRICES = {"AAPL": Decimal("190.00"), "MSFT": Decimal("410.00"), "IBM": Decimal("180.00")}


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


def engine(
    partial_fills: int = 1,
    clip_size: str | None = None,
    clips_per_match: int | None = None,
    **config: object,
) -> MatchingEngine:
    policy = FillPolicy(partial_fills, D(clip_size) if clip_size else None, clips_per_match)
    return MatchingEngine(dict(PRICES), MatchingConfig(fill_policy=policy, **config))  # type: ignore[arg-type]


def order(
    cl_ord_id: str,
    qty: str | int = 100,
    side: Side = Side.BUY,
    order_type: OrderType = OrderType.MARKET,
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    symbol: str = "AAPL",
    **kw: object,
) -> NewOrder:
    return NewOrder(
        cl_ord_id=cl_ord_id,
        symbol=symbol,
        side=side,
        order_type=order_type,
        quantity=D(qty),
        limit_price=D(limit) if limit else None,
        stop_price=D(stop) if stop else None,
        time_in_force=tif,
        **kw,  # type: ignore[arg-type]
    )


def kinds(reports: Iterable[Report]) -> list[tuple[str, str]]:
    """(ExecType, OrdStatus) names of ERs; ("CANCEL_REJECT", reason) for 35=9."""
    out = []
    for r in reports:
        if isinstance(r, ExecReport):
            out.append((r.exec_type.name, r.ord_status.name))
        else:
            assert isinstance(r, CancelReject)
            out.append(("CANCEL_REJECT", r.reason.name))
    return out


def ers(reports: Iterable[Report]) -> list[ExecReport]:
    return [r for r in reports if isinstance(r, ExecReport)]


def last(reports: list[Report]) -> ExecReport:
    r = reports[-1]
    assert isinstance(r, ExecReport), r
    return r

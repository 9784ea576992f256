"""Request bodies. Unknown fields are refused, so a typo never silently drops a limit.

Prices and quantities are accepted as decimal strings (preferred) or JSON numbers, and
must be finite and positive; the domain then applies its own rules (a limit order needs a
limit price, a stop order a stop price, ...) and answers 422 with its message.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from toms.allocation import AllocationMethod
from toms.domain.values import OrderType, Side, TimeInForce

Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderRequest(Body):
    account_id: str = Field(min_length=1, max_length=64)
    symbol: str = Field(min_length=1, max_length=32)
    side: Side
    quantity: Positive
    order_type: OrderType = OrderType.MARKET
    limit_price: Positive | None = None
    stop_price: Positive | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_date: date | None = None
    locate_id: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=500)


class OverrideRequest(Body):
    reason: str = Field(min_length=1, max_length=500)


class BlockRequest(Body):
    order_ids: list[str] = Field(min_length=1)


class BlockMemberRequest(Body):
    order_id: str = Field(min_length=1)


class RouteRequest(Body):
    broker: str = Field(min_length=1, max_length=64)
    order_type: OrderType
    limit_price: Positive | None = None
    stop_price: Positive | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_date: date | None = None
    quantity: Positive | None = None
    acknowledge_warnings: bool = False


class ReplaceRequest(Body):
    quantity: Positive | None = None
    limit_price: Positive | None = None
    stop_price: Positive | None = None


class AllocateRequest(Body):
    method: AllocationMethod = AllocationMethod.PRO_RATA
    targets: dict[str, NonNegative] | None = None
    commission: NonNegative = Decimal(0)
    fees: NonNegative = Decimal(0)


class PriceRequest(Body):
    price: Positive


class RebalanceRequest(Body):
    account_id: str = Field(min_length=1, max_length=64)
    targets: dict[str, Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]]
    dry_run: bool = False
    cash_buffer: Annotated[Decimal, Field(ge=0, lt=1)] = Decimal(0)

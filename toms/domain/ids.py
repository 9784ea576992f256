"""Typed identifiers. They are plain strings at run time; the types keep them apart for mypy."""

from typing import NewType

AccountId = NewType("AccountId", str)
Symbol = NewType("Symbol", str)
OrderId = NewType("OrderId", str)
BlockId = NewType("BlockId", str)
ClOrdId = NewType("ClOrdId", str)
ExecId = NewType("ExecId", str)
LotId = NewType("LotId", str)
BrokerId = NewType("BrokerId", str)
UserId = NewType("UserId", str)
RoutedOrderId = NewType("RoutedOrderId", str)

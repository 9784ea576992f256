"""Domain error hierarchy.

Business outcomes (a compliance block, an unmatched execution) are events, not exceptions.
These exceptions mean "this input cannot be applied"; the service layer records them.
"""


class TomsError(Exception):
    """Base class of every error toms raises on purpose."""


class DomainError(TomsError):
    """A rule of the domain was broken by the input."""


class InvalidValue(DomainError, ValueError):
    """A quantity, price or field is out of its allowed range."""


class InvalidOrder(DomainError, ValueError):
    """An order is malformed: a limit order without a limit price, a negative quantity..."""


class InvalidTransition(DomainError):
    """An execution report or request is not allowed in the order's current state."""


class InconsistentReport(DomainError):
    """An execution report's CumQty / LeavesQty / AvgPx disagree with what toms holds."""


class Overfill(DomainError):
    """A fill would take CumQty above OrderQty."""


class UnknownOrder(DomainError):
    """A report or request names an order toms does not know."""


class InsufficientPosition(DomainError):
    """A sell asks for more than the account holds in tax lots."""

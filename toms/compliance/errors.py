"""Errors the compliance package raises.

A failed rule is a result, not an exception: ``check_trade`` returns BLOCK and the service
records it. Exceptions here mean the input itself cannot be checked: a rule book that does not
parse, or a snapshot that lacks a price or a security the check needs. Both are bugs at the
edge that produced them, so they stop the check instead of producing a guess.
"""

from __future__ import annotations

from toms.domain.errors import DomainError


class ComplianceConfigError(DomainError, ValueError):
    """The compliance rule book is malformed; the message names source, rule and field."""

    def __init__(self, source: str, rule: str, field: str, problem: str) -> None:
        self.source = source
        self.rule = rule
        self.field = field
        self.problem = problem
        where = f"{source}: {rule}" if rule else source
        if field:
            where = f"{where}: field '{field}'"
        super().__init__(f"{where}: {problem}")


class ComplianceInputError(DomainError, ValueError):
    """A snapshot or trade lacks data a check needs (a price, a security, the right account)."""

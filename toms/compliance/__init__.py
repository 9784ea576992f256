"""Pre-trade and post-trade compliance: pure rules over an account snapshot.

No I/O, no clock, no randomness: the service layer passes in the snapshot (holdings, working
orders, reference data, prices, the date) and the rule book, and records what comes back.

Entry points:
- ``check_trade(trade, snapshot, rulebook) -> CheckResult``: one order, every rule, headroom;
- ``check_block(trades, snapshots, rulebook) -> BlockCheckResult``: one order per account,
  vectorised, with the same verdicts;
- ``post_trade_check(snapshots, rulebook) -> PostTradeReport``: holding-based rules on actual
  holdings at the end of the day;
- ``rulebook_from_mapping(data, source) -> RuleBook``: the rule book from parsed TOML;
- ``clearance`` / ``may_proceed``: whether acknowledgements and overrides let a result through;
- ``format_result`` / ``format_breaches`` / ``format_block``: plain-text tables for the CLI.
"""

from toms.compliance.approvals import Acknowledgement, Clearance, Override, clearance, may_proceed
from toms.compliance.block import BlockCheckResult, BlockRow, check_block
from toms.compliance.config import RULE_TYPES, rulebook_from_mapping
from toms.compliance.engine import check_trade
from toms.compliance.errors import ComplianceConfigError, ComplianceInputError
from toms.compliance.formatting import format_block, format_breaches, format_result
from toms.compliance.post_trade import PostTradeReport, post_trade_check
from toms.compliance.results import Basis, Breach, CheckResult, RuleResult, Severity, Status
from toms.compliance.rulebook import RuleBook
from toms.compliance.scope import Scope
from toms.compliance.snapshot import PortfolioSnapshot, RealizedLoss
from toms.compliance.trade import ProposedTrade

__all__ = [
    "RULE_TYPES",
    "Acknowledgement",
    "Basis",
    "BlockCheckResult",
    "BlockRow",
    "Breach",
    "CheckResult",
    "Clearance",
    "ComplianceConfigError",
    "ComplianceInputError",
    "Override",
    "PortfolioSnapshot",
    "PostTradeReport",
    "ProposedTrade",
    "RealizedLoss",
    "RuleBook",
    "RuleResult",
    "Scope",
    "Severity",
    "Status",
    "check_block",
    "check_trade",
    "clearance",
    "format_block",
    "format_breaches",
    "format_result",
    "may_proceed",
    "post_trade_check",
    "rulebook_from_mapping",
]

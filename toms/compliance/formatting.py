"""Plain-text tables for the CLI. Returns strings; printing is the caller's business."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from toms.compliance.block import BlockCheckResult
from toms.compliance.post_trade import PostTradeReport
from toms.compliance.results import Breach, CheckResult, RuleResult


def _num(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,}"


def _figure(value: Decimal | None, pct: Decimal | None) -> str:
    if pct is not None:
        return f"{pct}%" + (f" ({_num(value)})" if value is not None else "")
    return _num(value)


def _limit(value: Decimal | None, unit: str) -> str:
    if value is None:
        return ""
    if unit.startswith("%"):
        return f"{value}{unit}"
    return f"{_num(value)} {unit}".strip()


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart, with a rule under the header."""
    body = [list(r) for r in rows]
    widths = [len(h) for h in headers]
    for r in body:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body
    )
    return "\n".join(lines)


def _trade_text(result: CheckResult) -> str:
    t = result.trade
    if t.limit_price is not None and t.stop_price is not None:
        terms = f"stop {t.stop_price} limit {t.limit_price}"
    elif t.limit_price is not None:
        terms = f"limit {t.limit_price}"
    elif t.stop_price is not None:
        terms = f"stop {t.stop_price}"
    else:
        terms = "at market"
    return f"{t.side.value} {t.quantity:,} {t.symbol} {terms}"


def _rule_row(r: RuleResult) -> list[str]:
    return [
        r.rule_id,
        r.status.value.upper(),
        _figure(r.current_value, r.current_pct),
        _figure(r.post_value, r.post_pct),
        _limit(r.limit, r.limit_unit),
        _num(r.headroom),
    ]


def format_result(result: CheckResult) -> str:
    """One check: a header, a table of rules, and each non-passing rule's message."""
    head = [
        f"Compliance check: account {result.account_id}: {_trade_text(result)} "
        f"(as of {result.as_of.isoformat()})",
        f"Verdict: {result.verdict.value.upper()}   headroom {result.headroom:,} of "
        f"{result.trade.quantity:,}   NAV {result.nav_before:,} -> {result.nav_after:,}   "
        f"price {result.execution_price} (reference {result.reference_price})",
        "",
    ]
    rows = table(
        ["RULE", "STATUS", "CURRENT", "POST-TRADE", "LIMIT", "HEADROOM"],
        (_rule_row(r) for r in result.results),
    )
    notes = [f"  {r.rule_id}: {r.message}" for r in result.results if r.status.rank > 0]
    return "\n".join([*head, rows, *(["", *notes] if notes else [])])


def format_breaches(breaches: PostTradeReport | Iterable[Breach]) -> str:
    """The end-of-day breach list; says so plainly when there is none."""
    items = breaches.breaches if isinstance(breaches, PostTradeReport) else tuple(breaches)
    header = ""
    if isinstance(breaches, PostTradeReport):
        header = f"Post-trade check: {breaches.accounts_checked} accounts, {len(items)} breaches\n"
    if not items:
        return header + "No breaches."
    rows = table(
        ["ACCOUNT", "RULE", "SEVERITY", "SUBJECT", "VALUE", "LIMIT"],
        (
            [
                b.account_id,
                b.rule_id,
                b.severity.value,
                b.subject,
                _figure(b.value, b.pct),
                _limit(b.limit, b.limit_unit),
            ]
            for b in items
        ),
    )
    notes = [f"  {b.account_id} {b.rule_id}: {b.message}" for b in items]
    return header + "\n".join([rows, "", *notes])


def format_block(result: BlockCheckResult) -> str:
    """A block check: one line per account, blocked accounts with their headroom and reasons."""
    rows = table(
        ["ACCOUNT", "QUANTITY", "VERDICT", "HEADROOM", "BLOCKING", "WARNINGS"],
        (
            [
                r.account_id,
                _num(r.trade.quantity),
                r.verdict.value.upper(),
                _num(r.headroom),
                ", ".join(r.blocking),
                ", ".join(r.warnings),
            ]
            for r in result.rows
        ),
    )
    return f"Block check: {result.verdict.value.upper()}   headroom {result.headroom:,}\n{rows}"

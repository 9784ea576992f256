"""The rule book from configuration: an already-parsed TOML mapping in, a ``RuleBook`` out.

Format (see ``config/compliance.toml`` for a full example)::

    version = 1                      # optional
    [[rules]]
    id = "position-limit"            # unique; reported on every result
    type = "position_limit"          # one of RULE_TYPES
    severity = "block"               # or "warn"; default per type (wash_sale: warn)
    groups = ["ucits"]               # optional scope: Account.group values ...
    accounts = ["ACC-1"]             # ... and/or account ids; neither = every account
    exclude_groups = []              # optional exclusions, which win over the above
    exclude_accounts = []
    description = "..."              # optional, free text
    max_pct_nav = 10                 # the type's own parameters

Some types expand into several rule units, each with its own basis and figures, with ids
``<id>.<part>``: fat_finger → ``.quantity`` / ``.notional`` / ``.collar``, position_limit →
``.shares`` / ``.pct_nav``, ucits_5_10_40 → ``.issuer`` / ``.aggregate``.

Numbers may be TOML integers, strings (``"2.5"``, exact) or TOML floats; a float is read through
its shortest repr, so ``2.5`` means Decimal("2.5"), never the binary 2.5000000000000001.
Anything wrong raises ``ComplianceConfigError`` naming the source, the rule (``rules[3] (id
'x')``) and the field; unknown fields are errors too, so a typo cannot silently disable a limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from toms.compliance.errors import ComplianceConfigError
from toms.compliance.exact import HUNDRED, ZERO
from toms.compliance.results import Severity
from toms.compliance.rulebook import RuleBook
from toms.compliance.rules import (
    BuyingPower,
    CountryConcentration,
    Ica1940Diversified,
    IssuerConcentration,
    MaxOrderNotional,
    MaxOrderQuantity,
    PositionPctLimit,
    PositionShareLimit,
    PriceCollar,
    RestrictedEntry,
    RestrictedList,
    Restriction,
    Rule,
    SectorConcentration,
    ShortSaleRule,
    UcitsAggregateLimit,
    UcitsIssuerLimit,
    WashSale,
)
from toms.compliance.rules.concentration import DEFAULT_GROUP_EXCLUDED, DEFAULT_ISSUER_EXCLUDED
from toms.compliance.rules.position import DEFAULT_POSITION_EXCLUDED
from toms.compliance.rules.ucits import DEFAULT_UCITS_EXCLUDED
from toms.compliance.scope import Scope
from toms.domain.values import AssetClass

_MISSING: Any = object()
_COMMON = {
    "id",
    "type",
    "severity",
    "description",
    "accounts",
    "groups",
    "exclude_accounts",
    "exclude_groups",
}


class _Table:
    """Typed reads from one TOML table, remembering which fields were used."""

    def __init__(self, source: str, label: str, data: Mapping[str, Any], prefix: str = "") -> None:
        self.source = source
        self.label = label
        self.data = data
        self.prefix = prefix
        self.used: set[str] = set()

    def fail(self, field: str, problem: str) -> ComplianceConfigError:
        return ComplianceConfigError(self.source, self.label, self.prefix + field, problem)

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, default: Any) -> Any:
        self.used.add(name)
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise self.fail(name, "is required")
        return default

    def text(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if value is not default and (not isinstance(value, str) or not value.strip()):
            raise self.fail(name, f"must be a non-empty string, got {value!r}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, got {value!r}")
        return value

    def number(
        self, name: str, default: Any = _MISSING, *, percent: bool = False, integer: bool = False
    ) -> Any:
        value = self._get(name, default)
        if value is default:
            return value
        parsed = self._decimal(name, value)
        if parsed < ZERO:
            raise self.fail(name, f"must not be negative, got {value!r}")
        if percent and parsed > HUNDRED:
            raise self.fail(name, f"is a percentage and must be at most 100, got {value!r}")
        if integer and parsed != parsed.to_integral_value():
            raise self.fail(name, f"must be a whole number, got {value!r}")
        return parsed

    def _decimal(self, name: str, value: object) -> Decimal:
        if isinstance(value, bool):
            raise self.fail(name, f"must be a number, got {value!r}")
        try:
            if isinstance(value, int):
                result = Decimal(value)
            elif isinstance(value, float):
                result = Decimal(repr(value))
            elif isinstance(value, Decimal):
                result = value
            elif isinstance(value, str):
                result = Decimal(value.strip().replace("_", ""))
            else:
                raise self.fail(name, f"must be a number, got {type(value).__name__} {value!r}")
        except InvalidOperation:
            raise self.fail(name, f"must be a number, got {value!r}") from None
        if not result.is_finite():
            raise self.fail(name, f"must be a finite number, got {value!r}")
        return result

    def names(self, name: str) -> frozenset[str]:
        value = self._get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(name, f"must be a list of strings, got {value!r}")
        return frozenset(value)

    def asset_classes(self, name: str, default: frozenset[AssetClass]) -> frozenset[AssetClass]:
        if name not in self.data:
            self.used.add(name)
            return default
        out = set()
        for value in self.names(name):
            try:
                out.add(AssetClass(value))
            except ValueError:
                raise self.fail(
                    name,
                    f"unknown asset class {value!r}; expected one of "
                    f"{[c.value for c in AssetClass]}",
                ) from None
        return frozenset(out)

    def tables(self, name: str) -> list[Mapping[str, Any]]:
        value = self._get(name, _MISSING)
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(name, "must be a list of tables")
        return value

    def finish(self) -> None:
        for key in self.data:
            if key not in self.used:
                raise self.fail(str(key), f"unknown field; expected one of {sorted(self.used)}")


Builder = Callable[[_Table, dict[str, Any]], list[Rule]]


def _fat_finger(t: _Table, common: dict[str, Any]) -> list[Rule]:
    rule_id = common.pop("rule_id")
    quantity = t.number("max_quantity", None)
    notional = t.number("max_notional", None)
    collar = t.number("price_collar_pct", None, percent=True)
    rules: list[Rule] = []
    if quantity is not None:
        rules.append(
            MaxOrderQuantity(rule_id=f"{rule_id}.quantity", max_quantity=quantity, **common)
        )
    if notional is not None:
        rules.append(
            MaxOrderNotional(rule_id=f"{rule_id}.notional", max_notional=notional, **common)
        )
    if collar is not None:
        rules.append(PriceCollar(rule_id=f"{rule_id}.collar", max_deviation_pct=collar, **common))
    if not rules:
        raise t.fail(
            "max_quantity",
            "fat_finger needs at least one of max_quantity, max_notional, price_collar_pct",
        )
    return rules


def _position(t: _Table, common: dict[str, Any]) -> list[Rule]:
    rule_id = common.pop("rule_id")
    shares = t.number("max_shares", None)
    pct = t.number("max_pct_nav", None, percent=True)
    excluded = t.asset_classes("exclude_asset_classes", DEFAULT_POSITION_EXCLUDED)
    rules: list[Rule] = []
    if shares is not None:
        rules.append(
            PositionShareLimit(
                rule_id=f"{rule_id}.shares", max_shares=shares, excluded=excluded, **common
            )
        )
    if pct is not None:
        rules.append(
            PositionPctLimit(
                rule_id=f"{rule_id}.pct_nav", max_pct_nav=pct, excluded=excluded, **common
            )
        )
    if not rules:
        raise t.fail("max_pct_nav", "position_limit needs max_pct_nav and/or max_shares")
    return rules


def _concentration(
    cls: type[IssuerConcentration | SectorConcentration | CountryConcentration],
    default: frozenset[AssetClass],
) -> Builder:
    def build(t: _Table, common: dict[str, Any]) -> list[Rule]:
        return [
            cls(
                max_pct_nav=t.number("max_pct_nav", percent=True),
                excluded=t.asset_classes("exclude_asset_classes", default),
                **common,
            )
        ]

    return build


def _ica1940(t: _Table, common: dict[str, Any]) -> list[Rule]:
    return [
        Ica1940Diversified(
            diversified_pct=t.number("diversified_pct", Decimal(75), percent=True),
            issuer_pct=t.number("issuer_pct", Decimal(5), percent=True),
            voting_pct=t.number("voting_pct", Decimal(10), percent=True),
            **common,
        )
    ]


def _ucits(t: _Table, common: dict[str, Any]) -> list[Rule]:
    rule_id = common.pop("rule_id")
    excluded = t.asset_classes("exclude_asset_classes", DEFAULT_UCITS_EXCLUDED)
    issuer_max = t.number("issuer_max_pct", Decimal(10), percent=True)
    large = t.number("large_issuer_pct", Decimal(5), percent=True)
    aggregate = t.number("aggregate_max_pct", Decimal(40), percent=True)
    if large > issuer_max:
        raise t.fail("large_issuer_pct", f"{large} must not exceed issuer_max_pct {issuer_max}")
    return [
        UcitsIssuerLimit(
            rule_id=f"{rule_id}.issuer", issuer_max_pct=issuer_max, excluded=excluded, **common
        ),
        UcitsAggregateLimit(
            rule_id=f"{rule_id}.aggregate",
            large_issuer_pct=large,
            aggregate_max_pct=aggregate,
            excluded=excluded,
            **common,
        ),
    ]


def _restricted(t: _Table, common: dict[str, Any]) -> list[Rule]:
    entries = []
    for i, raw in enumerate(t.tables("entries")):
        e = _Table(t.source, t.label, raw, prefix=f"entries[{i}].")
        symbol = e.text("symbol", None)
        issuer = e.text("issuer", None)
        if (symbol is None) == (issuer is None):
            raise e.fail("symbol", "give exactly one of symbol or issuer")
        raw_restriction = e.text("restriction")
        try:
            restriction = Restriction(raw_restriction)
        except ValueError:
            raise e.fail(
                "restriction", f"{raw_restriction!r} is not one of {[r.value for r in Restriction]}"
            ) from None
        reason = e.text("reason", "")
        e.finish()
        entries.append(RestrictedEntry(restriction, symbol, issuer, reason))
    return [RestrictedList(entries=tuple(entries), **common)]


def _short_sale(t: _Table, common: dict[str, Any]) -> list[Rule]:
    return [ShortSaleRule(require_locate=t.boolean("require_locate", True), **common)]


def _buying_power(t: _Table, common: dict[str, Any]) -> list[Rule]:
    return [
        BuyingPower(
            min_cash=t.number("min_cash", ZERO),
            credit_open_sells=t.boolean("credit_open_sells", False),
            **common,
        )
    ]


def _wash_sale(t: _Table, common: dict[str, Any]) -> list[Rule]:
    window = t.number("window_days", Decimal(30), integer=True)
    return [WashSale(window_days=int(window), **common)]


BUILDERS: dict[str, Builder] = {
    "restricted_list": _restricted,
    "fat_finger": _fat_finger,
    "position_limit": _position,
    "issuer_concentration": _concentration(IssuerConcentration, DEFAULT_ISSUER_EXCLUDED),
    "sector_concentration": _concentration(SectorConcentration, DEFAULT_GROUP_EXCLUDED),
    "country_concentration": _concentration(CountryConcentration, DEFAULT_GROUP_EXCLUDED),
    "ica_1940_diversified": _ica1940,
    "ucits_5_10_40": _ucits,
    "short_sale": _short_sale,
    "buying_power": _buying_power,
    "wash_sale": _wash_sale,
}
RULE_TYPES = tuple(BUILDERS)
DEFAULT_SEVERITY = dict.fromkeys(BUILDERS, Severity.BLOCK) | {"wash_sale": Severity.WARN}


def rulebook_from_mapping(data: Mapping[str, Any], source: str) -> RuleBook:
    """Parse a rule book from a TOML document already read with ``tomllib``."""
    if not isinstance(data, Mapping):
        raise ComplianceConfigError(source, "", "", "the compliance configuration must be a table")
    top = _Table(source, "", data)
    version = top.number("version", Decimal(1), integer=True)
    if version != 1:
        raise top.fail("version", f"unsupported version {version}; this toms reads version 1")
    raw_rules = top.tables("rules") if "rules" in data else []
    top.used.add("rules")
    top.finish()
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(raw_rules):
        label = f"rules[{index}]"
        if isinstance(raw.get("id"), str) and raw["id"].strip():
            label = f"rules[{index}] (id '{raw['id']}')"
        t = _Table(source, label, raw)
        rule_id = t.text("id").strip()
        rule_type = t.text("type")
        if rule_type not in BUILDERS:
            raise t.fail(
                "type", f"unknown rule type {rule_type!r}; expected one of {list(RULE_TYPES)}"
            )
        raw_severity = t.text("severity", DEFAULT_SEVERITY[rule_type].value)
        try:
            severity = Severity(raw_severity)
        except ValueError:
            raise t.fail("severity", f"{raw_severity!r} is not 'block' or 'warn'") from None
        scope = Scope(
            accounts=t.names("accounts"),
            groups=t.names("groups"),
            exclude_accounts=t.names("exclude_accounts"),
            exclude_groups=t.names("exclude_groups"),
        )
        description = t.text("description", "")
        common: dict[str, Any] = {
            "rule_id": rule_id,
            "severity": severity,
            "scope": scope,
            "description": description,
        }
        built = BUILDERS[rule_type](t, common)
        t.finish()
        for rule in built:
            if rule.rule_id in seen:
                raise t.fail(
                    "id", f"rule id {rule.rule_id!r} is already used by {seen[rule.rule_id]}"
                )
            seen[rule.rule_id] = label
        rules.extend(built)
    return RuleBook(tuple(rules), source)

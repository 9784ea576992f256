"""The rule library: one small module per family of rules.

Every rule is a frozen dataclass (see ``base.Rule``) with an id, a severity, a scope and its
parameters, and a declared ``basis``: what it measures.
"""

from toms.compliance.rules.base import Rule
from toms.compliance.rules.buying_power import BuyingPower
from toms.compliance.rules.concentration import (
    CountryConcentration,
    GroupConcentration,
    IssuerConcentration,
    SectorConcentration,
)
from toms.compliance.rules.fat_finger import MaxOrderNotional, MaxOrderQuantity, PriceCollar
from toms.compliance.rules.ica1940 import Ica1940Diversified
from toms.compliance.rules.position import PositionPctLimit, PositionShareLimit
from toms.compliance.rules.restricted import RestrictedEntry, RestrictedList, Restriction
from toms.compliance.rules.short_sale import ShortSaleRule
from toms.compliance.rules.ucits import UcitsAggregateLimit, UcitsIssuerLimit
from toms.compliance.rules.wash_sale import WashSale

__all__ = [
    "BuyingPower",
    "CountryConcentration",
    "GroupConcentration",
    "Ica1940Diversified",
    "IssuerConcentration",
    "MaxOrderNotional",
    "MaxOrderQuantity",
    "PositionPctLimit",
    "PositionShareLimit",
    "PriceCollar",
    "RestrictedEntry",
    "RestrictedList",
    "Restriction",
    "Rule",
    "SectorConcentration",
    "ShortSaleRule",
    "UcitsAggregateLimit",
    "UcitsIssuerLimit",
    "WashSale",
]

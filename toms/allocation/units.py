"""Exact integer arithmetic for Decimal quantities and money.

Pro-rata shares are rational numbers. Comparing them through Decimal division would round
at the context precision and could order two remainders differently from the exact answer,
which would make a tie-break (and so an allocation) depend on arithmetic noise. Scaling every
amount of one computation to integers of a common power of ten keeps every share, floor and
remainder exact, and integer arithmetic is also the fastest thing Python does.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal

from toms.domain.errors import InvalidValue

# Converting back from integers must never round, whatever the caller's context says.
_EXACT = Context(prec=MAX_PREC)

CENT_PLACES = 2


def places_of(value: Decimal) -> int:
    """Decimal places needed to write ``value`` exactly (0 for whole numbers, so 100.00 → 0)."""
    if value == value.to_integral_value():
        return 0
    exponent = value.normalize(_EXACT).as_tuple().exponent
    if not isinstance(exponent, int):
        raise InvalidValue(f"{value!r} is not a finite number")
    return -exponent


def common_places(values: Iterable[Decimal]) -> int:
    """The fewest decimal places that turn every value into an integer."""
    return max((places_of(v) for v in values), default=0)


def to_units(value: Decimal, places: int) -> int:
    """``value`` × 10**places as an exact int; refuses a value that needs more places."""
    scaled = value.scaleb(places, _EXACT)
    units = int(scaled)
    if units != scaled:
        raise InvalidValue(f"{value} has more than {places} decimal places")
    return units


def from_units(units: int, places: int) -> Decimal:
    """The inverse of ``to_units``, exact at any size."""
    return Decimal(units).scaleb(-places, _EXACT)


def div_round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest int, ties to even (banker's rounding).

    Half-even has no upward drift when many portions of many lots are rounded, which matters
    because the rounded part is carried in the lot that remains.
    """
    if denominator <= 0:
        raise InvalidValue("denominator must be positive")
    quotient, rest = divmod(numerator, denominator)
    twice = 2 * rest
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def money_places(amount: Decimal) -> int:
    """Places to split ``amount`` in: cents, or finer when the amount itself is finer.

    Splitting a sub-cent amount in whole cents could not reconcile to the amount, so the
    amount's own precision wins when it is finer than a cent.
    """
    return max(CENT_PLACES, places_of(amount))


def proportion(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """amount × part / whole, rounded half-even to ``money_places(amount)``.

    Used to split a lot's basis (or a sale's proceeds) by quantity. Callers that split one
    amount into several parts apply it to the *running remainder* of amount and whole, so the
    last part takes exactly what is left and the parts always add up to the amount.
    """
    if part == whole:
        return amount
    if amount.adjusted() > _FAST_LIMIT:
        return _proportion_exact(amount, part, whole)
    return proportion_in(amount, part, whole, quantum_of(amount))


def quantum_of(amount: Decimal) -> tuple[Decimal, Decimal]:
    """(quantum, half quantum) of ``money_places(amount)``: computed once per split."""
    if _WIDE.quantize(amount, _CENT) == amount:
        return _CENT, _HALF_CENT
    quantum = _QUANTUM_OF_PLACES[money_places(amount)]
    return quantum, quantum / 2


def proportion_in(
    amount: Decimal, part: Decimal, whole: Decimal, quantum: tuple[Decimal, Decimal]
) -> Decimal:
    """``proportion`` with the rounding quantum given (``quantum_of(amount)``).

    Exactness: the quotient is taken at 80 significant digits and then rounded to the
    quantum. Rounding at 80 digits never moves a value across a half-quantum boundary
    (the boundary is itself an 80-digit number, so the nearest 80-digit value is on the
    same side or *is* the boundary); only when the quotient lands exactly on a boundary is
    the answer ambiguous, and then the integer path decides. This is several times faster
    than converting to integers every time, which matters when 10,000 accounts sell.
    """
    if part == whole:
        return amount
    if amount.adjusted() > _FAST_LIMIT:
        return _proportion_exact(amount, part, whole)
    quotient = _WIDE.divide(_WIDE.multiply(amount, part), whole)
    result = _WIDE.quantize(quotient, quantum[0])
    if _WIDE.subtract(quotient, result).copy_abs() == quantum[1]:
        return _proportion_exact(amount, part, whole)
    return result


def _proportion_exact(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    places = money_places(amount)
    qty_places = common_places((part, whole))
    numerator = to_units(amount, places) * to_units(part, qty_places)
    return from_units(div_round_half_even(numerator, to_units(whole, qty_places)), places)


_WIDE = Context(prec=80, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
_FAST_LIMIT = 40  # amounts of 10**40 and more (never money) take the integer path
_CENT = Decimal("0.01")
_HALF_CENT = Decimal("0.005")


class _Quanta(dict[int, Decimal]):
    def __missing__(self, places: int) -> Decimal:
        quantum = Decimal(1).scaleb(-places, _EXACT)
        self[places] = quantum
        return quantum


_QUANTUM_OF_PLACES = _Quanta()

"""The seeded rotation that breaks ties between equal remainders.

Ties are common (equal orders give equal remainders), and whoever wins a tie gets the odd
lot or the odd cent. Always favouring the same account (first by id, say) would be a
systematic unfairness, so the winner rotates from block to block. The rotation is ordinary
arithmetic on a published formula, not a random number generator, so anyone holding the
allocation record can recompute it:

    offset = int.from_bytes(sha256(f"{seed}|{block_id}".encode("utf-8")).digest()[:8], "big")
             % number_of_orders

The orders are put in order-id order (string comparison) and the order at position
``offset`` gets rank 0, the next rank 1, wrapping around. Among equal remainders the lowest
rank wins. The rank depends on the seed, the block and the set of orders only, never on
the filled quantity or the order the inputs were listed in, so intraday re-allocations of
one block break ties the same way all day.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

from toms.domain.errors import InvalidValue


def rotation_offset(seed: str, block_id: str, count: int) -> int:
    """The rotation offset for ``count`` orders (formula in the module docstring)."""
    if count <= 0:
        raise InvalidValue("a rotation needs at least one order")
    digest = sha256(f"{seed}|{block_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def tie_ranks(order_ids: Sequence[str], offset: int) -> list[int]:
    """Rank of each order (in the given index order): lower wins a tie."""
    count = len(order_ids)
    by_id = sorted(range(count), key=order_ids.__getitem__)
    ranks = [0] * count
    for position, index in enumerate(by_id):
        ranks[index] = (position - offset) % count
    return ranks

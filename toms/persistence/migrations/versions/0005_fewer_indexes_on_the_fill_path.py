"""fewer indexes on the fill path

Every index a row is in costs one more page written to the write-ahead log by the
commit that changes the row, and a status index two (the old key and the new one). An
order's route, acknowledgement and fill change the status of a routed order, a block and
a PM order twice each, so these six indexes cost about twenty page writes per order.
None of them served a query: status lists scan (they return the working set anyway), no
query looks executions up by ClOrdID, the audit trail is read by entity, and the outbox
by ``sent_at``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 08:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (
    ("orders", "status"),
    ("blocks", "status"),
    ("routed_orders", "status"),
    ("executions", "cl_ord_id"),
    ("audit_events", "event_type"),
    ("outbox", "routed_order_id"),
)


def upgrade() -> None:
    for table, column in DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_{column}")


def downgrade() -> None:
    for table, column in DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)

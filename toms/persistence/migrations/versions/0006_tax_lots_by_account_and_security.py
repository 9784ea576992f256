"""tax lots indexed by account and security

Booking an allocation reads one account's lots in one security. With the index on the
account alone, that read scanned every lot the account held in any security.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tax_lots", schema=None) as batch_op:
        batch_op.drop_index("ix_tax_lots_account_id")
        batch_op.create_index("ix_tax_lots_account_symbol", ["account_id", "symbol"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tax_lots", schema=None) as batch_op:
        batch_op.drop_index("ix_tax_lots_account_symbol")
        batch_op.create_index("ix_tax_lots_account_id", ["account_id"], unique=False)

"""Alembic environment: runs on the connection ``toms.persistence.schema`` hands it."""

from alembic import context

from toms.persistence.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by the bare alembic command line
    raise RuntimeError("run migrations through `toms db upgrade`, which passes a connection")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

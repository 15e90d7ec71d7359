"""Alembic environment: migrations run on the connection wegings hands over when it opens."""

from alembic import context
from sqlmodel import SQLModel

import wegings.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("wegings applies its migrations itself when it opens a database.")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: runs on the connection ResultsStore hands over."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table="preflight_alembic_version")
with context.begin_transaction():
    context.run_migrations()

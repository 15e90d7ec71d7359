"""The ground both contexts stand on: engine and sessions, the tables, the audit log, migrations.

Importing this package stays cheap (no SQLAlchemy): import the module you need,
`wegings.store.engine` for sessions, `wegings.store.models` for the tables.
"""

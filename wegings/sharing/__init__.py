"""The third-party rule: the pure rules of DOMAIN.md over facts, and the records they rely on.

`rules` (one function per rule), `facts`, `outcome` and `explain` (every sentence) are pure;
`store` loads the facts, `records` holds each record to its audit event, `batch` and `result`
run and report checks; `items`, `consents` and `transfers` keep the records themselves.
Importing this package stays cheap (no SQLAlchemy): import the module you need.
"""

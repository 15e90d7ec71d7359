"""Weighing notes: the weighing rules (pure), the answers, the note store, the document it becomes.

Importing this package stays cheap (no SQLAlchemy): import the module you need.
"""

"""The register: partner services, groups and memberships.

Importing this package stays cheap (no SQLAlchemy): import the module you need.
"""

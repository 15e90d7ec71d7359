"""The dossier for the oversight committee: export (a BagIt bag) and its standalone verifier."""

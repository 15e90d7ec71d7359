"""wegings: weighing notes and the third-party rule for cooperation with foreign services."""

__version__ = "0.1.0"

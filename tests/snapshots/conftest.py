"""Snapshot tests reuse the Pilot fixtures (demo database, fixed clock, stable header)."""

from tests.ui.conftest import app, demo_template, sqlite_demo_ctx  # noqa: F401

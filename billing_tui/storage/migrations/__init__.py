"""Alembic migrations of the billing-tui schema."""

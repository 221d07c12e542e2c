"""Reusable widgets of the billing-tui screens."""

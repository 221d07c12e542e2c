"""Adapters to the outside world: PDF, email, e-invoicing and payment services."""

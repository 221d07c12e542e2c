"""The screens of billing-tui: each talks to services only, and runs them in workers."""

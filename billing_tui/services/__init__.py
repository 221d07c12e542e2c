"""Use cases: one function per user action, each in one database transaction."""

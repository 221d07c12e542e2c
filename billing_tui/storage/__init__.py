"""Persistence: SQLModel tables, the engine and sessions, repositories and Alembic migrations."""

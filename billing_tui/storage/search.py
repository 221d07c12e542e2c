"""Case-insensitive "contains" search that folds every letter (ș/Ș, è/È), on SQLite as on PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_ci(column: Any, text: str, backend: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case for all letters, not only A–Z.

    SQLite's own ``lower()``/``LIKE`` fold ASCII only, so there the comparison uses the
    ``casefold`` function every SQLite connection of ours registers (storage.db).
    """
    needle = _escape(text.strip())
    if backend == "sqlite":
        return func.casefold(column).like(f"%{needle.casefold()}%", escape="\\")
    return column.ilike(f"%{needle}%", escape="\\")

"""The audit log: who changed what and when, written in the same transaction as the change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from billing_tui.services.context import ServiceContext
from billing_tui.storage.columns import utc
from billing_tui.storage.system_models import AuditEntry


@dataclass(frozen=True)
class AuditRow:
    """One change: when, who, what action, and each field's old and new value."""

    at: datetime
    actor: str
    action: str
    changes: dict[str, tuple[object, object]]


def record(
    session: Session,
    ctx: ServiceContext,
    *,
    entity: str,
    entity_id: int,
    action: str,
    changes: dict[str, tuple[object, object]],
) -> None:
    """Add an audit entry to the caller's transaction."""
    session.add(
        AuditEntry(
            at=ctx.clock.now(),
            actor=ctx.actor,
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes=json.dumps({k: [v[0], v[1]] for k, v in changes.items()}, sort_keys=True, default=str),
        )
    )


def history(ctx: ServiceContext, *, entity: str, entity_id: int, limit: int = 200) -> tuple[AuditRow, ...]:
    """The newest changes first."""
    with ctx.db.read() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(col(AuditEntry.entity) == entity, col(AuditEntry.entity_id) == entity_id)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .limit(limit)
        ).all()
    return tuple(
        AuditRow(
            at=utc(e.at),  # type: ignore[arg-type]
            actor=e.actor,
            action=e.action,
            changes={k: (v[0], v[1]) for k, v in json.loads(e.changes).items()},
        )
        for e in entries
    )

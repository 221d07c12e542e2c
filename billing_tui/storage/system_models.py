"""SQLModel tables of the installation: the company data, shared settings, the audit log, job runs and the scheduler's leader."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from billing_tui.storage.columns import timestamp


class SellerSettings(SQLModel, table=True):
    """The seller's company data, printed on every document (one row)."""

    __tablename__ = "seller_settings"

    id: int | None = Field(default=1, primary_key=True)
    company_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    vat_number: str = Field(default="", sa_column=Column(String(30), nullable=False))
    fiscal_code: str = Field(default="", sa_column=Column(String(20), nullable=False))
    address: str = Field(default="", sa_column=Column(String(200), nullable=False))
    city: str = Field(default="", sa_column=Column(String(100), nullable=False))
    postcode: str = Field(default="", sa_column=Column(String(20), nullable=False))
    province: str = Field(default="", sa_column=Column(String(50), nullable=False))
    country: str = Field(default="IT", sa_column=Column(String(2), nullable=False))
    iban: str = Field(default="", sa_column=Column(String(34), nullable=False))
    email: str = Field(default="", sa_column=Column(String(254), nullable=False))
    default_language: str = Field(default="it", sa_column=Column(String(2), nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))


class AppSetting(SQLModel, table=True):
    """A named setting shared by every process on the database (invoicing delay, payment terms, SMTP...)."""

    __tablename__ = "app_setting"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    updated_by: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: one row per change to customer or settings data."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=timestamp())
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    entity: str = Field(sa_column=Column(String(32), nullable=False))
    entity_id: int = Field(sa_column=Column(Integer, nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    changes: str = Field(sa_column=Column(Text, nullable=False))  # JSON: {field: [old, new]}


class JobRun(SQLModel, table=True):
    """One run of a scheduled job; the unique key makes each piece of scheduled work happen once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("key", name="uq_job_run_key"), Index("ix_job_run_started", "started_at"))

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(sa_column=Column(String(64), nullable=False))
    key: str = Field(sa_column=Column(String(160), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))  # running | done | failed
    due_at: datetime = Field(sa_column=timestamp())
    started_at: datetime = Field(sa_column=timestamp())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    runner: str = Field(sa_column=Column(String(200), nullable=False))
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SchedulerLeader(SQLModel, table=True):
    """Who runs the scheduled jobs of this database right now (one row, written by the leader)."""

    __tablename__ = "scheduler_leader"

    id: int | None = Field(default=1, primary_key=True)
    holder: str = Field(sa_column=Column(String(200), nullable=False))
    since: datetime = Field(sa_column=timestamp())
    heartbeat_at: datetime = Field(sa_column=timestamp())

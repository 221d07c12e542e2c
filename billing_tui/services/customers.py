"""Customers' billing profiles: list, search, show, create and edit with validation and audit (S000.4, S000.5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.profile import (
    FIELD_KEYS,
    FIELD_LABELS,
    validate_field,
    validate_profile,
    visible_fields,
)
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.storage.columns import utc
from billing_tui.storage.search import contains_ci
from billing_tui.storage.shop_models import Cart, Customer

PAGE_SIZE = 50


@dataclass(frozen=True)
class CustomerRow:
    """One row of the customers list."""

    id: int
    name: str
    customer_type: str
    country: str
    vat_number: str | None
    fiscal_code: str | None
    email: str


@dataclass(frozen=True)
class CustomerPage:
    """A page of customers."""

    rows: tuple[CustomerRow, ...]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class CustomerDetail:
    """A full billing profile, with the fields that apply to its type."""

    id: int
    profile: dict[str, object]
    visible: tuple[str, ...]
    carts: int
    created_at: datetime
    updated_at: datetime


def _profile(c: Customer) -> dict[str, object]:
    return {key: getattr(c, key) for key in FIELD_KEYS}


def _detail(c: Customer, carts: int) -> CustomerDetail:
    profile = _profile(c)
    return CustomerDetail(
        id=c.id,  # type: ignore[arg-type]
        profile=profile,
        visible=visible_fields(c.customer_type, c.country),
        carts=carts,
        created_at=utc(c.created_at),  # type: ignore[arg-type]
        updated_at=utc(c.updated_at),  # type: ignore[arg-type]
    )


def list_customers(ctx: ServiceContext, *, search: str = "", offset: int = 0, limit: int = PAGE_SIZE) -> CustomerPage:
    """Customers by name; the search matches name, VAT number, fiscal code or email."""
    stmt = select(Customer).order_by(col(Customer.name), col(Customer.id))
    text = search.strip()
    if text:
        backend = ctx.db.backend
        stmt = stmt.where(
            contains_ci(col(Customer.name), text, backend)
            | contains_ci(col(Customer.vat_number), text, backend)
            | contains_ci(col(Customer.fiscal_code), text, backend)
            | contains_ci(col(Customer.email), text, backend)
        )
    with ctx.db.read() as session:
        found = session.scalars(stmt.offset(max(offset, 0)).limit(limit + 1)).all()
    rows = tuple(
        CustomerRow(
            id=c.id,  # type: ignore[arg-type]
            name=c.name,
            customer_type=c.customer_type,
            country=c.country,
            vat_number=c.vat_number,
            fiscal_code=c.fiscal_code,
            email=c.email,
        )
        for c in found[:limit]
    )
    return CustomerPage(rows=rows, offset=offset, limit=limit, has_more=len(found) > limit)


def _parse_id(customer_id: int | str) -> int:
    try:
        return int(str(customer_id).strip())
    except ValueError:
        raise NotFound(f"{customer_id!r} is not a customer id; ids are numbers, see 'customers list'") from None


def get_customer(ctx: ServiceContext, customer_id: int | str) -> CustomerDetail:
    """One customer's billing profile."""
    cid = _parse_id(customer_id)
    with ctx.db.read() as session:
        customer = session.get(Customer, cid)
        if customer is None:
            raise NotFound(f"There is no customer with id {cid}; see 'customers list'")
        carts = session.scalar(select(func.count()).select_from(Cart).where(col(Cart.customer_id) == cid)) or 0
    return _detail(customer, carts)


def check_field(key: str, value: object, profile: Mapping[str, object]) -> str | None:
    """The reason a field's value is refused, or None; the form calls this as the user types."""
    return validate_field(key, value, profile)[1]


def check_profile(profile: Mapping[str, object]) -> dict[str, str]:
    """Every reason a whole profile would be refused ({} when it can be saved)."""
    return validate_profile(profile)[1]


def fields_for(customer_type: str, country: str) -> tuple[str, ...]:
    """The fields the form shows for this customer type and country."""
    return visible_fields(customer_type, country)


def create_customer(ctx: ServiceContext, data: Mapping[str, object]) -> CustomerDetail:
    """Add a customer; refused with every reason if the profile is not valid."""
    clean, errors = validate_profile(data)
    if errors:
        raise ValidationFailed(errors)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        customer = Customer(**clean, created_at=now, updated_at=now)  # type: ignore[arg-type]
        session.add(customer)
        session.flush()
        audit.record(
            session,
            ctx,
            entity="customer",
            entity_id=customer.id,  # type: ignore[arg-type]
            action="create",
            changes={k: (None, v) for k, v in clean.items() if v not in (None, False)},
        )
    return _detail(customer, 0)


def update_customer(ctx: ServiceContext, customer_id: int | str, changes: Mapping[str, object]) -> CustomerDetail:
    """Change fields of a billing profile; all or nothing, with an audit entry of what changed."""
    unknown = sorted(set(changes) - set(FIELD_KEYS))
    if unknown:
        raise ValidationFailed(
            {k: "unknown field" for k in unknown},
            f"Unknown field(s) {', '.join(unknown)}; the fields are: {', '.join(FIELD_KEYS)}",
        )
    cid = _parse_id(customer_id)
    with ctx.db.write() as session:
        customer = session.get(Customer, cid)
        if customer is None:
            raise NotFound(f"There is no customer with id {cid}; see 'customers list'")
        before = _profile(customer)
        clean, errors = validate_profile({**before, **changes})
        if errors:
            raise ValidationFailed(errors)
        diff = {k: (before[k], clean[k]) for k in FIELD_KEYS if before[k] != clean[k]}
        if diff:
            for key, (_old, new) in diff.items():
                setattr(customer, key, new)
            customer.updated_at = ctx.clock.now()
            session.add(customer)
            audit.record(session, ctx, entity="customer", entity_id=cid, action="update", changes=diff)
        carts = session.scalar(select(func.count()).select_from(Cart).where(col(Cart.customer_id) == cid)) or 0
    return _detail(customer, carts)


def customer_history(ctx: ServiceContext, customer_id: int | str) -> tuple[audit.AuditRow, ...]:
    """Every recorded change to a customer's data, newest first."""
    cid = _parse_id(customer_id)
    get_customer(ctx, cid)
    return audit.history(ctx, entity="customer", entity_id=cid)


def field_label(key: str) -> str:
    """A field's label as the form shows it."""
    return FIELD_LABELS.get(key, key)

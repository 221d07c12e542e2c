"""Column types: fixed-point decimals that stay exact on every database."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class Fixed(TypeDecorator[Decimal]):
    """A ``Decimal`` with a fixed number of decimal places.

    PostgreSQL stores it as ``NUMERIC(precision, scale)``. SQLite has no exact decimal
    type (it would go through binary floating point), so there it is stored as an
    integer count of the smallest unit (cents for money): exact, sortable and summable.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 2, precision: int = 18) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision
        self._unit = Decimal(1).scaleb(-scale)
        self._factor = Decimal(10) ** scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("fixed-point columns take Decimal, int or str, never float")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(f"{value!r} is not an amount")
        amount = amount.quantize(self._unit, rounding=ROUND_HALF_UP)  # the product's one rounding rule
        if dialect.name == "sqlite":
            return int(amount * self._factor)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(self._unit)
        return Decimal(value).quantize(self._unit)

    def __repr__(self) -> str:
        return f"Fixed(scale={self.scale}, precision={self.precision})"

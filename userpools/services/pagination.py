"""Keyset pagination with opaque tokens, stable under concurrent inserts and deletes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from userpools.errors import InvalidParameter

T = TypeVar("T", bound=Model)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


def _encode(values: list) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, n: int) -> list:
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != n or not all(isinstance(v, (str, int)) for v in values):
            raise ValueError
        return values
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidParameter("The pagination token is not valid.") from None


def _field_value(model: type[Model], name: str, raw: str | int):
    """A token value as the column's Python type. A token from another listing, or a forged
    one, is InvalidParameterException, never a database error."""
    invalid = InvalidParameter("The pagination token is not valid.")
    try:
        value = model._meta.get_field(name).to_python(raw)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise invalid
            value = value.astimezone(UTC)
    except (ValidationError, TypeError, ValueError, OverflowError):
        raise invalid from None
    if isinstance(value, datetime):
        return value
    if type(value) is not type(raw):  # e.g. a user-pool id where a client's row id belongs
        raise invalid
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise invalid
    if isinstance(value, str) and "\x00" in value:
        raise invalid
    return value


def paginate(qs: QuerySet[T], *, order: tuple[str, str], limit: int, token: str | None) -> Page[T]:
    """Rows after ``token`` in (``order[0]``, ``order[1]``) order; ``order[1]`` must be unique."""
    first, second = order
    qs = qs.order_by(first, second)
    if token:
        raw_a, raw_b = _decode(token, 2)
        a = _field_value(qs.model, first, raw_a)
        b = _field_value(qs.model, second, raw_b)
        qs = qs.filter(Q(**{f"{first}__gt": a}) | Q(**{first: a, f"{second}__gt": b}))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], _encode([getattr(last, first), getattr(last, second)]))

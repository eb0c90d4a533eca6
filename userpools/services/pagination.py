"""Keyset pagination with opaque tokens, stable under concurrent inserts and deletes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

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
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("The pagination token is not valid.") from None


def paginate(qs: QuerySet[T], *, order: tuple[str, str], limit: int, token: str | None) -> Page[T]:
    """Rows after ``token`` in (``order[0]``, ``order[1]``) order; ``order[1]`` must be unique."""
    first, second = order
    qs = qs.order_by(first, second)
    if token:
        a, b = _decode(token, 2)
        if first.endswith("_at"):
            try:
                a = datetime.fromisoformat(a)
            except (TypeError, ValueError):
                raise InvalidParameter("The pagination token is not valid.") from None
        qs = qs.filter(Q(**{f"{first}__gt": a}) | Q(**{first: a, f"{second}__gt": b}))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], _encode([getattr(last, first), getattr(last, second)]))

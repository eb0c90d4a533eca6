"""The audit log: one row per security-relevant change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from userpools.context import ServiceContext
from userpools.models import AuditEvent
from userpools.services.compiled import CompiledInsert, rows_insert

_INSERT = CompiledInsert(AuditEvent)


def audit_row(
    ctx: ServiceContext, action: str, *, pool_id: str = "", target: str = "", **details: Any
) -> tuple[CompiledInsert, dict[str, Any]]:
    """The audit event's row, for :func:`~userpools.services.compiled.rows_insert` with
    the change it records (one statement for both)."""
    return _INSERT, {
        "actor": ctx.actor[:256],
        "action": action,
        "pool_id": pool_id,
        "target": target[:256],
        "source_ip": ctx.source_ip,
        "request_id": ctx.request_id or "",
        "details": details,
    }


def audit_record(ctx: ServiceContext, action: str, *, pool_id: str = "", target: str = "", **details: Any) -> None:
    rows_insert(audit_row(ctx, action, pool_id=pool_id, target=target, **details))


AUDIT_KEPT_DAYS = 365


def audit_events_prune(older_than_days: int = AUDIT_KEPT_DAYS) -> int:
    """Delete audit events older than ``older_than_days``; returns how many went."""
    return AuditEvent.objects.filter(at__lt=timezone.now() - timedelta(days=older_than_days)).delete()[0]

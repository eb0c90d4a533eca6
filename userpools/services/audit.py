"""The audit log: one row per security-relevant change."""

from __future__ import annotations

from typing import Any

from userpools.context import ServiceContext
from userpools.models import AuditEvent
from userpools.services.compiled import CompiledInsert, rows_insert

_INSERT = CompiledInsert(AuditEvent)


def audit_row(ctx: ServiceContext, action: str, *, pool_id: str = "", target: str = "",
              **details: Any) -> tuple[CompiledInsert, dict[str, Any]]:  # fmt: skip
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

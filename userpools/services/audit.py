"""The audit log: one row per security-relevant change."""

from __future__ import annotations

from userpools.context import ServiceContext
from userpools.models import AuditEvent


def audit_record(ctx: ServiceContext, action: str, *, pool_id: str = "", target: str = "", **details) -> None:
    AuditEvent.objects.create(
        actor=ctx.actor[:256],
        action=action,
        pool_id=pool_id,
        target=target[:256],
        source_ip=ctx.source_ip,
        request_id=ctx.request_id or "",
        details=details,
    )

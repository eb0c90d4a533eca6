"""Who is acting, passed explicitly to services (never an HttpRequest)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from userpools.models import AppClient


@dataclass(frozen=True)
class ServiceContext:
    """The caller of a service function.

    ``actor`` names who acts for the audit log: ``operator:<username>``,
    ``key:<access key id>``, ``client:<client id>`` or ``system``.
    """

    actor: str = "system"
    source_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    extra: dict = field(default_factory=dict)


SYSTEM = ServiceContext()


def client_context(ctx: ServiceContext, client: AppClient) -> ServiceContext:
    """An anonymous caller of a public operation acts through its app client (audit log)."""
    if ctx.actor in ("anonymous", "system"):
        return dataclasses.replace(ctx, actor=f"client:{client.client_id}")
    return ctx

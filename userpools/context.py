"""Who is acting, passed explicitly to services (never an HttpRequest)."""

from __future__ import annotations

from dataclasses import dataclass, field


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

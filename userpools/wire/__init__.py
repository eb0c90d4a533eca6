"""The Cognito user-pool wire API: an explicit registry from operation name to handler.

Each handler takes the caller's context and the validated request (a dict in the
botocore input shape), calls one service, and returns the output shape. Handlers
hold no business rules and never touch the ORM; nothing becomes an operation by
accident. Operations of the model that are not in ``HANDLERS`` answer
``UnsupportedOperationException`` (see README's operations table).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpools.context import ServiceContext
from userpools.wire import (
    auth,
    devices,
    identity_providers,
    mfa,
    passkeys,
    pools,
    resource_servers,
    selfservice,
    tokens,
    users,
)

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    **auth.HANDLERS,
    **devices.HANDLERS,
    **identity_providers.HANDLERS,
    **mfa.HANDLERS,
    **passkeys.HANDLERS,
    **pools.HANDLERS,
    **resource_servers.HANDLERS,
    **selfservice.HANDLERS,
    **tokens.HANDLERS,
    **users.HANDLERS,
}

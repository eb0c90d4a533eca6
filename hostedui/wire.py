"""Wire handlers for the hosted pages' look: SetUICustomization / GetUICustomization, the
managed login branding operations and the terms operations. Merged with
:data:`userpools.wire.HANDLERS` into the cognito-idp registry (``config.wire.registry``);
userpools never imports hostedui."""

from __future__ import annotations

from collections.abc import Callable

from userpools.context import ServiceContext

HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {}

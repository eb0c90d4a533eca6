"""UI customization (the classic hosted UI): a pool's or an app client's CSS and logo."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction

from hostedui.models import UICustomization
from hostedui.services.branding.common import _client, decode_blob, image_type
from hostedui.services.css import sanitize_css
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter
from userpools.models import AppClient, UserPool
from userpools.services.audit import audit_record
from userpools.services.domains import pages_base_url
from userpools.services.pools import user_pool_get
from userpools.spec import validate_request

ALL_CLIENTS = "ALL"
# The classic logo: "no larger than 100 KB in size" (developer guide, hosted UI classic branding).
MAX_LOGO_BYTES = 100 * 1024


def _new_version(previous: str = "") -> str:
    """Cognito's version strings are timestamps (CSSVersion "20250115191928"); never repeat one."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    if previous.isdigit() and int(stamp) <= int(previous):
        stamp = str(int(previous) + 1)
    return stamp


def ui_customization_client_ref(customization: UICustomization) -> str:
    return customization.client.client_id if customization.client_id else ALL_CLIENTS


def ui_logo_path(customization: UICustomization) -> str | None:
    """The logo's path under the pool's page base, with the version in it (cached forever)."""
    if not customization.image_type:
        return None
    ext = "jpg" if customization.image_type == "jpeg" else "png"
    return f"assets/ui/{ui_customization_client_ref(customization)}/{customization.image_version}/logo.{ext}"


def ui_logo_url(customization: UICustomization) -> str | None:
    """GetUICustomization's ImageUrl: absolute, where the pool's pages are served."""
    path = ui_logo_path(customization)
    return f"{pages_base_url(customization.pool_id)}/{path}" if path else None


def _ui_target(pool: UserPool, client_ref: str | None) -> AppClient | None:
    if client_ref in (None, ALL_CLIENTS):
        return None
    return _client(pool, client_ref)


@transaction.atomic
def ui_customization_set(ctx: ServiceContext, request: Mapping[str, Any]) -> UICustomization | None:
    """SetUICustomization: the CSS and logo of the pool (ClientId ``ALL`` or none) or of one
    app client, replacing both ("You can't set CSS and logo customization separately"). A
    request with neither removes the customization (a client falls back to the pool's).

    The CSS is sanitized (:func:`hostedui.services.css.sanitize_css`) and stored normalized;
    the logo must be a PNG or JPEG of at most 100 KB. CSSVersion changes on every call.
    Raises ResourceNotFound (pool, client) and InvalidParameter.
    """
    validate_request("SetUICustomization", request)
    pool = user_pool_get(request["UserPoolId"], lock=True)
    client = _ui_target(pool, request.get("ClientId"))
    css = sanitize_css(request.get("CSS") or "")
    image = decode_blob(request.get("ImageFile") or b"", "ImageFile")
    kind = None
    if image:
        kind = image_type(image)
        if kind not in ("PNG", "JPEG"):
            raise InvalidParameter("ImageFile must be a PNG or JPEG image.")
        if len(image) > MAX_LOGO_BYTES:
            raise InvalidParameter(f"ImageFile must be at most {MAX_LOGO_BYTES // 1024} KB.")
    existing = UICustomization.objects.select_for_update().filter(pool=pool, client=client).first()
    target = client.client_id if client else ALL_CLIENTS
    if not css and not image:
        if existing is not None:
            existing.delete()
        audit_record(ctx, "ui_customization.remove", pool_id=pool.id, target=target)
        return None
    customization = existing or UICustomization(pool=pool, client=client)
    for attempt in range(2):
        version = _new_version(customization.css_version)
        customization.css = css
        customization.css_version = version
        customization.image = image or None
        customization.image_type = kind.lower() if kind else ""
        customization.image_version = version if image else ""
        try:
            with transaction.atomic():
                customization.save()
            break
        except IntegrityError:  # created concurrently (SQLite takes no row lock): update that one
            if attempt:
                raise
            customization = UICustomization.objects.select_for_update().get(pool=pool, client=client)
    audit_record(
        ctx, "ui_customization.set", pool_id=pool.id, target=target, css_version=version, has_image=bool(image)
    )
    return customization


def ui_customization_delete(ctx: ServiceContext, *, pool_id: str, client_id: str | None) -> None:
    """Remove a pool's (``client_id`` None or ``ALL``) or a client's customization."""
    ui_customization_set(ctx, {"UserPoolId": pool_id, "ClientId": client_id or ALL_CLIENTS})


def ui_customization_get(*, pool_id: str, client_id: str | None) -> UICustomization | None:
    """GetUICustomization: the client's customization, else the pool's, else None (Cognito
    "Returns an empty object if you haven't applied hosted UI branding to either the client
    or the user pool"). Raises ResourceNotFound for an unknown pool or client."""
    pool = user_pool_get(pool_id)
    client = _ui_target(pool, client_id)
    rows = UICustomization.objects.select_related("client").filter(pool=pool)
    if client is not None:
        own = rows.filter(client=client).first()
        if own is not None:
            return own
    return rows.filter(client__isnull=True).first()

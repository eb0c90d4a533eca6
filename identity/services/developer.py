"""Developer-authenticated identities: LookupDeveloperIdentity, MergeDeveloperIdentities,
UnlinkDeveloperIdentity (the identity pools themselves are identity/services/pools.py's)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from identity.models import Identity, IdentityLogin, IdentityPool
from identity.services import logins as login_service
from identity.services.pools import identity_pool_get
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter, ResourceConflict, ResourceNotFound
from userpools.services.audit import audit_record
from userpools.services.pagination import paginate


def _developer_pool(pool_id: str, provider_name: str | None = None, *, lock: bool = False) -> IdentityPool:
    pool = identity_pool_get(pool_id, lock=lock)
    if not pool.developer_provider_name:
        raise InvalidParameter("The identity pool has no developer provider.")
    if provider_name is not None and provider_name != pool.developer_provider_name:
        raise InvalidParameter(f"{provider_name!r} is not the developer provider of this identity pool.")
    return pool


@dataclass(frozen=True)
class DeveloperLookup:
    identity_id: str
    identifiers: list[str]
    next_token: str | None


def developer_identity_lookup(
    *,
    pool_id: str,
    identity_id: str | None = None,
    identifier: str | None = None,
    limit: int = 60,
    next_token: str | None = None,
) -> DeveloperLookup:
    """LookupDeveloperIdentity: the identity of a developer user identifier, or the
    identifiers of an identity (paginated). ResourceNotFoundException when there is none;
    ResourceConflictException when both are given and do not belong together."""
    pool = _developer_pool(pool_id)
    if not identity_id and not identifier:
        raise InvalidParameter("Either IdentityId or DeveloperUserIdentifier is required.")
    developer = IdentityLogin.objects.filter(pool=pool, provider=pool.developer_provider_name)
    if identifier:
        row = developer.filter(subject=identifier).first()
        if row is None:
            raise ResourceNotFound(f"Developer user identifier '{identifier}' not found.")
        if identity_id and row.identity_id != identity_id:
            raise ResourceConflict("The developer user identifier is linked to another identity.")
        identity_id = row.identity_id
    else:
        login_service.identity_get(identity_id, pool=pool)  # type: ignore[arg-type]
    page = paginate(
        developer.filter(identity_id=identity_id), order=("created_at", "id"), limit=limit, token=next_token
    )
    return DeveloperLookup(identity_id, [row.subject for row in page.items], page.next_token)  # type: ignore[arg-type]


@transaction.atomic
def developer_identities_merge(
    ctx: ServiceContext, *, pool_id: str, provider_name: str, source: str, destination: str
) -> Identity:
    """MergeDeveloperIdentities: every login of the source identifier's identity moves to
    the destination identifier's identity, and the source identity is deleted.
    ResourceConflictException when both identities hold different subjects of one public
    provider (Cognito merges developer-authenticated users only)."""
    pool = _developer_pool(pool_id, provider_name, lock=True)
    developer = IdentityLogin.objects.filter(pool=pool, provider=pool.developer_provider_name)
    rows = {row.subject: row for row in developer.filter(subject__in=[source, destination])}
    for identifier in (source, destination):
        if identifier not in rows:
            raise ResourceNotFound(f"Developer user identifier '{identifier}' not found.")
    source_identity = login_service.identity_get(rows[source].identity_id, lock=True)
    target = login_service.identity_get(rows[destination].identity_id, lock=True)
    if source_identity.pk == target.pk:
        return target
    held = {r.provider: r.subject for r in target.logins.exclude(provider=pool.developer_provider_name)}
    moving = list(source_identity.logins.all())
    for row in moving:
        if row.provider != pool.developer_provider_name and held.get(row.provider, row.subject) != row.subject:
            raise ResourceConflict(f"Both identities are linked to different {row.provider} users.")
    for row in moving:
        if row.provider != pool.developer_provider_name and row.provider in held:
            row.delete()  # the same subject: the destination already has it
    IdentityLogin.objects.filter(identity=source_identity).update(identity=target)
    source_identity.delete()
    Identity.objects.filter(pk=target.pk).update(updated_at=timezone.now())
    audit_record(ctx, "identity.merge", pool_id=pool.id, target=target.id, source=source_identity.id)
    return target


@transaction.atomic
def developer_identity_unlink(
    ctx: ServiceContext, *, pool_id: str, identity_id: str, provider_name: str, identifier: str
) -> None:
    """UnlinkDeveloperIdentity: the identifier no longer names the identity (which stays)."""
    pool = _developer_pool(pool_id, provider_name, lock=True)
    deleted, _ = IdentityLogin.objects.filter(
        pool=pool, provider=pool.developer_provider_name, subject=identifier, identity_id=identity_id
    ).delete()
    if not deleted:
        raise ResourceNotFound(f"Developer user identifier '{identifier}' is not linked to identity '{identity_id}'.")
    Identity.objects.filter(pk=identity_id).update(updated_at=timezone.now())
    audit_record(ctx, "identity.developer_unlink", pool_id=pool.id, target=identity_id)

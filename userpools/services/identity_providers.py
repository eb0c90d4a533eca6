"""A pool's identity providers (API reference: CreateIdentityProvider,
DescribeIdentityProvider, UpdateIdentityProvider, DeleteIdentityProvider,
ListIdentityProviders, GetIdentityProviderByIdentifier).

ProviderDetails per type are :mod:`userpools.services.idp_details`'s. The other rules:

* a name is unique within the pool: a second one is DuplicateProviderException ("{name}
  already exists in user pool {pool}", Cognito's message); a social provider is named after
  its type (``Google`` ...), so a pool has at most one of each; ``COGNITO`` (the pool's own
  users, in app clients' SupportedIdentityProviders) and the social types' names are not
  names for an OIDC or SAML provider; Update/DeleteIdentityProvider of ``COGNITO`` is
  UnsupportedIdentityProviderException;
* at most 300 providers a pool ("Quotas in Amazon Cognito"), LimitExceededException;
* AttributeMapping keys are attributes of the pool's schema (``custom:...`` included) or
  ``username``; ``sub`` and ``identities`` are Cognito's own and cannot be mapped. Cognito
  maps ``username`` to the provider's subject unless told otherwise: ``sub`` for Google,
  Sign in with Apple and OIDC, ``id`` for Facebook, ``user_id`` for Login with Amazon (SAML
  users are named by the assertion's NameID);
* IdpIdentifiers are unique within the pool (InvalidParameterException), at most 50 a
  provider (the model's limit);
* AcrMapping is for OIDC providers only (its documentation: "Only OIDC IdPs support ACR
  mapping");
* UpdateIdentityProvider changes what it is given: absent ProviderDetails, AttributeMapping,
  IdpIdentifiers or AcrMapping stay as they are; given ProviderDetails replace the old ones
  (endpoints are discovered again);
* deleting a provider removes it from the app clients that offered it
  (SupportedIdentityProviders) and ends its links to users (AdminLinkProviderForUser).

Secrets (client secrets, Apple's private key, the SAML encryption key) are encrypted at rest
(``userpools.crypto``); DescribeIdentityProvider shows the ``client_secret``, as Cognito
does, never Apple's ``private_key``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from userpools.context import ServiceContext
from userpools.errors import (
    DuplicateProvider,
    InvalidParameter,
    LimitExceeded,
    ResourceNotFound,
    UnsupportedIdentityProvider,
)
from userpools.models import AppClient, IdentityProvider, IdentityProviderIdentifier, ProviderLink, User, UserPool
from userpools.services.audit import audit_record
from userpools.services.idp_details import SECRET_KEY, Stored, provider_details
from userpools.services.pagination import Page, paginate
from userpools.services.pools import user_pool_get
from userpools.spec import validate_request

MAX_PROVIDERS_PER_POOL = 300
MAX_LIST_RESULTS = 50  # ProvidersListType's max; also the page size when MaxResults is absent or 0
COGNITO = "COGNITO"
SOCIAL_TYPES = frozenset({"Google", "Facebook", "LoginWithAmazon", "SignInWithApple"})
# The provider's subject: what ``username`` maps to unless the request says otherwise.
SUBJECT = {"Google": "sub", "SignInWithApple": "sub", "OIDC": "sub", "Facebook": "id", "LoginWithAmazon": "user_id"}
UNMAPPABLE = frozenset({"sub", "identities"})


def identity_provider_names(pool_id: str) -> set[str]:
    """The names of the pool's identity providers (app clients' SupportedIdentityProviders)."""
    return set(IdentityProvider.objects.filter(pool_id=pool_id).values_list("name", flat=True))


def identity_provider_get(*, pool_id: str, name: str, lock: bool = False) -> IdentityProvider:
    """The pool's provider; ResourceNotFoundException for an unknown pool or name."""
    qs = IdentityProvider.objects.select_for_update() if lock else IdentityProvider.objects
    provider = qs.filter(pool_id=pool_id, name=name).first()
    if provider is None:
        user_pool_get(pool_id)  # an unknown pool says so
        raise ResourceNotFound(f"Identity provider {name} does not exist.")
    return provider


def details_shown(provider: IdentityProvider) -> dict[str, str]:
    """ProviderDetails as DescribeIdentityProvider shows them: with the client secret, never
    Apple's private key."""
    shown = dict(provider.details)
    if SECRET_KEY.get(provider.provider_type) == "client_secret" and provider.secret:
        shown["client_secret"] = provider.secret
    return dict(sorted(shown.items()))


def _name_check(name: str, provider_type: str) -> None:
    if name.upper() == COGNITO:
        raise InvalidParameter(f"{name} is reserved for the user pool's own users and cannot name a provider.")
    if provider_type in SOCIAL_TYPES:
        if name != provider_type:
            raise InvalidParameter(f"A {provider_type} provider must be named {provider_type}.")
    elif name.lower() in {t.lower() for t in SOCIAL_TYPES}:
        raise InvalidParameter(
            f"{name} is the name of a social provider type and cannot name a {provider_type} provider."
        )


def _attribute_mapping(pool: UserPool, provider_type: str, requested: Mapping[str, str] | None) -> dict[str, str]:
    mapping = dict(requested or {})
    known = {a["Name"] for a in pool.schema} - UNMAPPABLE
    unknown = sorted(k for k in mapping if k != "username" and k not in known)
    if unknown:
        raise InvalidParameter(
            f"Invalid AttributeMapping: {', '.join(unknown)} {'is not an attribute' if len(unknown) == 1 else 'are not attributes'} of this user pool."
        )
    for key, value in mapping.items():
        if not value:
            raise InvalidParameter(f"Invalid AttributeMapping: the provider attribute for {key} is empty.")
    if "username" not in mapping and provider_type in SUBJECT:
        mapping["username"] = SUBJECT[provider_type]
    return mapping


def _identifiers(requested: list[str] | None) -> list[str]:
    identifiers = list(requested or [])
    if len(set(identifiers)) != len(identifiers):
        raise InvalidParameter("IdpIdentifiers must not repeat an identifier.")
    return identifiers


def _identifiers_store(provider: IdentityProvider, identifiers: list[str]) -> None:
    """Replace the provider's identifiers; another provider of the pool holding one is
    InvalidParameterException (the unique constraint settles concurrent claims)."""
    taken = (
        IdentityProviderIdentifier.objects.filter(pool_id=provider.pool_id, identifier__in=identifiers)
        .exclude(provider=provider)
        .values_list("identifier", flat=True)
        .first()
    )
    if taken:
        raise InvalidParameter(f"Duplicate identifier {taken}: another identity provider of the pool uses it.")
    IdentityProviderIdentifier.objects.filter(provider=provider).exclude(identifier__in=identifiers).delete()
    present = set(IdentityProviderIdentifier.objects.filter(provider=provider).values_list("identifier", flat=True))
    try:
        with transaction.atomic():
            IdentityProviderIdentifier.objects.bulk_create(
                IdentityProviderIdentifier(pool_id=provider.pool_id, provider=provider, identifier=i)
                for i in identifiers
                if i not in present
            )
    except IntegrityError:  # claimed concurrently
        raise InvalidParameter("Duplicate identifier: another identity provider of the pool uses it.") from None
    provider.idp_identifiers = identifiers


def _acr_mapping(provider_type: str, requested: Mapping[str, str] | None) -> dict[str, str]:
    if requested and provider_type != "OIDC":
        raise InvalidParameter("AcrMapping is supported for OIDC identity providers only.")
    return dict(requested or {})


def _apply_details(provider: IdentityProvider, given: Mapping[str, str], *, stored: Stored | None) -> None:
    result = provider_details(provider.provider_type, given, pool_id=provider.pool_id, stored=stored)
    provider.details = result.details
    provider.secret = result.secret
    provider.saml_metadata = result.saml_metadata
    provider.encryption_key = result.encryption_key


def identity_provider_create(ctx: ServiceContext, request: Mapping[str, Any]) -> IdentityProvider:
    """CreateIdentityProvider. Raises InvalidParameter, DuplicateProvider, ResourceNotFound
    (pool), LimitExceeded (300 a pool)."""
    validate_request("CreateIdentityProvider", request)
    name, provider_type = request["ProviderName"], request["ProviderType"]
    _name_check(name, provider_type)
    pool = user_pool_get(request["UserPoolId"])
    mapping = _attribute_mapping(pool, provider_type, request.get("AttributeMapping"))
    identifiers = _identifiers(request.get("IdpIdentifiers"))
    acr = _acr_mapping(provider_type, request.get("AcrMapping"))
    if IdentityProvider.objects.filter(pool=pool, name=name).exists():  # before any document is fetched
        raise DuplicateProvider(f"{name} already exists in user pool {pool.id}.")
    provider = IdentityProvider(
        pool=pool, name=name, provider_type=provider_type, attribute_mapping=mapping, acr_mapping=acr
    )
    _apply_details(provider, request["ProviderDetails"], stored=None)  # may fetch: outside the transaction
    with transaction.atomic():
        user_pool_get(pool.id, lock=True)  # the lock serializes the quota count
        if IdentityProvider.objects.filter(pool=pool, name=name).exists():
            raise DuplicateProvider(f"{name} already exists in user pool {pool.id}.")
        if IdentityProvider.objects.filter(pool=pool).count() >= MAX_PROVIDERS_PER_POOL:
            raise LimitExceeded(f"A user pool can have at most {MAX_PROVIDERS_PER_POOL} identity providers.")
        try:
            with transaction.atomic():
                provider.save()
        except IntegrityError:  # created concurrently
            raise DuplicateProvider(f"{name} already exists in user pool {pool.id}.") from None
        _identifiers_store(provider, identifiers)
        provider.save(update_fields=["idp_identifiers"])
        audit_record(
            ctx,
            "identity_provider.create",
            pool_id=pool.id,
            target=name,
            provider_type=provider_type,
            identifiers=identifiers,
        )
    return provider


def identity_provider_describe(*, pool_id: str, name: str) -> IdentityProvider:
    """DescribeIdentityProvider."""
    validate_request("DescribeIdentityProvider", {"UserPoolId": pool_id, "ProviderName": name})
    return identity_provider_get(pool_id=pool_id, name=name)


def _not_cognito(name: str) -> None:
    if name.upper() == COGNITO:
        raise UnsupportedIdentityProvider(f"{name} is the user pool's own directory, not an identity provider.")


def identity_provider_update(ctx: ServiceContext, request: Mapping[str, Any]) -> IdentityProvider:
    """UpdateIdentityProvider: what the request gives replaces what the provider had."""
    validate_request("UpdateIdentityProvider", request)
    _not_cognito(request["ProviderName"])
    current = identity_provider_get(pool_id=request["UserPoolId"], name=request["ProviderName"])
    mapping = acr = identifiers = None
    if request.get("AttributeMapping") is not None:
        mapping = _attribute_mapping(user_pool_get(current.pool_id), current.provider_type, request["AttributeMapping"])
    if request.get("AcrMapping") is not None:
        acr = _acr_mapping(current.provider_type, request["AcrMapping"])
    if request.get("IdpIdentifiers") is not None:
        identifiers = _identifiers(request["IdpIdentifiers"])
    if request.get("ProviderDetails") is not None:  # may fetch: outside the transaction
        stored = Stored(secret=current.secret, encryption_key=current.encryption_key, details=current.details)
        _apply_details(current, request["ProviderDetails"], stored=stored)
    changed = [k for k in ("ProviderDetails", "AttributeMapping", "IdpIdentifiers", "AcrMapping") if k in request]
    with transaction.atomic():
        provider = identity_provider_get(pool_id=current.pool_id, name=current.name, lock=True)
        if request.get("ProviderDetails") is not None:
            provider.details, provider.secret = current.details, current.secret
            provider.saml_metadata, provider.encryption_key = current.saml_metadata, current.encryption_key
        if mapping is not None:
            provider.attribute_mapping = mapping
        if acr is not None:
            provider.acr_mapping = acr
        if identifiers is not None:
            _identifiers_store(provider, identifiers)
        provider.save()
        audit_record(ctx, "identity_provider.update", pool_id=provider.pool_id, target=provider.name, changed=changed)
    return provider


def _linked_users(provider: IdentityProvider) -> list[int]:
    return list(ProviderLink.objects.filter(provider=provider).values_list("user_id", flat=True).distinct())


@transaction.atomic
def identity_provider_delete(ctx: ServiceContext, *, pool_id: str, name: str) -> None:
    """DeleteIdentityProvider: app clients stop offering it, its links to users end."""
    validate_request("DeleteIdentityProvider", {"UserPoolId": pool_id, "ProviderName": name})
    _not_cognito(name)
    provider = identity_provider_get(pool_id=pool_id, name=name, lock=True)
    users = _linked_users(provider)
    clients = []
    for client in AppClient.objects.select_for_update().filter(pool_id=pool_id).order_by("pk"):
        offered = client.settings.get("SupportedIdentityProviders") or []
        if name in offered:
            client.settings["SupportedIdentityProviders"] = [p for p in offered if p != name]
            client.save(update_fields=["settings", "updated"])
            clients.append(client.client_id)
    provider.delete()
    for user in User.objects.select_for_update().filter(pk__in=users).order_by("pk"):
        user_identities_refresh(user)
    audit_record(ctx, "identity_provider.delete", pool_id=pool_id, target=name, clients=clients, links=len(users))


def identity_provider_list(
    *, pool_id: str, max_results: int | None = None, next_token: str | None = None
) -> Page[IdentityProvider]:
    """ListIdentityProviders, oldest first. MaxResults 0..60 (absent or 0: 50; at most 50 a page)."""
    request: dict[str, Any] = {"UserPoolId": pool_id}
    if max_results is not None:
        request["MaxResults"] = max_results
    if next_token is not None:
        request["NextToken"] = next_token
    validate_request("ListIdentityProviders", request)
    user_pool_get(pool_id)
    return paginate(
        IdentityProvider.objects.filter(pool_id=pool_id),
        order=("created_at", "id"),
        limit=min(max_results or MAX_LIST_RESULTS, MAX_LIST_RESULTS),
        token=next_token,
    )


def identity_provider_by_identifier(*, pool_id: str, identifier: str) -> IdentityProvider:
    """GetIdentityProviderByIdentifier; ResourceNotFoundException when no provider of the
    pool has the identifier."""
    validate_request("GetIdentityProviderByIdentifier", {"UserPoolId": pool_id, "IdpIdentifier": identifier})
    row = (
        IdentityProviderIdentifier.objects.select_related("provider")
        .filter(pool_id=pool_id, identifier=identifier)
        .first()
    )
    if row is None:
        user_pool_get(pool_id)
        raise ResourceNotFound(f"Identity provider with identifier {identifier} does not exist.")
    return row.provider


def user_identities_refresh(user: User) -> None:
    """The user's ``identities`` attribute from their links (AdminLinkProviderForUser), in
    the shape Cognito gives it (AdminGetUser): a JSON list of ``userId``, ``providerName``,
    ``providerType``, ``issuer``, ``primary``, ``dateCreated`` (milliseconds)."""
    links = ProviderLink.objects.filter(user=user).select_related("provider").order_by("created_at", "pk")
    identities = [
        {
            "userId": link.attribute_value,
            "providerName": link.provider.name,
            "providerType": link.provider.provider_type,
            "issuer": None,
            "primary": False,
            "dateCreated": int(link.created_at.timestamp() * 1000),
        }
        for link in links
    ]
    attributes = dict(user.attributes)
    if identities:
        attributes["identities"] = json.dumps(identities, separators=(",", ":"))
    else:
        attributes.pop("identities", None)
    if attributes != user.attributes:
        user.attributes = attributes
        user.save(update_fields=["attributes", "updated_at"])

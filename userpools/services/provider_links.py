"""Links of provider identities to pool users (API reference: AdminLinkProviderForUser,
AdminDisableProviderForUser). The federated sign-in reads them: whoever signs in through
the provider with the linked attribute value becomes the destination user.

Rules (the operations' documentation in botocore's model):

* the SourceUser is an identity of one of the pool's identity providers, never a Cognito
  user (``Cognito``); for a social provider its ProviderAttributeName is ``Cognito_Subject``;
  for OIDC and SAML it is ``Cognito_Subject`` or a user pool attribute the provider's
  AttributeMapping maps ("You must map the claim to a user pool attribute in your IdP
  configuration, and set the user pool attribute name as the value of ProviderAttributeName");
* the DestinationUser is an existing user: ProviderName ``Cognito`` and the username (a
  federated user: the provider's name and the provider's user id); its
  ProviderAttributeName is ignored; "All attributes in the DestinationUser profile must be
  mutable": a user holding an immutable custom attribute cannot be linked;
* "The maximum number of federated identities linked to a user is five"
  (LimitExceededException);
* a provider identity links to one user: linking it to another is AliasExistsException,
  linking it again to the same user changes nothing;
* AdminDisableProviderForUser removes the link named exactly as it was made (ProviderName,
  ProviderAttributeName, ProviderAttributeValue); none such is UserNotFoundException.

The destination user's ``identities`` attribute lists its links, as AdminGetUser shows it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from userpools.context import ServiceContext
from userpools.errors import AliasExists, InvalidParameter, LimitExceeded, UserNotFound
from userpools.models import IdentityProvider, ProviderLink, User, UserPool
from userpools.services.audit import audit_record
from userpools.services.identity_providers import SOCIAL_TYPES, user_identities_refresh
from userpools.services.pools import user_pool_get
from userpools.services.users import user_find
from userpools.spec import validate_request

COGNITO_PROVIDER = "Cognito"
COGNITO_SUBJECT = "Cognito_Subject"
MAX_LINKS_PER_USER = 5


def link_key(attribute_name: str, attribute_value: str) -> str:
    return hashlib.sha256(f"{attribute_name}\x00{attribute_value}".encode()).hexdigest()


def linked_user(provider: IdentityProvider, attribute_name: str, attribute_value: str) -> User | None:
    """The pool user a provider identity is linked to (for the federated sign-in): the link
    made with exactly this ProviderAttributeName and value, or None."""
    link = (
        ProviderLink.objects.select_related("user")
        .filter(provider=provider, key=link_key(attribute_name, attribute_value))
        .first()
    )
    return link.user if link is not None else None


def _member(identifier: Mapping[str, Any], key: str, what: str) -> str:
    value = identifier.get(key)
    if not value:
        raise InvalidParameter(f"{what}.{key} is required.")
    return value


def _provider(pool: UserPool, name: str) -> IdentityProvider:
    provider = IdentityProvider.objects.filter(pool=pool, name=name).first()
    if provider is None:
        raise InvalidParameter(f"The provider {name} does not exist for User Pool {pool.id}")
    return provider


def _source_attribute(provider: IdentityProvider, name: str, what: str) -> None:
    if name == COGNITO_SUBJECT:
        return
    if provider.provider_type in SOCIAL_TYPES:
        raise InvalidParameter(
            f"{what}.ProviderAttributeName must be {COGNITO_SUBJECT} for a social identity provider."
        )
    if name not in provider.attribute_mapping:
        raise InvalidParameter(
            f"{what}.ProviderAttributeName {name} is neither {COGNITO_SUBJECT} nor a user pool attribute "
            f"the AttributeMapping of {provider.name} maps."
        )


def _destination(pool: UserPool, destination: Mapping[str, Any]) -> User:
    provider_name = _member(destination, "ProviderName", "DestinationUser")
    value = _member(destination, "ProviderAttributeValue", "DestinationUser")
    if provider_name.lower() == COGNITO_PROVIDER.lower():
        username = value
    else:  # a federated user is named {provider}_{the provider's user id}
        username = f"{_provider(pool, provider_name).name}_{value}"
    user = user_find(pool, username, lock=True)
    if user is None:
        raise UserNotFound("User does not exist.")
    return user


def _immutable_check(pool: UserPool, user: User) -> None:
    immutable = {
        a["Name"] for a in pool.schema if a["Name"].startswith(("custom:", "dev:")) and not a.get("Mutable", True)
    }
    held = sorted(name for name in user.attributes if name in immutable)
    if held:
        raise InvalidParameter(
            f"The destination user has immutable attributes ({', '.join(held)}); all its attributes must be mutable."
        )


@transaction.atomic
def provider_link(ctx: ServiceContext, request: Mapping[str, Any]) -> None:
    """AdminLinkProviderForUser."""
    validate_request("AdminLinkProviderForUser", request)
    pool = user_pool_get(request["UserPoolId"])
    source = request["SourceUser"]
    source_name = _member(source, "ProviderName", "SourceUser")
    if source_name.lower() == COGNITO_PROVIDER.lower():
        raise InvalidParameter("SourceUser must be a federated user, not a Cognito user.")
    attribute_name = _member(source, "ProviderAttributeName", "SourceUser")
    attribute_value = _member(source, "ProviderAttributeValue", "SourceUser")
    provider = _provider(pool, source_name)
    _source_attribute(provider, attribute_name, "SourceUser")
    user = _destination(pool, request["DestinationUser"])
    _immutable_check(pool, user)
    key = link_key(attribute_name, attribute_value)
    existing = ProviderLink.objects.filter(provider=provider, key=key).first()
    if existing is not None:
        if existing.user_id == user.pk:
            return
        raise AliasExists("The source user is already linked to another user of the pool.")
    if ProviderLink.objects.filter(user=user).count() >= MAX_LINKS_PER_USER:
        raise LimitExceeded(f"A user can have at most {MAX_LINKS_PER_USER} linked identities.")
    try:
        with transaction.atomic():
            ProviderLink.objects.create(
                pool=pool,
                provider=provider,
                user=user,
                attribute_name=attribute_name,
                attribute_value=attribute_value,
                key=key,
            )
    except IntegrityError:  # linked concurrently
        raise AliasExists("The source user is already linked to another user of the pool.") from None
    user_identities_refresh(user)
    audit_record(
        ctx,
        "provider_link.create",
        pool_id=pool.id,
        target=user.username,
        provider=provider.name,
        attribute=attribute_name,
    )


@transaction.atomic
def provider_unlink(ctx: ServiceContext, request: Mapping[str, Any]) -> None:
    """AdminDisableProviderForUser for a provider identity: its link ends."""
    validate_request("AdminDisableProviderForUser", request)
    pool = user_pool_get(request["UserPoolId"])
    identity = request["User"]
    provider_name = _member(identity, "ProviderName", "User")
    if provider_name.lower() == COGNITO_PROVIDER.lower():
        raise InvalidParameter("Disabling password sign-in of a Cognito user (ProviderName Cognito) is not supported.")
    attribute_name = _member(identity, "ProviderAttributeName", "User")
    attribute_value = _member(identity, "ProviderAttributeValue", "User")
    provider = _provider(pool, provider_name)
    _source_attribute(provider, attribute_name, "User")
    link = (
        ProviderLink.objects.select_for_update()
        .filter(provider=provider, key=link_key(attribute_name, attribute_value))
        .first()
    )
    if link is None:
        raise UserNotFound("User does not exist.")
    user = User.objects.select_for_update().get(pk=link.user_id)
    link.delete()
    user_identities_refresh(user)
    audit_record(
        ctx,
        "provider_link.delete",
        pool_id=pool.id,
        target=user.username,
        provider=provider.name,
        attribute=attribute_name,
    )

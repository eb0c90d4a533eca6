"""Concurrent changes to a pool's identity providers (docs/architecture.md, Conventions: race
tests run the service in threads; they need PostgreSQL, ``threaded`` skips them elsewhere):
a name, an identifier and a provider identity each end up with exactly one owner, and every
loser gets the typed error, never a 500."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.identityproviders.conftest import idp_metadata
from tests.races import race, threaded
from userpools.context import SYSTEM
from userpools.models import IdentityProvider, IdentityProviderIdentifier, ProviderLink, User
from userpools.services import users
from userpools.services.identity_providers import identity_provider_create
from userpools.services.pools import user_pool_create
from userpools.services.provider_links import provider_link

pytestmark = [pytest.mark.django_db(transaction=True), threaded]
THREADS = 6


def saml_request(pool_id: str, name: str, identifiers=()):
    return {
        "UserPoolId": pool_id,
        "ProviderName": name,
        "ProviderType": "SAML",
        "ProviderDetails": {"MetadataFile": idp_metadata()},
        "IdpIdentifiers": list(identifiers),
    }


def test_one_provider_of_a_name():
    pool = user_pool_create(SYSTEM, {"PoolName": "race"})
    results = race(*[lambda: identity_provider_create(SYSTEM, saml_request(pool.id, "Corp"))] * THREADS)
    assert Counter(results) == {"ok": 1, "DuplicateProviderException": THREADS - 1}
    assert IdentityProvider.objects.filter(pool=pool).count() == 1


def test_one_owner_of_an_identifier():
    pool = user_pool_create(SYSTEM, {"PoolName": "race"})
    calls = [
        (lambda i=i: identity_provider_create(SYSTEM, saml_request(pool.id, f"Corp{i}", ["example.com"])))
        for i in range(THREADS)
    ]
    results = race(*calls)
    assert Counter(results) == {"ok": 1, "InvalidParameterException": THREADS - 1}
    assert IdentityProvider.objects.filter(pool=pool).count() == 1
    assert IdentityProviderIdentifier.objects.filter(pool=pool).count() == 1


def test_one_user_of_a_provider_identity():
    pool = user_pool_create(SYSTEM, {"PoolName": "race"})
    identity_provider_create(SYSTEM, saml_request(pool.id, "Corp"))
    for i in range(THREADS):
        users.user_create(
            SYSTEM, pool=pool, username=f"user{i}", password=None, attributes={}, status=User.Status.CONFIRMED
        )

    def link(i: int):
        provider_link(
            SYSTEM,
            {
                "UserPoolId": pool.id,
                "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": f"user{i}"},
                "SourceUser": {
                    "ProviderName": "Corp",
                    "ProviderAttributeName": "Cognito_Subject",
                    "ProviderAttributeValue": "nameid-1",
                },
            },
        )

    results = race(*[(lambda i=i: link(i)) for i in range(THREADS)])
    assert Counter(results) == {"ok": 1, "AliasExistsException": THREADS - 1}
    assert ProviderLink.objects.count() == 1

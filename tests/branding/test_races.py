"""Concurrent creation of what exists once per client (docs/architecture.md, Conventions): one style per
app client, one terms document per name, one UI customization per client. Exactly one
creation wins, the others get the typed error (or, for SetUICustomization, update the one
row); nothing crashes.

As in tests/tokens/test_races.py, skipped where the test database fails concurrent writers
at once (in-memory SQLite) instead of making them wait.
"""

from __future__ import annotations

from collections import Counter

import pytest

from hostedui.models import ManagedLoginBranding, Terms, UICustomization
from hostedui.services import branding, terms
from tests.branding.conftest import oauth_client_request
from tests.races import race, threaded
from userpools.context import SYSTEM
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = [pytest.mark.django_db(transaction=True), threaded]
THREADS = 6


@pytest.fixture
def app():
    pool = user_pool_create(SYSTEM, {"PoolName": "races"})
    return pool, user_pool_client_create(SYSTEM, oauth_client_request(pool.id))


def _race(call) -> Counter:
    return Counter(race(*[call] * THREADS))


def test_one_style_per_client(app):
    pool, client = app
    outcomes = _race(
        lambda: branding.managed_login_branding_create(
            SYSTEM, {"UserPoolId": pool.id, "ClientId": client.client_id, "UseCognitoProvidedValues": True}
        )
    )
    assert outcomes == Counter({"ok": 1, "ManagedLoginBrandingExistsException": THREADS - 1})
    assert ManagedLoginBranding.objects.count() == 1


def test_one_terms_document_per_name(app):
    pool, client = app
    outcomes = _race(
        lambda: terms.terms_create(
            SYSTEM,
            {
                "UserPoolId": pool.id,
                "ClientId": client.client_id,
                "TermsName": "terms-of-use",
                "TermsSource": "LINK",
                "Enforcement": "NONE",
                "Links": {"cognito:default": "https://example.com/t"},
            },
        )
    )
    assert outcomes == Counter({"ok": 1, "TermsExistsException": THREADS - 1})
    assert Terms.objects.count() == 1


def test_one_ui_customization_per_client(app):
    pool, client = app
    outcomes = _race(
        lambda: branding.ui_customization_set(
            SYSTEM, {"UserPoolId": pool.id, "ClientId": client.client_id, "CSS": ".label-customizable{color:red}"}
        )
    )
    assert outcomes == Counter({"ok": THREADS})
    assert UICustomization.objects.count() == 1

"""Concurrent redemptions of one authorization code at ``/oauth2/token`` (RFC 6749 §4.1.2:
a code is good once). The code's ``Grant`` row is locked from the validator's check until
it is spent, in the request's transaction (hostedui/views/oauth.py), so exactly one request
gets tokens; the others see a used code, answer ``invalid_grant`` and revoke what it gave.
PostgreSQL only (tests/races.py)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.hostedui.conftest import CALLBACK
from tests.races import concurrently, threaded
from userpools.models import RefreshToken

pytestmark = [pytest.mark.django_db(transaction=True), threaded]

THREADS = 5


def test_concurrent_redemptions_of_one_code(browser, oauth_app):
    code = browser.code(scope="openid")
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "client_id": oauth_app.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": browser.verifier,
        }
    )

    def redeem():
        response = Client().post(
            f"{oauth_app.base}oauth2/token", form, content_type="application/x-www-form-urlencoded"
        )
        return response.status_code, response.json().get("error")

    results = concurrently(*[redeem for _ in range(THREADS)])
    assert sorted(results, key=str) == sorted([(200, None)] + [(400, "invalid_grant")] * (THREADS - 1), key=str)
    assert RefreshToken.objects.count() == 1  # one issue
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()  # the reuses revoked it

"""PKCE on the authorization code grant (finding 8 of issue G0).

A public app client (no secret) cannot prove who redeems its codes, so a code stolen from
the redirect (another app registered for the same custom scheme, a logged URL, a referrer)
is as good as tokens. RFC 7636 binds the code to a secret only the real client holds; RFC
9700 §2.1.1 says public clients must use it, with S256 (``plain`` shows the secret in the
authorization request itself). So: a public client's authorization request without an S256
``code_challenge`` is refused with an ``invalid_request`` redirect, unless its pool's
Cognate setting ``pkce_optional_for_public_clients`` relaxes this for legacy clients.
Confidential clients authenticate at the token endpoint and may still use PKCE or not.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.hostedui import conftest as hosted
from tests.hostedui.conftest import CALLBACK, HostedBrowser, OAuthApp, pkce_pair, query_of
from tests.tokens import conftest as token_fixtures

# The hosted pages' fixtures (tests/hostedui/conftest.py), which pytest finds by these names.
_fresh_key_cache = hosted._fresh_key_cache
make_user = token_fixtures.make_user
make_pool_user, make_oauth_client, oauth_app, browser = (
    hosted.make_pool_user,
    hosted.make_oauth_client,
    hosted.oauth_app,
    hosted.browser,
)
from userpools.context import SYSTEM
from userpools.services.pools import user_pool_set_pkce_optional

FORM = "application/x-www-form-urlencoded"


def redeem(http: Client, app, code: str, client_id: str | None = None, **extra):
    data = {
        "grant_type": "authorization_code",
        "client_id": client_id or app.client_id,
        "code": code,
        "redirect_uri": CALLBACK,
        **extra,
    }
    return http.post(f"{app.base}oauth2/token", urlencode(data), content_type=FORM)


def refused(response) -> str:
    """The OAuth error of an authorization response that went back to the client."""
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith(CALLBACK + "?"), response["Location"]
    params = query_of(response["Location"])
    assert params.get("state") == "st"
    return params["error"]


# --- Public clients ------------------------------------------------------------------------------


def test_a_public_client_without_a_code_challenge_is_refused(browser):
    assert refused(browser.authorize(state="st", code_challenge=None)) == "invalid_request"


def test_the_hosted_login_page_refuses_it_too(browser, oauth_app):
    # The pages re-check the carried request: going to /login directly does not skip the check.
    query = urlencode(
        {"client_id": oauth_app.client_id, "response_type": "code", "redirect_uri": CALLBACK, "state": "st"}
    )
    assert refused(browser.http.get(f"{oauth_app.base}login?{query}")) == "invalid_request"


@pytest.mark.parametrize("method", ["plain", None])  # no method means plain (RFC 7636 §4.3)
def test_a_public_client_may_not_use_plain(browser, method):
    _, challenge = pkce_pair("plain")
    response = browser.authorize(state="st", code_challenge=challenge, code_challenge_method=method)
    assert refused(response) == "invalid_request"


def test_s256_works_end_to_end_and_the_verifier_must_match(browser, oauth_app):
    verifier, challenge = pkce_pair("S256")
    code = browser.code(code_challenge=challenge, code_challenge_method="S256")
    assert redeem(browser.http, oauth_app, code, code_verifier=pkce_pair()[0]).json()["error"] == "invalid_grant"
    code = browser.code(code_challenge=challenge, code_challenge_method="S256")
    assert redeem(browser.http, oauth_app, code).json()["error"] == "invalid_grant"  # no verifier
    code = browser.code(code_challenge=challenge, code_challenge_method="S256")
    answer = redeem(browser.http, oauth_app, code, code_verifier=verifier)
    assert answer.status_code == 200, answer.content
    assert {"access_token", "id_token", "refresh_token"} <= set(answer.json())


def test_a_code_issued_without_pkce_is_not_redeemed_once_pkce_is_required(browser, oauth_app):
    # Codes live five minutes: one issued while the pool was relaxed is refused once it is not.
    user_pool_set_pkce_optional(SYSTEM, pool_id=oauth_app.pool_id, optional=True)
    code = browser.code(code_challenge=None)
    user_pool_set_pkce_optional(SYSTEM, pool_id=oauth_app.pool_id, optional=False)
    assert redeem(browser.http, oauth_app, code).json()["error"] == "invalid_grant"


def test_the_pool_setting_lets_a_legacy_public_client_through(browser, oauth_app):
    user_pool_set_pkce_optional(SYSTEM, pool_id=oauth_app.pool_id, optional=True)
    code = browser.code(code_challenge=None)
    assert redeem(browser.http, oauth_app, code).status_code == 200
    verifier, challenge = pkce_pair("plain")
    code = browser.code(code_challenge=challenge, code_challenge_method="plain")
    assert redeem(browser.http, oauth_app, code, code_verifier=verifier).status_code == 200


def test_the_implicit_grant_needs_no_code_challenge(browser):
    # PKCE is of the code grant (RFC 7636 §1); the implicit grant is governed by AllowedOAuthFlows.
    response = browser.authorize(response_type="token", code_challenge=None)
    assert response.status_code == 302 and "/login?" in response["Location"]


# --- Confidential clients ------------------------------------------------------------------------


@pytest.fixture
def confidential(oauth_app, make_oauth_client):
    client = make_oauth_client(oauth_app.pool_id, "server", GenerateSecret=True)
    return client, client.secrets.first().secret


@pytest.mark.parametrize("method", [None, "S256", "plain"])
def test_confidential_clients_are_unaffected(oauth_app, confidential, method):
    client, secret = confidential
    browser = HostedBrowser(OAuthApp(pool_id=oauth_app.pool_id, client=client, user=oauth_app.user))
    verifier, challenge = pkce_pair(method or "S256")
    pkce = {"code_challenge": challenge, "code_challenge_method": method} if method else {"code_challenge": None}
    code = browser.code(**pkce)
    extra = {"client_secret": secret, **({"code_verifier": verifier} if method else {})}
    answer = redeem(browser.http, oauth_app, code, client_id=client.client_id, **extra)
    assert answer.status_code == 200, answer.content


# --- The pool setting in the admin console ---------------------------------------------------------


def test_operators_set_the_pool_setting_in_the_admin_console(client, make_operator, oauth_app):
    from django.urls import reverse

    from userpools.models import AuditEvent, UserPool

    client.force_login(make_operator("root", is_superuser=True))
    url = reverse("admin:userpools_userpool_change", args=[oauth_app.pool_id])
    assert b"PkceOptionalForPublicClients" in client.get(url).content
    form = {
        "PoolName": "hosted",
        "UserPoolTier": "ESSENTIALS",
        "DeletionProtection": "INACTIVE",
        "MfaConfiguration": "OFF",
        "MinimumLength": "8",
        "RequireUppercase": "on",
        "RequireLowercase": "on",
        "RequireNumbers": "on",
        "RequireSymbols": "on",
        "TemporaryPasswordValidityDays": "7",
        "advanced": "",
        "_save": "Save",
    }
    assert client.post(url, {**form, "PkceOptionalForPublicClients": "on"}).status_code == 302
    assert UserPool.objects.get(pk=oauth_app.pool_id).pkce_optional_for_public_clients is True
    assert AuditEvent.objects.filter(action="user_pool.pkce_policy", pool_id=oauth_app.pool_id).exists()
    assert client.post(url, form).status_code == 302  # an unchecked box turns it off again
    assert UserPool.objects.get(pk=oauth_app.pool_id).pkce_optional_for_public_clients is False

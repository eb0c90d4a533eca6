"""``/oauth2/token`` and ``/oauth2/revoke`` on django-oauth-toolkit's and oauthlib's server
(hostedui/services/validator.py): the refusals of Cognito's validator and of the server's own
checks, through the HTTP endpoints with Django's test client."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import jwt
import pytest
from django.test import Client

from tests.hostedui.conftest import CALLBACK, HostedBrowser, OAuthApp, pkce_pair
from userpools.context import SYSTEM
from userpools.models import RefreshToken
from userpools.services.resource_servers import resource_server_create

FORM = "application/x-www-form-urlencoded"


def post(http, url: str, data, **extra):
    return http.post(url, urlencode(data), content_type=FORM, **extra)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def code_form(browser: HostedBrowser, code: str, **extra) -> dict:
    data = {
        "grant_type": "authorization_code",
        "client_id": browser.app.client_id,
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": browser.verifier,
        **extra,
    }
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def confidential(oauth_app, make_oauth_client) -> tuple[HostedBrowser, str]:
    client = make_oauth_client(oauth_app.pool_id, "server", GenerateSecret=True)
    return HostedBrowser(OAuthApp(oauth_app.pool_id, client, oauth_app.user)), client.secrets.first().secret


def token_url(app) -> str:
    return f"{app.base}oauth2/token"


def test_a_wrong_secret_is_refused_and_the_code_survives(confidential):
    browser, secret = confidential
    code = browser.code()
    data = code_form(browser, code)
    data.pop("client_id")
    wrong = post(browser.http, token_url(browser.app), data, HTTP_AUTHORIZATION=basic(browser.app.client_id, "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong["WWW-Authenticate"] == 'Basic realm="oauth2"'  # the scheme the client used, not Bearer
    posted = post(
        browser.http, token_url(browser.app), {**data, "client_id": browser.app.client_id, "client_secret": "x"}
    )
    assert posted.status_code == 400 and posted.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" not in posted
    ok = post(browser.http, token_url(browser.app), data, HTTP_AUTHORIZATION=basic(browser.app.client_id, secret))
    assert ok.status_code == 200, ok.content


def test_basic_credentials_for_another_client_id_than_the_form_names_are_refused(confidential, oauth_app):
    browser, secret = confidential
    data = code_form(browser, browser.code(), client_id=oauth_app.client_id)
    answer = post(browser.http, token_url(browser.app), data, HTTP_AUTHORIZATION=basic(browser.app.client_id, secret))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize("header", ["Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()])
def test_an_unusable_authorization_header_is_invalid_client(confidential, header):
    browser, _ = confidential
    answer = post(browser.http, token_url(browser.app), {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_the_redirect_uri_must_match_and_be_given(browser, oauth_app):
    code = browser.code()
    other = post(browser.http, token_url(oauth_app), code_form(browser, code, redirect_uri=CALLBACK + "/"))
    assert other.json() == {
        "error": "invalid_grant",
        "error_description": "The redirect_uri does not match the authorization request's.",
    }
    data = code_form(browser, code)
    data.pop("redirect_uri")
    assert post(browser.http, token_url(oauth_app), data).json()["error"] == "invalid_request"  # oauthlib's: missing
    assert post(browser.http, token_url(oauth_app), code_form(browser, code)).status_code == 200


@pytest.mark.parametrize("verifier", [None, "short", "x" * 129, "a" * 42 + "!"])
def test_a_missing_or_malformed_verifier_is_invalid_grant_and_spends_nothing(browser, oauth_app, verifier):
    code = browser.code()
    answer = post(
        browser.http,
        token_url(oauth_app),
        {**code_form(browser, code, code_verifier=None), **({"code_verifier": verifier} if verifier else {})},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert post(browser.http, token_url(oauth_app), code_form(browser, code)).status_code == 200


def test_a_wrong_verifier_is_invalid_grant(browser, oauth_app):
    code = browser.code()
    answer = post(browser.http, token_url(oauth_app), code_form(browser, code, code_verifier=pkce_pair()[0]))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused_and_revokes_the_first_tokens(browser, oauth_app):
    code = browser.code()
    first = post(browser.http, token_url(oauth_app), code_form(browser, code))
    assert first.status_code == 200
    assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 1
    again = post(browser.http, token_url(oauth_app), code_form(browser, code))
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code has already been used.",
    }
    assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_a_scope_not_allowed_is_invalid_scope(oauth_app, make_oauth_client):
    resource_server_create(
        SYSTEM,
        {
            "UserPoolId": oauth_app.pool_id,
            "Identifier": "notes",
            "Name": "notes",
            "Scopes": [{"ScopeName": "read", "ScopeDescription": "r"}, {"ScopeName": "write", "ScopeDescription": "w"}],
        },
    )
    machine = make_oauth_client(
        oauth_app.pool_id,
        "machine",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["notes/read"],
        CallbackURLs=[],
    )
    secret = machine.secrets.first().secret
    url = token_url(oauth_app)
    answer = post(
        Client(),
        url,
        {"grant_type": "client_credentials", "scope": "notes/read notes/write"},
        HTTP_AUTHORIZATION=basic(machine.client_id, secret),
    )
    assert answer.status_code == 400 and answer.json() == {
        "error": "invalid_scope",
        "error_description": "The scope notes/write is not allowed for this client.",
    }
    granted = post(
        Client(), url, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(machine.client_id, secret)
    )
    assert granted.status_code == 200 and set(granted.json()) == {"access_token", "token_type", "expires_in"}


def test_the_answer_has_cognitos_shape_and_no_scope_member(browser, oauth_app):
    answer = post(browser.http, token_url(oauth_app), code_form(browser, browser.code(scope="openid")))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer["Cache-Control"] == "no-store" and answer["Pragma"] == "no-cache"
    assert set(answer.json()) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}


def test_a_refresh_ignores_a_scope_parameter(browser, oauth_app):
    body = post(browser.http, token_url(oauth_app), code_form(browser, browser.code(scope="openid email"))).json()
    answer = post(
        browser.http,
        token_url(oauth_app),
        {
            "grant_type": "refresh_token",
            "client_id": oauth_app.client_id,
            "refresh_token": body["refresh_token"],
            "scope": "openid phone",
        },
    )
    assert answer.status_code == 200, answer.content
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert claims["scope"] == "openid email"


def test_another_clients_refresh_token_is_invalid_grant(browser, oauth_app, make_oauth_client):
    body = post(browser.http, token_url(oauth_app), code_form(browser, browser.code())).json()
    other = make_oauth_client(oauth_app.pool_id, "other")
    answer = post(
        browser.http,
        token_url(oauth_app),
        {"grant_type": "refresh_token", "client_id": other.client_id, "refresh_token": body["refresh_token"]},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_the_body_must_be_a_form_with_each_parameter_once(browser, oauth_app):
    code = browser.code()
    url = token_url(oauth_app)
    as_json = browser.http.post(url, code_form(browser, code), content_type="application/json")
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    repeated = browser.http.post(url, urlencode(code_form(browser, code)) + "&code=again", content_type=FORM)
    assert repeated.json() == {"error": "invalid_request", "error_description": "The code parameter is repeated."}
    too_long = post(browser.http, url, code_form(browser, code, state="x" * 3000))
    assert too_long.json()["error"] == "invalid_request"
    assert post(browser.http, url + "?code=x", code_form(browser, code)).json()["error"] == "invalid_request"
    assert post(browser.http, url, code_form(browser, code)).status_code == 200  # none of these spent the code


def test_an_empty_parameter_counts_as_missing(browser, oauth_app):
    answer = post(browser.http, token_url(oauth_app), code_form(browser, "", redirect_uri=CALLBACK))
    assert answer.json()["error"] == "invalid_request"


# --- /oauth2/revoke ------------------------------------------------------------------------------------


def test_revocation_refusals(browser, oauth_app, confidential, make_oauth_client):
    body = post(browser.http, token_url(oauth_app), code_form(browser, browser.code())).json()
    url = f"{oauth_app.base}oauth2/revoke"
    hinted = post(
        browser.http,
        url,
        {"token": body["refresh_token"], "token_type_hint": "access_token", "client_id": oauth_app.client_id},
    )
    assert hinted.status_code == 400 and hinted.json()["error"] == "unsupported_token_type"
    other = make_oauth_client(oauth_app.pool_id, "other")
    foreign = post(browser.http, url, {"token": body["refresh_token"], "client_id": other.client_id})
    assert foreign.status_code == 400 and foreign.json()["error"] == "invalid_grant"
    server, _ = confidential
    wrong = post(
        browser.http, url, {"token": body["refresh_token"]}, HTTP_AUTHORIZATION=basic(server.app.client_id, "nope")
    )
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Basic")
    unknown = post(browser.http, url, {"token": body["refresh_token"], "client_id": "nosuchclient"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"
    repeated = browser.http.post(
        url,
        urlencode({"token": body["refresh_token"], "client_id": oauth_app.client_id}) + "&token=x",
        content_type=FORM,
    )
    assert repeated.json()["error"] == "invalid_request"
    assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 1  # nothing was revoked
    ok = post(browser.http, url, {"token": body["refresh_token"], "client_id": oauth_app.client_id})
    assert ok.status_code == 200 and ok.content == b"" and ok["Cache-Control"] == "no-store"
    assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 0

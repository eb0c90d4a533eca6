"""The OAuth 2.0 / OIDC endpoints with Django's test client: authorize, token, userInfo,
revoke, logout (Cognito's rules; RFC 6749, 7636, 7009; OpenID Connect Core)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import jwt
import pytest

from tests.hostedui.conftest import (
    CALLBACK,
    LOGOUT,
    PASSWORD,
    HostedBrowser,
    fragment_of,
    pkce_pair,
    pkce_params,
    query_of,
)
from userpools.context import SYSTEM
from userpools.errors import NotAuthorized
from userpools.models import User
from userpools.services import tokens
from userpools.services.clients import user_pool_client_update
from userpools.services.pools import user_pool_set_pkce_optional

FORM = "application/x-www-form-urlencoded"


def post_form(http, url, data, **extra):
    return http.post(url, urlencode(data), content_type=FORM, **extra)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def redeem(browser: HostedBrowser, code: str, **extra):
    data = {
        "grant_type": "authorization_code",
        "client_id": browser.app.client_id,
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": browser.verifier,
        **extra,
    }
    return post_form(browser.http, f"{browser.app.base}oauth2/token", {k: v for k, v in data.items() if v is not None})


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


# --- /oauth2/authorize ---------------------------------------------------------------------------


def test_authorize_sends_the_browser_to_the_login_page_with_the_request(browser):
    pkce, _ = pkce_params()
    response = browser.authorize(scope="openid", state="s1", **pkce)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{browser.app.base}login?")
    assert query_of(location) == {
        "client_id": browser.app.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s1",
        **pkce,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "nosuchclient"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example.com/callback"},
        {"redirect_uri": CALLBACK + "/"},  # callback URLs match exactly
    ],
)
def test_a_bad_client_or_redirect_uri_is_shown_never_redirected(browser, params):
    response = browser.authorize(**params)
    assert response.status_code == 400
    assert "Location" not in response
    assert b"Something went wrong" in response.content


@pytest.mark.parametrize(
    "params, error",
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "id_token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"scope": "openid", "code_challenge": None, "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "S512"}, "invalid_request"),
        ({"prompt": "sometimes"}, "invalid_request"),
        ({"identity_provider": "Google"}, "invalid_request"),
        ({"idp_identifier": "example.com"}, "invalid_request"),
    ],
)
def test_other_errors_go_back_to_the_client_with_state(browser, params, error):
    response = browser.authorize(state="st", **params)
    assert response.status_code == 302
    assert response["Location"].startswith(CALLBACK + "?")
    assert query_of(response["Location"]) == {
        "error": error,
        "state": "st",
        **{"error_description": query_of(response["Location"])["error_description"]},
    }


def test_a_client_without_the_flow_is_unauthorized(browser, oauth_app):
    user_pool_client_update(
        SYSTEM,
        {
            "UserPoolId": oauth_app.pool_id,
            "ClientId": oauth_app.client_id,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["implicit"],
            "AllowedOAuthScopes": ["openid"],
            "CallbackURLs": [CALLBACK],
            "SupportedIdentityProviders": ["COGNITO"],
        },
    )
    response = browser.authorize(state="st")
    assert query_of(response["Location"])["error"] == "unauthorized_client"


def test_a_client_without_oauth_is_unauthorized(browser, oauth_app):
    user_pool_client_update(
        SYSTEM, {"UserPoolId": oauth_app.pool_id, "ClientId": oauth_app.client_id, "CallbackURLs": [CALLBACK]}
    )
    assert query_of(browser.authorize()["Location"])["error"] == "unauthorized_client"


def test_repeated_parameters_are_refused(browser, oauth_app):
    url = browser.authorize_url() + "&response_type=token"
    response = browser.http.get(url)
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_an_unknown_pool_is_a_404_page(client, db):
    response = client.get("/us-east-1_NoSuchPool/oauth2/authorize?client_id=x")
    assert response.status_code == 404


# --- The code grant -------------------------------------------------------------------------------


def test_code_flow_with_pkce_gives_cognito_shaped_tokens(browser, oauth_app):
    verifier, challenge = pkce_pair()
    response = browser.sign_in(
        scope="openid email", state="xyz", nonce="n-1", code_challenge=challenge, code_challenge_method="S256"
    )
    assert response.status_code == 302
    params = query_of(response["Location"])
    assert params["state"] == "xyz" and set(params) == {"code", "state"}
    answer = redeem(browser, params["code"], code_verifier=verifier)
    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    id_claims, access = claims_of(body["id_token"]), claims_of(body["access_token"])
    assert id_claims["nonce"] == "n-1"
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert id_claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert id_claims["aud"] == oauth_app.client_id and id_claims["email"] == "alice@example.com"
    assert access["scope"] == "openid email" and access["client_id"] == oauth_app.client_id
    assert access["username"] == "alice"


def test_without_the_openid_scope_there_is_no_id_token(browser):
    code = browser.code(scope="aws.cognito.signin.user.admin")
    body = redeem(browser, code).json()
    assert "id_token" not in body
    assert claims_of(body["access_token"])["scope"] == "aws.cognito.signin.user.admin"


def test_no_scope_asked_means_every_allowed_scope(browser):
    body = redeem(browser, browser.code()).json()
    assert set(claims_of(body["access_token"])["scope"].split()) == {
        "openid",
        "email",
        "phone",
        "profile",
        "aws.cognito.signin.user.admin",
    }


def test_a_code_is_good_once_and_its_reuse_revokes_what_it_gave(browser, oauth_app):
    code = browser.code(scope="openid aws.cognito.signin.user.admin")
    first = redeem(browser, code)
    assert first.status_code == 200
    again = redeem(browser, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    refresh = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {
            "grant_type": "refresh_token",
            "client_id": oauth_app.client_id,
            "refresh_token": first.json()["refresh_token"],
        },
    )
    assert refresh.json()["error"] == "invalid_grant"
    with pytest.raises(NotAuthorized):
        tokens.access_token_authenticate(first.json()["access_token"])


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce_verifier_must_match(browser, oauth_app, method):
    if method == "plain":  # public clients use S256 unless their pool allows otherwise (tests/security/test_pkce.py)
        user_pool_set_pkce_optional(SYSTEM, pool_id=oauth_app.pool_id, optional=True)
    verifier, challenge = pkce_pair(method)
    code = browser.code(code_challenge=challenge, code_challenge_method=method)
    assert redeem(browser, code, code_verifier=pkce_pair()[0]).json()["error"] == "invalid_grant"
    code = browser.code(code_challenge=challenge, code_challenge_method=method)
    assert redeem(browser, code).json()["error"] == "invalid_grant"
    code = browser.code(code_challenge=challenge, code_challenge_method=method)
    assert redeem(browser, code, code_verifier=verifier).status_code == 200


def test_the_redirect_uri_must_be_the_authorization_requests(browser):
    code = browser.code()
    assert redeem(browser, code, redirect_uri="https://app.example.com/other").json()["error"] == "invalid_grant"


def test_another_clients_code_is_invalid(browser, oauth_app, make_oauth_client):
    other = make_oauth_client(oauth_app.pool_id, "other")
    code = browser.code()
    answer = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "authorization_code", "client_id": other.client_id, "code": code, "redirect_uri": CALLBACK},
    )
    assert answer.json()["error"] == "invalid_grant"


def test_an_expired_code_is_invalid(browser, monkeypatch):
    from hostedui.services import oauth

    code = browser.code()
    from oauth2_provider.models import Grant

    Grant.objects.update(expires=oauth.timezone.now())
    assert redeem(browser, code).json()["error"] == "invalid_grant"


def test_token_request_errors(browser, oauth_app):
    url = f"{oauth_app.base}oauth2/token"
    assert post_form(browser.http, url, {"client_id": oauth_app.client_id}).json()["error"] == "invalid_request"
    assert (
        post_form(browser.http, url, {"client_id": oauth_app.client_id, "grant_type": "password"}).json()["error"]
        == "unsupported_grant_type"
    )
    unknown = post_form(browser.http, url, {"client_id": "nope", "grant_type": "authorization_code", "code": "x"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"
    multipart = browser.http.post(url, {"client_id": oauth_app.client_id, "grant_type": "authorization_code"})
    assert multipart.json()["error"] == "invalid_request"
    assert browser.http.get(url).status_code == 405


# --- Clients with secrets -------------------------------------------------------------------------


@pytest.fixture
def secret_app(oauth_app, make_oauth_client):
    from hostedui.services.oauth import client_of_pool

    client = make_oauth_client(oauth_app.pool_id, "confidential", GenerateSecret=True)
    client = client_of_pool(client.pool, client.client_id)
    secret = client.secrets.first().secret
    return client, secret


def test_client_secret_basic_and_post(oauth_app, secret_app):
    client, secret = secret_app
    for auth in ("basic", "post"):
        browser = HostedBrowser(oauth_app)
        browser.app = type(oauth_app)(oauth_app.pool_id, client, oauth_app.user)
        code = browser.code()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": browser.verifier,
        }
        if auth == "basic":
            answer = post_form(
                browser.http, f"{oauth_app.base}oauth2/token", data, HTTP_AUTHORIZATION=basic(client.client_id, secret)
            )
        else:
            answer = post_form(
                browser.http,
                f"{oauth_app.base}oauth2/token",
                {**data, "client_id": client.client_id, "client_secret": secret},
            )
        assert answer.status_code == 200, (auth, answer.content)


def test_a_wrong_or_missing_secret_is_invalid_client(oauth_app, secret_app):
    client, secret = secret_app
    browser = HostedBrowser(type(oauth_app)(oauth_app.pool_id, client, oauth_app.user))
    code = browser.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": browser.verifier,
    }
    wrong = post_form(
        browser.http, f"{oauth_app.base}oauth2/token", data, HTTP_AUTHORIZATION=basic(client.client_id, secret + "x")
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong["WWW-Authenticate"].startswith("Basic")
    missing = post_form(browser.http, f"{oauth_app.base}oauth2/token", {**data, "client_id": client.client_id})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_client"
    both = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {**data, "client_secret": secret},
        HTTP_AUTHORIZATION=basic(client.client_id, secret),
    )
    assert both.json()["error"] == "invalid_request"
    # the code survived the refused attempts
    ok = post_form(
        browser.http, f"{oauth_app.base}oauth2/token", data, HTTP_AUTHORIZATION=basic(client.client_id, secret)
    )
    assert ok.status_code == 200


# --- Refresh -----------------------------------------------------------------------------------------


def test_refresh_token_grant_and_its_tokens_work_on_the_wire_api_too(browser, oauth_app):
    body = redeem(browser, browser.code(scope="openid profile aws.cognito.signin.user.admin")).json()
    answer = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "refresh_token", "client_id": oauth_app.client_id, "refresh_token": body["refresh_token"]},
    )
    assert answer.status_code == 200, answer.content
    refreshed = answer.json()
    assert set(refreshed) == {"access_token", "id_token", "token_type", "expires_in"}
    assert claims_of(refreshed["access_token"])["scope"] == "openid profile aws.cognito.signin.user.admin"
    user, _ = tokens.access_token_authenticate(refreshed["access_token"])
    assert user.username == "alice"
    # InitiateAuth REFRESH_TOKEN_AUTH takes the OAuth refresh token (one token store)
    from userpools import signin as auth

    outcome = auth.auth_initiate(
        SYSTEM,
        client_id=oauth_app.client_id,
        flow="REFRESH_TOKEN_AUTH",
        parameters={"REFRESH_TOKEN": body["refresh_token"]},
    )
    assert outcome.tokens is not None and outcome.tokens.id_token is not None


def test_refresh_without_openid_gives_no_id_token(browser, oauth_app):
    body = redeem(browser, browser.code(scope="email")).json()
    refreshed = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "refresh_token", "client_id": oauth_app.client_id, "refresh_token": body["refresh_token"]},
    ).json()
    assert "id_token" not in refreshed


def test_refresh_with_rotation_returns_a_new_refresh_token(browser, oauth_app):
    user_pool_client_update(SYSTEM, {**_oauth_settings(oauth_app), "RefreshTokenRotation": {"Feature": "ENABLED"}})
    body = redeem(browser, browser.code()).json()
    first = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "refresh_token", "client_id": oauth_app.client_id, "refresh_token": body["refresh_token"]},
    ).json()
    assert first["refresh_token"] != body["refresh_token"]
    reused = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "refresh_token", "client_id": oauth_app.client_id, "refresh_token": body["refresh_token"]},
    )
    assert reused.json()["error"] == "invalid_grant"


def _oauth_settings(app) -> dict:
    from tests.hostedui.conftest import oauth_client_request

    request = oauth_client_request(app.pool_id, app.client.name)
    request.pop("ClientName")
    return {**request, "ClientId": app.client_id, "ClientName": app.client.name}


# --- Implicit grant ----------------------------------------------------------------------------------


def test_implicit_grant_puts_tokens_in_the_fragment(browser, oauth_app):
    response = browser.sign_in(response_type="token", scope="openid", state="s", nonce="abc")
    assert response.status_code == 302
    assert "?" not in response["Location"].split("#")[0]
    params = fragment_of(response["Location"])
    assert set(params) == {"access_token", "id_token", "token_type", "expires_in", "state"}
    assert claims_of(params["id_token"])["nonce"] == "abc"
    user, _ = tokens.access_token_authenticate(params["access_token"])
    assert user.pk == oauth_app.user.pk


def test_implicit_errors_go_in_the_fragment(browser):
    response = browser.authorize(response_type="token", scope="nope", state="s")
    assert fragment_of(response["Location"])["error"] == "invalid_scope"


# --- Single sign-on, prompt ------------------------------------------------------------------------


def test_a_signed_in_browser_gets_a_code_for_another_client_without_a_password(browser, oauth_app, make_oauth_client):
    browser.code()
    other = make_oauth_client(oauth_app.pool_id, "second")
    pkce, verifier = pkce_params()
    response = browser.http.get(
        f"{oauth_app.base}oauth2/authorize?"
        + urlencode({"client_id": other.client_id, "response_type": "code", "redirect_uri": CALLBACK, **pkce})
    )
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK)
    body = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {
            "grant_type": "authorization_code",
            "client_id": other.client_id,
            "code": query_of(response["Location"])["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    ).json()
    assert claims_of(body["id_token"])["aud"] == other.client_id
    first_auth_time = claims_of(body["id_token"])["auth_time"]
    assert abs(first_auth_time - claims_of(body["access_token"])["auth_time"]) == 0


def test_prompt_login_asks_again_and_prompt_none_needs_a_session(browser):
    response = browser.authorize(prompt="none", state="q")
    assert query_of(response["Location"]) == {
        "error": "login_required",
        "error_description": "The user is not signed in.",
        "state": "q",
    }
    browser.code()
    assert browser.authorize(prompt="none")["Location"].startswith(CALLBACK)
    assert "/login?" in browser.authorize(prompt="login")["Location"]


def test_the_session_cookie_is_scoped_to_the_pool_and_http_only(browser, oauth_app):
    response = browser.sign_in()
    cookie = response.cookies["cognito"]
    assert cookie["httponly"] and cookie["path"] == oauth_app.base and cookie["samesite"] == "Lax"


def test_a_global_sign_out_ends_the_browser_session(browser, oauth_app):
    browser.code()
    tokens.user_admin_global_sign_out(SYSTEM, pool_id=oauth_app.pool_id, username="alice")
    assert "/login?" in browser.authorize()["Location"]


def test_a_disabled_user_is_not_signed_in_silently(browser, oauth_app):
    browser.code()
    User.objects.filter(pk=oauth_app.user.pk).update(is_active=False)
    assert "/login?" in browser.authorize()["Location"]


# --- userInfo --------------------------------------------------------------------------------------


def test_userinfo_answers_by_scope(browser, oauth_app):
    body = redeem(browser, browser.code(scope="openid email")).json()
    info = browser.http.get(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 200
    assert info.json() == {
        "sub": str(oauth_app.user.sub),
        "email": "alice@example.com",
        "email_verified": "true",
        "username": "alice",
    }


def test_userinfo_with_openid_alone_gives_every_readable_attribute(browser, oauth_app):
    body = redeem(browser, browser.code(scope="openid")).json()
    info = browser.http.post(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.json()["email"] == "alice@example.com" and info.json()["username"] == "alice"


def test_userinfo_refuses_api_tokens_and_bad_ones(browser, oauth_app):
    issued = tokens.tokens_issue(SYSTEM, user=oauth_app.user, client=oauth_app.client)
    url = f"{oauth_app.base}oauth2/userInfo"
    api = browser.http.get(url, HTTP_AUTHORIZATION=f"Bearer {issued.access_token}")
    assert api.status_code == 403 and api.json()["error"] == "insufficient_scope"
    bad = browser.http.get(url, HTTP_AUTHORIZATION="Bearer not.a.token")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    assert bad["WWW-Authenticate"].startswith("Bearer")
    assert browser.http.get(url).status_code == 401


def test_userinfo_refuses_another_pools_token(browser, oauth_app, make_oauth_client, make_pool_user):
    from userpools.services.pools import user_pool_create

    other_pool = user_pool_create(SYSTEM, {"PoolName": "other"}).id
    make_oauth_client(other_pool)
    body = redeem(browser, browser.code(scope="openid")).json()
    info = browser.http.get(f"/{other_pool}/oauth2/userInfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 401


# --- revoke ------------------------------------------------------------------------------------------


def test_revoke_ends_the_refresh_token_and_its_access_tokens(browser, oauth_app):
    body = redeem(browser, browser.code(scope="openid aws.cognito.signin.user.admin")).json()
    url = f"{oauth_app.base}oauth2/revoke"
    answer = post_form(browser.http, url, {"token": body["refresh_token"], "client_id": oauth_app.client_id})
    assert answer.status_code == 200 and answer.content == b""
    refresh = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "refresh_token", "client_id": oauth_app.client_id, "refresh_token": body["refresh_token"]},
    )
    assert refresh.json()["error"] == "invalid_grant"
    info = browser.http.get(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert info.status_code == 401
    # unknown tokens are fine (RFC 7009 §2.2); access tokens are not revocable
    assert post_form(browser.http, url, {"token": "x" * 40, "client_id": oauth_app.client_id}).status_code == 200
    assert (
        post_form(browser.http, url, {"token": body["access_token"], "client_id": oauth_app.client_id}).json()["error"]
        == "unsupported_token_type"
    )
    assert post_form(browser.http, url, {"client_id": oauth_app.client_id}).json()["error"] == "invalid_request"


def test_revoke_refuses_when_the_client_disabled_revocation(browser, oauth_app):
    user_pool_client_update(SYSTEM, {**_oauth_settings(oauth_app), "EnableTokenRevocation": False})
    body = redeem(browser, browser.code()).json()
    answer = post_form(
        browser.http,
        f"{oauth_app.base}oauth2/revoke",
        {"token": body["refresh_token"], "client_id": oauth_app.client_id},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"


# --- logout ------------------------------------------------------------------------------------------


def test_logout_ends_the_session_and_goes_to_the_logout_uri(browser, oauth_app):
    browser.code()
    response = browser.http.get(
        f"{oauth_app.base}logout?" + urlencode({"client_id": oauth_app.client_id, "logout_uri": LOGOUT})
    )
    assert response.status_code == 302 and response["Location"] == LOGOUT
    assert response.cookies["cognito"].value == ""
    assert "/login?" in browser.authorize()["Location"]


def test_logout_with_redirect_uri_returns_to_the_sign_in_page(browser, oauth_app):
    browser.code()
    response = browser.http.get(
        f"{oauth_app.base}logout?"
        + urlencode(
            {
                "client_id": oauth_app.client_id,
                "redirect_uri": CALLBACK,
                "response_type": "code",
                "state": "again",
                **pkce_params()[0],
            }
        )
    )
    assert response.status_code == 302 and response["Location"].startswith(f"{oauth_app.base}login?")
    assert query_of(response["Location"])["state"] == "again"


@pytest.mark.parametrize(
    "params",
    [
        {"logout_uri": "https://evil.example.com/"},
        {"logout_uri": CALLBACK},  # a callback URL is not a sign-out URL
        {},
        {"redirect_uri": "https://evil.example.com/", "response_type": "code"},
    ],
)
def test_logout_never_redirects_to_an_unregistered_url(browser, oauth_app, params):
    browser.code()
    response = browser.http.get(f"{oauth_app.base}logout?" + urlencode({"client_id": oauth_app.client_id, **params}))
    assert response.status_code == 400 and "Location" not in response
    # the session was not ended by a refused request
    assert browser.authorize()["Location"].startswith(CALLBACK)


# --- Discovery ---------------------------------------------------------------------------------------


def test_discovery_points_at_the_pool_pages(client, oauth_app, settings):
    document = client.get(f"/{oauth_app.pool_id}/.well-known/openid-configuration").json()
    base = f"{settings.COGNATE['PUBLIC_URL']}/{oauth_app.pool_id}"
    assert document["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert document["token_endpoint"] == f"{base}/oauth2/token"
    assert document["userinfo_endpoint"] == f"{base}/oauth2/userInfo"
    assert document["end_session_endpoint"] == f"{base}/logout"
    assert "S256" in document["code_challenge_methods_supported"]


def test_wrong_password_keeps_the_request_on_the_login_page(browser):
    response = browser.sign_in(password="wrong-" + PASSWORD)
    assert response.status_code == 400
    assert b"Incorrect username or password." in response.content
    assert CALLBACK.encode() in response.content  # the request is still carried


# --- Resource servers and client credentials ------------------------------------------------------


@pytest.fixture
def machine_client(oauth_app, make_oauth_client):
    from hostedui.services.oauth import client_of_pool
    from userpools.services.resource_servers import resource_server_create

    resource_server_create(
        SYSTEM,
        {
            "UserPoolId": oauth_app.pool_id,
            "Identifier": "https://api.example.com",
            "Name": "api",
            "Scopes": [
                {"ScopeName": "notes.read", "ScopeDescription": "read notes"},
                {"ScopeName": "notes.write", "ScopeDescription": "write notes"},
            ],
        },
    )
    client = make_oauth_client(
        oauth_app.pool_id,
        "machine",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        CallbackURLs=[],
        AllowedOAuthScopes=["https://api.example.com/notes.read", "https://api.example.com/notes.write"],
    )
    client = client_of_pool(client.pool, client.client_id)
    return client, client.secrets.first().secret


def test_client_credentials_carry_the_granted_custom_scopes(client, oauth_app, machine_client):
    machine, secret = machine_client
    url = f"{oauth_app.base}oauth2/token"
    answer = post_form(
        client,
        url,
        {"grant_type": "client_credentials", "scope": "https://api.example.com/notes.read"},
        HTTP_AUTHORIZATION=basic(machine.client_id, secret),
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    claims = jwt.decode(
        body["access_token"],
        tokens.jwks(oauth_app.pool_id) and _public_key(oauth_app.pool_id),
        algorithms=["RS256"],
        options={"verify_aud": False},
    )
    assert claims["sub"] == machine.client_id and claims["client_id"] == machine.client_id
    assert claims["scope"] == "https://api.example.com/notes.read" and claims["token_use"] == "access"
    every = post_form(
        client, url, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(machine.client_id, secret)
    ).json()
    assert set(claims_of(every["access_token"])["scope"].split()) == {
        "https://api.example.com/notes.read",
        "https://api.example.com/notes.write",
    }


def _public_key(pool_id: str):
    key = tokens.jwks(pool_id)["keys"][0]
    return jwt.algorithms.RSAAlgorithm.from_jwk(key)


@pytest.mark.parametrize(
    "scope, error",
    [
        ("openid", "invalid_scope"),
        ("https://api.example.com/notes.delete", "invalid_scope"),
    ],
)
def test_client_credentials_refuse_other_scopes(client, oauth_app, machine_client, scope, error):
    machine, secret = machine_client
    answer = post_form(
        client,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=basic(machine.client_id, secret),
    )
    assert answer.status_code == 400 and answer.json()["error"] == error


def test_a_deleted_scope_is_ignored_until_it_is_defined_again(client, oauth_app, machine_client):
    from userpools.services.resource_servers import resource_server_update

    machine, secret = machine_client
    url = f"{oauth_app.base}oauth2/token"
    resource_server_update(
        SYSTEM,
        {
            "UserPoolId": oauth_app.pool_id,
            "Identifier": "https://api.example.com",
            "Name": "api",
            "Scopes": [{"ScopeName": "notes.read", "ScopeDescription": "r"}],
        },
    )
    asked = post_form(
        client,
        url,
        {
            "grant_type": "client_credentials",
            "scope": "https://api.example.com/notes.read https://api.example.com/notes.write",
        },
        HTTP_AUTHORIZATION=basic(machine.client_id, secret),
    ).json()
    assert claims_of(asked["access_token"])["scope"] == "https://api.example.com/notes.read"
    only_deleted = post_form(
        client,
        url,
        {"grant_type": "client_credentials", "scope": "https://api.example.com/notes.write"},
        HTTP_AUTHORIZATION=basic(machine.client_id, secret),
    )
    assert only_deleted.json()["error"] == "invalid_scope"


def test_client_credentials_need_the_flow_and_a_secret(client, oauth_app, machine_client):
    answer = post_form(
        client, f"{oauth_app.base}oauth2/token", {"grant_type": "client_credentials", "client_id": oauth_app.client_id}
    )
    assert answer.json()["error"] == "unauthorized_client"
    machine, secret = machine_client
    wrong = post_form(
        client,
        f"{oauth_app.base}oauth2/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(machine.client_id, "wrong"),
    )
    assert wrong.status_code == 401


def test_a_user_may_be_granted_resource_server_scopes(oauth_app, make_oauth_client):
    from userpools.services.resource_servers import resource_server_create

    resource_server_create(
        SYSTEM,
        {
            "UserPoolId": oauth_app.pool_id,
            "Identifier": "notes",
            "Name": "notes",
            "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}],
        },
    )
    web = make_oauth_client(oauth_app.pool_id, "notes-web", AllowedOAuthScopes=["openid", "notes/read"])
    browser = HostedBrowser(type(oauth_app)(oauth_app.pool_id, web, oauth_app.user))
    body = redeem(browser, browser.code(scope="openid notes/read")).json()
    assert claims_of(body["access_token"])["scope"] == "openid notes/read"


def test_a_pool_may_override_a_page_template(browser, oauth_app, settings, tmp_path):
    override = tmp_path / "hostedui" / "pools" / oauth_app.pool_id
    override.mkdir(parents=True)
    (override / "login.html").write_text(
        '{% extends "hostedui/login.html" %}{% block title %}Welcome to Acme{% endblock %}'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    page = browser.http.get(browser.authorize()["Location"])
    assert "<title>Welcome to Acme" in page.content.decode()
    other = HostedBrowser(oauth_app).http.get(f"/{oauth_app.pool_id}x/login")
    assert other.status_code == 404

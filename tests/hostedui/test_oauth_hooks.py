"""The sign-in hooks (userpools/signin/hooks.py) on the hosted pages and the OAuth endpoints:
the page's sign-in runs the authentication hooks, the token_generation hook runs when the
OAuth endpoints issue (TokenGeneration_HostedAuth at the code's exchange or the implicit
redirect; TokenGeneration_RefreshTokens for the refresh_token grant), and a hook that refuses
leaves nothing issued. Real registered hooks, the pages through Django's test client."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.hostedui.conftest import (
    CALLBACK,
    HostedBrowser,
    OAuthApp,
    form_fields,
    fragment_of,
    oauth_client_request,
    query_of,
)
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.signin.recording import Call, recording, stages
from userpools.context import SYSTEM
from userpools.errors import NotAuthorized, UserNotFound
from userpools.models import RefreshToken, User
from userpools.services import passkeys, tokens
from userpools.services.clients import user_pool_client_update
from userpools.services.pools import user_pool_create, user_pool_set_mfa_config
from userpools.services.resource_servers import resource_server_create
from userpools.signin import hooks

FORM = "application/x-www-form-urlencoded"
HOSTED = [
    ("pre_authentication", "PreAuthentication_Authentication"),
    ("risk", None),
    ("post_authentication", "PostAuthentication_Authentication"),
]
HOSTED_TOKENS = ("token_generation", "TokenGeneration_HostedAuth")


@pytest.fixture
def calls():
    with recording() as recorded:
        yield recorded


def token_post(browser: HostedBrowser, data: dict):
    return browser.http.post(f"{browser.app.base}oauth2/token", urlencode(data), content_type=FORM)


def redeem(browser: HostedBrowser, code: str):
    return token_post(
        browser,
        {
            "grant_type": "authorization_code",
            "client_id": browser.app.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": browser.verifier,
        },
    )


def refresh(browser: HostedBrowser, refresh_token: str):
    return token_post(
        browser, {"grant_type": "refresh_token", "client_id": browser.app.client_id, "refresh_token": refresh_token}
    )


def deny(message: str, error: type = NotAuthorized):
    def hook(context: hooks.HookContext) -> None:
        raise error(message)

    return hook


def _hosted(app: OAuthApp, *pairs: tuple[str, str | None]) -> list[Call]:
    """The calls of a hosted sign-in of alice through ``app``'s client."""
    return [Call(stage, source, "HOSTED", "alice", app.client_id, False) for stage, source in pairs]


# --- The code grant ---------------------------------------------------------------------------------


def test_the_page_runs_the_authentication_hooks_and_the_exchange_the_token_hook_once(browser, oauth_app, calls):
    code = browser.code(scope="openid")
    assert calls == _hosted(oauth_app, *HOSTED)  # no token hook until the code is exchanged
    answer = redeem(browser, code)
    assert answer.status_code == 200, answer.content
    assert calls == _hosted(oauth_app, *HOSTED, HOSTED_TOKENS)
    assert redeem(browser, code).json()["error"] == "invalid_grant"  # a replay issues nothing, asks nobody
    assert stages(calls).count("token_generation") == 1


def test_a_second_client_gets_its_code_without_a_password_and_its_own_token_hook(
    browser, oauth_app, calls, make_oauth_client
):
    redeem(browser, browser.code())
    other = make_oauth_client(oauth_app.pool_id, "other")
    second = HostedBrowser(OAuthApp(oauth_app.pool_id, other, oauth_app.user), browser.http)
    assert redeem(second, second.code()).status_code == 200
    assert calls[len(HOSTED) :] == [
        Call(*HOSTED_TOKENS, "HOSTED", "alice", oauth_app.client_id, False),
        Call(*HOSTED_TOKENS, "HOSTED", "alice", other.client_id, False),
    ]


@pytest.mark.parametrize("error", [NotAuthorized, UserNotFound])
def test_a_token_hook_refusing_the_exchange_spends_the_code_and_issues_nothing(browser, oauth_app, error):
    code = browser.code(scope="openid")
    with recording() as calls, hooks.registered(hooks.TOKEN_GENERATION, deny("Token generation refused.", error)):
        answer = redeem(browser, code)
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_grant", "error_description": "Token generation refused."}
        assert not RefreshToken.objects.exists()
        again = redeem(browser, code)  # the code was spent by the refused exchange
    assert (
        again.status_code == 400
        and again.json()["error_description"] == "The authorization code has already been used."
    )
    assert stages(calls) == ["token_generation"]  # asked once, not again for the replay
    assert redeem(browser, code).json()["error"] == "invalid_grant"  # nor once the hook is gone
    assert not RefreshToken.objects.exists()


def test_a_post_authentication_hook_refusing_the_page_sign_in_gives_no_code(browser, oauth_app):
    with hooks.registered(hooks.POST_AUTHENTICATION, deny("PostAuthentication failed with error denied.")):
        response = browser.sign_in()
    assert response.status_code == 400 and b"denied" in response.content
    assert not response.has_header("Location")


# --- The implicit grant -------------------------------------------------------------------------------


def test_the_implicit_grant_runs_the_token_hook_at_the_redirect(browser, oauth_app, calls):
    response = browser.sign_in(response_type="token", scope="openid", state="s", nonce="n")
    assert "access_token" in fragment_of(response["Location"])
    assert calls == _hosted(oauth_app, *HOSTED, HOSTED_TOKENS)


def test_a_token_hook_refusing_the_implicit_grant_sends_access_denied(browser, oauth_app):
    with hooks.registered(hooks.TOKEN_GENERATION, deny("Token generation refused.")):
        response = browser.sign_in(response_type="token", scope="openid", state="s", nonce="n")
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK + "#")
    assert fragment_of(response["Location"]) == {
        "error": "access_denied",
        "error_description": "Token generation refused.",
        "state": "s",
    }


# --- The refresh_token and client_credentials grants ------------------------------------------------------


def test_the_refresh_grant_runs_the_token_hook_as_a_refresh(browser, oauth_app):
    body = redeem(browser, browser.code(scope="openid")).json()
    with recording() as calls:
        answer = refresh(browser, body["refresh_token"])
    assert answer.status_code == 200, answer.content
    assert calls == [
        Call(
            "token_generation",
            "TokenGeneration_RefreshTokens",
            "OAUTH_REFRESH_TOKEN",
            "alice",
            oauth_app.client_id,
            False,
        )
    ]


def test_a_token_hook_refusing_the_refresh_grant_is_invalid_grant_and_uses_nothing(browser, oauth_app):
    body = redeem(browser, browser.code(scope="openid")).json()
    before = list(RefreshToken.objects.values_list("pk", "last_used_at", "revoked_at"))
    with hooks.registered(hooks.TOKEN_GENERATION, deny("Refresh refused by a hook.")):
        answer = refresh(browser, body["refresh_token"])
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Refresh refused by a hook."}
    assert list(RefreshToken.objects.values_list("pk", "last_used_at", "revoked_at")) == before
    assert refresh(browser, body["refresh_token"]).status_code == 200  # the token still works


def test_a_refused_rotation_keeps_the_token_and_a_reuse_still_revokes_the_session(browser, oauth_app):
    """With rotation and a token hook registered: a refused refresh rotates nothing; a reuse
    past the grace period revokes the whole session although the refresh fails."""
    settings = {
        **oauth_client_request(oauth_app.pool_id, oauth_app.client.name),
        "ClientId": oauth_app.client_id,
        "RefreshTokenRotation": {"Feature": "ENABLED"},
    }
    user_pool_client_update(SYSTEM, settings)
    body = redeem(browser, browser.code(scope="openid")).json()
    with hooks.registered(hooks.TOKEN_GENERATION, deny("Refresh refused by a hook.")):
        assert refresh(browser, body["refresh_token"]).json()["error"] == "invalid_grant"
    assert RefreshToken.objects.count() == 1  # no replacement was kept
    with recording() as calls:
        rotated = refresh(browser, body["refresh_token"]).json()
        assert rotated["refresh_token"] != body["refresh_token"]
        reused = refresh(browser, body["refresh_token"])
        assert reused.json() == {"error": "invalid_grant", "error_description": "Refresh token has been reused."}
    assert stages(calls) == ["token_generation"]  # the reuse is refused before any hook
    assert refresh(browser, rotated["refresh_token"]).json()["error"] == "invalid_grant"  # the session is revoked
    with pytest.raises(NotAuthorized):
        tokens.access_token_authenticate(rotated["access_token"])


def test_client_credentials_run_no_sign_in_hook(client, oauth_app, make_oauth_client, calls):
    resource_server_create(
        SYSTEM,
        {
            "UserPoolId": oauth_app.pool_id,
            "Identifier": "https://api.example.com",
            "Name": "api",
            "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}],
        },
    )
    machine = make_oauth_client(
        oauth_app.pool_id,
        "machine",
        GenerateSecret=True,
        CallbackURLs=[],
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["https://api.example.com/read"],
    )
    answer = client.post(
        f"{oauth_app.base}oauth2/token",
        urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": machine.client_id,
                "client_secret": machine.secrets.first().secret,
            }
        ),
        content_type=FORM,
    )
    assert answer.status_code == 200, answer.content
    assert calls == []


# --- Passkeys on the hosted page -----------------------------------------------------------------------


@pytest.fixture
def passkey_app(db, make_oauth_client, make_pool_user) -> tuple[OAuthApp, SoftwareAuthenticator]:
    """A pool offering passkeys (for example.com) with an OAuth client, and alice with one."""
    pool = user_pool_create(
        SYSTEM,
        {
            "PoolName": "hosted-passkeys",
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
        },
    )
    user_pool_set_mfa_config(
        SYSTEM, {"UserPoolId": pool.id, "WebAuthnConfiguration": {"RelyingPartyId": "example.com"}}
    )
    app = OAuthApp(pool_id=pool.id, client=make_oauth_client(pool.id), user=make_pool_user(pool.id))
    authenticator = SoftwareAuthenticator(origin="https://example.com")
    user = User.objects.select_related("pool").get(pk=app.user.pk)
    passkeys.registration_complete(SYSTEM, user, authenticator.create(passkeys.registration_start(SYSTEM, user)))
    return app, authenticator


def test_hosted_passkey_sign_in_runs_the_hooks_and_the_exchange_the_token_hook(passkey_app, calls):
    app, authenticator = passkey_app
    browser = HostedBrowser(app)
    page = browser.http.get(browser.authorize(scope="openid")["Location"])
    carried = form_fields(page.content.decode())
    options = browser.http.post(f"{app.base}login/passkey/options", {**carried, "username": "alice"})
    assert options.status_code == 200, options.content
    assert calls == _hosted(app, *HOSTED[:2])  # pre-authentication and risk before the options
    answer = options.json()
    credential = authenticator.get(answer["options"])
    response = browser.http.post(
        f"{app.base}login/passkey",
        {**carried, "username": "alice", "session": answer["session"], "credential": json.dumps(credential)},
    )
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK), response.content[:500]
    assert calls == _hosted(app, *HOSTED)
    assert redeem(browser, query_of(response["Location"])["code"]).status_code == 200
    assert calls == _hosted(app, *HOSTED, HOSTED_TOKENS)

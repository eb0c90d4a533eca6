"""/oauth2/userInfo's refusals on oauthlib's OpenID Connect UserInfoEndpoint
(hostedui/services/oauth.py): what changed in the answer, pinned against Cognito's
documented negative responses (Developer Guide, "The user attributes endpoint": a 401 whose
``WWW-Authenticate`` header names ``error="invalid_token"`` with an ``error_description``)
and RFC 6750 §3 (the challenge of a 403 names ``insufficient_scope``)."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.hostedui.conftest import CALLBACK
from userpools.context import SYSTEM
from userpools.services import tokens

FORM = "application/x-www-form-urlencoded"


def access_token(browser, scope: str) -> str:
    data = {
        "grant_type": "authorization_code",
        "client_id": browser.app.client_id,
        "code": browser.code(scope=scope),
        "redirect_uri": CALLBACK,
        "code_verifier": browser.verifier,
    }
    answer = browser.http.post(f"{browser.app.base}oauth2/token", urlencode(data), content_type=FORM)
    return answer.json()["access_token"]


def test_an_invalid_token_is_a_401_whose_challenge_describes_it(browser, oauth_app):
    answer = browser.http.get(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION="Bearer not.a.token")
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"] == "invalid_token" and body["error_description"]
    challenge = answer["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"')
    assert f'error_description="{body["error_description"]}"' in challenge
    assert answer["Cache-Control"] == "no-store"


def test_a_revoked_token_is_invalid(browser, oauth_app):
    token = access_token(browser, "openid")
    url = f"{oauth_app.base}oauth2/userInfo"
    assert browser.http.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    tokens.user_admin_global_sign_out(SYSTEM, pool_id=oauth_app.pool_id, username="alice")
    answer = browser.http.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"


def test_a_token_without_openid_is_a_403_insufficient_scope(browser, oauth_app):
    token = access_token(browser, "email")
    answer = browser.http.get(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"
    assert answer["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'


def test_another_authorization_scheme_is_a_400_invalid_request(browser, oauth_app):
    answer = browser.http.get(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION="Basic YTpi")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert not answer.has_header("WWW-Authenticate")

"""Attacks on /oauth2/authorize, /oauth2/token and /oauth2/userInfo that their move onto
oauthlib's endpoints touches (hostedui/services/oauth.py, hostedui/services/validator.py).

oauthlib reads parameters Cognito does not have (``response_mode``, ``access_token``) and
treats some refusals differently from Cognito; each test pins the answer that keeps a code,
a token or an error away from where an attacker could read it:

* a redirect_uri that is not exactly a registered callback URL gets an error page, never a
  redirect, also for a browser that is signed in (RFC 6749 §4.1.2.1, §10.6);
* ``response_mode`` cannot move a code into a fragment or tokens into a query (Cognito has
  no response_mode: the code goes in the query, the implicit grant's tokens in the fragment);
* a token request cannot widen the scopes its code was issued for (RFC 6749 §4.1.3);
* a repeated parameter is refused, and never resolved in the attacker's favour;
* userInfo takes the access token from the Authorization header only, never from the URL
  or the body (RFC 6750 §2.3 lets a server accept them; a token in a URL ends up in logs).
"""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauth2_provider.models import Grant

from tests.hostedui import conftest as hosted
from tests.hostedui.conftest import CALLBACK, fragment_of, pkce_pair, query_of
from tests.tokens import conftest as token_fixtures
from userpools.context import SYSTEM
from userpools.services.clients import user_pool_client_update

# The hosted pages' fixtures (tests/hostedui/conftest.py), which pytest finds by these names.
_fresh_key_cache = hosted._fresh_key_cache
make_user = token_fixtures.make_user
make_pool_user, make_oauth_client, oauth_app, browser = (
    hosted.make_pool_user,
    hosted.make_oauth_client,
    hosted.oauth_app,
    hosted.browser,
)

FORM = "application/x-www-form-urlencoded"


def redeem(browser, code: str, **extra):
    data = {
        "grant_type": "authorization_code",
        "client_id": browser.app.client_id,
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": browser.verifier,
        **extra,
    }
    return browser.http.post(f"{browser.app.base}oauth2/token", urlencode(data), content_type=FORM)


def shown(response) -> None:
    """An error page for the person: no redirect anywhere."""
    assert response.status_code == 400, response.get("Location")
    assert not response.has_header("Location")
    assert b"Something went wrong" in response.content


# --- The redirect URI ---------------------------------------------------------------------------------

NOT_REGISTERED = [
    "https://app.example.com/callback?next=https://evil.example.com",
    "https://APP.example.com/callback",
    "https://app.example.com/callback#x",
    "https://app.example.com/callback/../callback",
    "https://app.example.com/callback%2F",
    "https://app.example.com.evil.example.com/callback",
    "https://evil.example.com@app.example.com/callback",
    "http://app.example.com/callback",
    "/callback",
    "javascript:alert(1)//https://app.example.com/callback",
]


@pytest.mark.parametrize("redirect_uri", NOT_REGISTERED)
def test_a_redirect_uri_not_exactly_registered_gets_no_redirect_even_when_signed_in(browser, redirect_uri):
    browser.code()
    codes = Grant.objects.count()
    shown(browser.authorize(redirect_uri=redirect_uri, state="st"))
    shown(browser.authorize(redirect_uri=redirect_uri, response_type="token", state="st"))
    assert Grant.objects.count() == codes


def test_without_a_redirect_uri_only_a_registered_default_is_used(browser, oauth_app):
    browser.code()
    shown(browser.authorize(redirect_uri=None))  # no DefaultRedirectURI: nowhere to go
    user_pool_client_update(
        SYSTEM,
        {
            **hosted.oauth_client_request(oauth_app.pool_id),
            "ClientId": oauth_app.client_id,
            "DefaultRedirectURI": CALLBACK,
        },
    )
    response = browser.authorize(redirect_uri=None, state="st")
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK + "?")
    code = query_of(response["Location"])["code"]
    assert redeem(browser, code).status_code == 200  # the code is bound to the default it went to


@pytest.mark.parametrize(
    "repeated",
    [
        [("redirect_uri", CALLBACK), ("redirect_uri", "https://evil.example.com/callback")],
        [("redirect_uri", "https://evil.example.com/callback"), ("redirect_uri", CALLBACK)],
        [("redirect_uri", CALLBACK), ("redirect_uri", CALLBACK)],
        [("client_id", "other"), ("client_id", None)],
    ],
)
def test_a_repeated_client_id_or_redirect_uri_is_shown_never_redirected(browser, oauth_app, repeated):
    browser.code()
    pkce, _ = hosted.pkce_params()
    pairs = [("response_type", "code"), ("state", "st"), *pkce.items()]
    names = {name for name, _ in repeated}
    if "client_id" not in names:
        pairs.append(("client_id", oauth_app.client_id))
    if "redirect_uri" not in names:
        pairs.append(("redirect_uri", CALLBACK))
    pairs += [(name, value or oauth_app.client_id) for name, value in repeated]
    shown(browser.http.get(f"{oauth_app.base}oauth2/authorize?{urlencode(pairs)}"))


@pytest.mark.parametrize("name", ["response_type", "scope", "state", "code_challenge", "prompt"])
def test_another_repeated_parameter_is_refused_and_issues_nothing(browser, oauth_app, name):
    browser.code()
    codes = Grant.objects.count()
    values = {"scope": ["openid", "email"], "prompt": ["none", "login"], "response_type": ["code", "token"]}
    second = values.get(name, ["a" * 43, "b" * 43])
    first = {"state": "st", name: second[0]}
    if name == "code_challenge":
        first["code_challenge_method"] = "S256"  # refused for the repetition, not for plain
    url = browser.authorize_url(**first) + "&" + urlencode({name: second[1]})
    response = browser.http.get(url)
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK + "?")
    assert query_of(response["Location"])["error"] == "invalid_request"
    assert "code" not in query_of(response["Location"])
    assert Grant.objects.count() == codes


# --- response_mode ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fragment", "form_post", "query.jwt"])
def test_response_mode_leaves_the_code_in_the_query(browser, mode):
    browser.code()
    response = browser.authorize(response_mode=mode, state="st")
    assert response.status_code == 302
    location = response["Location"]
    assert "#" not in location and set(query_of(location)) == {"code", "state"}


@pytest.mark.parametrize("mode", ["query", "form_post"])
def test_response_mode_leaves_the_implicit_tokens_in_the_fragment(browser, mode):
    browser.code()
    response = browser.authorize(response_type="token", scope="openid", response_mode=mode, state="st")
    location = response["Location"]
    assert location.startswith(CALLBACK + "#") and "access_token" in fragment_of(location)
    assert query_of(location) == {}


# --- Scopes --------------------------------------------------------------------------------------------


def test_a_token_request_cannot_widen_the_codes_scopes(browser):
    code = browser.code(scope="openid")
    answer = redeem(browser, code, scope="openid email phone profile aws.cognito.signin.user.admin")
    assert answer.status_code == 200, answer.content
    access = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert access["scope"] == "openid"


def test_a_scope_the_client_is_not_allowed_is_refused_before_sign_in(browser, oauth_app, make_oauth_client):
    narrow = make_oauth_client(oauth_app.pool_id, "narrow", AllowedOAuthScopes=["openid"])
    browser.code()
    verifier, challenge = pkce_pair()
    query = {
        "client_id": narrow.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid aws.cognito.signin.user.admin",
        "state": "st",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = browser.http.get(f"{oauth_app.base}oauth2/authorize?{urlencode(query)}")
    assert query_of(response["Location"]) == {
        "error": "invalid_scope",
        "error_description": query_of(response["Location"])["error_description"],
        "state": "st",
    }


# --- PKCE downgrade at the token endpoint -----------------------------------------------------------------


def test_an_s256_code_is_not_redeemed_as_plain(browser):
    verifier, challenge = pkce_pair("S256")
    code = browser.code(code_challenge=challenge, code_challenge_method="S256")
    # The challenge itself as the verifier (plain's comparison), with plain named at the token request.
    answer = redeem(browser, code, code_verifier=challenge, code_challenge_method="plain")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert redeem(browser, code, code_verifier=verifier).status_code == 200  # the refusal did not spend it


# --- userInfo ------------------------------------------------------------------------------------------


def test_userinfo_takes_the_access_token_from_the_authorization_header_only(browser, oauth_app):
    token = redeem(browser, browser.code(scope="openid")).json()["access_token"]
    url = f"{oauth_app.base}oauth2/userInfo"
    in_query = browser.http.get(f"{url}?{urlencode({'access_token': token})}")
    assert in_query.status_code == 401 and in_query.json()["error"] == "invalid_token"
    in_body = browser.http.post(url, urlencode({"access_token": token}), content_type=FORM)
    assert in_body.status_code == 401 and in_body.json()["error"] == "invalid_token"
    assert browser.http.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


@pytest.mark.parametrize("header", ["Basic YTpi", "Token abc", "Bearer", "Bearer a b", "Bearer  "])
def test_userinfo_refuses_an_authorization_header_without_one_bearer_token(browser, oauth_app, header):
    answer = browser.http.get(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION=header)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == ("invalid_request" if answer.status_code == 400 else "invalid_token")
    assert "sub" not in answer.json()


# --- Fuzz: every answer is a redirect to a registered place or an error page, never a 500 -------------

_VALID = {
    "response_type": ["code", "token"],
    "scope": ["openid", "openid email", "aws.cognito.signin.user.admin"],
    "code_challenge_method": ["S256", "plain"],
    "prompt": ["none", "login"],
    "identity_provider": ["COGNITO"],
}
_ODD = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", "\x00", "a" * 2049, "%", "%zz", "&", "=", "#", "+", " ", "\u202e", "\ud7ff", "openid\x00"]
)


@st.composite
def _authorization_queries(draw) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name in ("response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "prompt"):
        kind = draw(st.sampled_from(["absent", "valid", "odd", "repeated"]))
        if kind == "absent":
            continue
        valid = draw(st.sampled_from(_VALID.get(name, ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"])))
        pairs.append((name, valid if kind != "odd" else draw(_ODD)))
        if kind == "repeated":
            pairs.append((name, draw(_ODD | st.just(valid))))
    for name in ("client_id", "redirect_uri", "identity_provider", "idp_identifier", "lang", "login_hint"):
        if draw(st.booleans()):
            pairs.append((name, draw(_ODD)))
    return pairs


@settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(extra=_authorization_queries())
def test_authorize_answers_odd_requests_with_a_redirect_home_or_an_error_page(browser, oauth_app, extra):
    if not hasattr(browser, "_signed_in"):
        browser.code()  # a signed-in browser: a request that passes gets a code or tokens
        browser._signed_in = True
    names = {name for name, _ in extra}
    base = [("client_id", oauth_app.client_id), ("redirect_uri", CALLBACK)]
    pairs = [pair for pair in base if pair[0] not in names] + extra
    response = browser.http.get(f"{oauth_app.base}oauth2/authorize?{urlencode(pairs)}")
    assert response.status_code in (302, 400), response.content[:300]
    if response.status_code == 302:
        location = response["Location"]
        assert location.startswith((CALLBACK + "?", CALLBACK + "#", f"{oauth_app.base}login?")), location
    else:
        shown(response)


@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(header=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=200))
def test_userinfo_answers_odd_authorization_headers_with_an_oauth_error(browser, oauth_app, header):
    answer = browser.http.get(f"{oauth_app.base}oauth2/userInfo", HTTP_AUTHORIZATION=header)
    assert answer.status_code in (400, 401), answer.content[:300]
    assert answer.json()["error"] in ("invalid_request", "invalid_token")

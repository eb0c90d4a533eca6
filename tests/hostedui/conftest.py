"""Fixtures for the hosted pages and OAuth 2.0 endpoints: a pool with an OAuth app client and
a confirmed user (made through the services), and a browser-like walk through the pages
with Django's test client (``HostedBrowser``). Browser tests (tests/browser) drive Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from tests.tokens.conftest import PASSWORD, make_user  # noqa: F401 - the same users as the token tests
from userpools.context import SYSTEM
from userpools.models import AppClient, User
from userpools.services import tokens
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

CALLBACK = "https://app.example.com/callback"
LOGOUT = "https://app.example.com/signed-out"
ALL_SCOPES = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]
# PKCE parameters for visits to the pages whose code is never redeemed: public clients must
# send an S256 code_challenge (tests/security/test_pkce.py).
PKCE_UNUSED = {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    tokens.keys_cache_clear()
    yield
    tokens.keys_cache_clear()


def oauth_client_request(pool_id: str, name: str = "web", **overrides) -> dict:
    return {
        "UserPoolId": pool_id,
        "ClientName": name,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": ALL_SCOPES,
        "CallbackURLs": [CALLBACK],
        "LogoutURLs": [LOGOUT],
        "SupportedIdentityProviders": ["COGNITO"],
        **overrides,
    }


@dataclass
class OAuthApp:
    pool_id: str
    client: AppClient
    user: User

    @property
    def base(self) -> str:
        return f"/{self.pool_id}/"

    @property
    def client_id(self) -> str:
        return self.client.client_id


@pytest.fixture
def make_oauth_client():
    def make(pool_id: str, name: str = "web", **overrides) -> AppClient:
        return user_pool_client_create(SYSTEM, oauth_client_request(pool_id, name, **overrides))

    return make


@pytest.fixture
def make_pool_user(make_user):  # noqa: F811 - the imported fixture
    """make_pool_user(pool_id, username="alice", email=...) -> a CONFIRMED user (tests/tokens/conftest.py's)."""
    return make_user


@pytest.fixture
def oauth_app(db, make_oauth_client, make_pool_user) -> OAuthApp:
    pool_id = user_pool_create(SYSTEM, {"PoolName": "hosted"}).id
    return OAuthApp(pool_id=pool_id, client=make_oauth_client(pool_id), user=make_pool_user(pool_id))


def pkce_params() -> tuple[dict[str, str], str]:
    """An authorization request's PKCE parameters (S256) and the verifier that redeems its code."""
    verifier, challenge = pkce_pair("S256")
    return {"code_challenge": challenge, "code_challenge_method": "S256"}, verifier


def pkce_pair(method: str = "S256") -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    if method == "plain":
        return verifier, verifier
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


_INPUT = re.compile(r"<input\b[^>]*>", re.S)
_ATTR = re.compile(r'(\w[\w:-]*)="([^"]*)"')


def form_fields(html: str, form_id: str | None = None) -> dict[str, str]:
    """The named inputs of the page's first form (or the form with ``form_id``), as a browser would send them."""
    if form_id:
        start = html.index(f'id="{form_id}"')
        html = html[html.rindex("<form", 0, start) :]
    html = html[: html.index("</form>")]
    fields = {}
    for tag in _INPUT.findall(html):
        attrs = {k: unescape(v) for k, v in _ATTR.findall(tag)}
        if "name" in attrs and attrs.get("type") not in ("radio", "checkbox", "submit"):
            fields[attrs["name"]] = attrs.get("value", "")
    return fields


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def fragment_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).fragment).items()}


class HostedBrowser:
    """The hosted pages through Django's test client, as a browser without JavaScript uses them."""

    def __init__(self, app: OAuthApp, client: Client | None = None) -> None:
        self.app = app
        self.http = client or Client()
        self.verifier: str | None = None  # of the last code request's PKCE pair, when made here

    def authorize_url(self, **params) -> str:
        """A code request without a code_challenge gets an S256 one (public clients must send
        it, tests/security/test_pkce.py), its verifier in ``self.verifier``; pass
        ``code_challenge=None`` for a request without PKCE."""
        query = {"client_id": self.app.client_id, "response_type": "code", "redirect_uri": CALLBACK, **params}
        if query["response_type"] == "code" and "code_challenge" not in params:
            self.verifier, query["code_challenge"] = pkce_pair("S256")
            query["code_challenge_method"] = "S256"
        return f"{self.app.base}oauth2/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})

    def authorize(self, **params):
        return self.http.get(self.authorize_url(**params))

    def submit(self, page, values: dict[str, str], form_id: str | None = None, **extra):
        html = page.content.decode()
        fields = {**form_fields(html, form_id), **values}
        match = re.search(
            r'<form method="post" action="([^"]+)"', html[html.index(f'id="{form_id}"') - 200 :] if form_id else html
        )
        assert match, "no form on the page"
        return self.http.post(unescape(match.group(1)), fields, **extra)

    def sign_in(self, username: str = "alice", password: str = PASSWORD, **params):
        """authorize -> login page -> password; returns the response to the password (or the
        authorize response itself when the browser is signed in already)."""
        response = self.authorize(**params)
        assert response.status_code == 302, response.content[:500]
        if not response["Location"].startswith(f"{self.app.base}login?"):
            return response  # already signed in (or an error for the client)
        page = self.http.get(response["Location"])
        assert page.status_code == 200, page.content[:500]
        return self.submit(page, {"username": username, "password": password})

    def code(self, **params) -> str:
        response = self.sign_in(**params)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"].startswith(CALLBACK), response["Location"]
        return query_of(response["Location"])["code"]


@pytest.fixture
def browser(oauth_app) -> HostedBrowser:
    return HostedBrowser(oauth_app)

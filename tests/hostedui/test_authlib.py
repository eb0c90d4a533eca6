"""A standard OpenID Connect relying party against a live Cognate: Authlib's OAuth 2.0 client
(``authlib.integrations.requests_client.OAuth2Session``) and its ID-token rules
(``authlib.oidc.core.CodeIDToken`` over ``joserfc``), configured only from the issuer's
discovery document.

The person's part — the hosted sign-in page — is played by a ``requests`` session that keeps
cookies and submits the page's form as a browser would (CSRF token and carried fields parsed
from the HTML). Everything else is what an RP written with Authlib does: an authorization URL
with code + PKCE S256 + state + nonce, ``fetch_token`` with the code_verifier, ID-token
verification with the JWKS from discovery (signature, iss, aud, exp, nonce, at_hash),
``refresh_token()``, userInfo, ``revoke_token()``, and a confidential client with
client_secret_basic and client_secret_post. The negative cases (a tampered token, another
nonce, another access token, an expired token) show the checks can fail.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from html import unescape
from urllib.parse import urljoin

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import MismatchingStateException
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry

from tests.hostedui.conftest import CALLBACK, PASSWORD, form_fields

pytestmark = pytest.mark.django_db(transaction=True)

SCOPE = "openid email profile aws.cognito.signin.user.admin"
TIMEOUT = 10
LEEWAY = 5
_LOGIN_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*id="login-form"')


@pytest.fixture
def discovery(oauth_app, public_url):  # noqa: F811 - fixture
    """The issuer and its OpenID Provider Metadata, fetched as an RP fetches them."""
    issuer = f"{public_url}/{oauth_app.pool_id}"
    answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return issuer, answer.json()


def rp_session(metadata: dict, client_id: str, **kwargs) -> OAuth2Session:
    """An Authlib client for ``client_id`` that knows only what discovery said."""
    return OAuth2Session(
        client_id=client_id,
        scope=SCOPE,
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint=metadata["token_endpoint"],
        default_timeout=TIMEOUT,
        **kwargs,
    )


def hosted_sign_in(
    browser: requests.Session, authorization_url: str, *, username: str = "alice", password: str = PASSWORD
) -> str:
    """Go to the authorization URL and sign in on the hosted page as a person's browser
    would; return where Cognate sends the browser back (the client's callback with the
    code). A browser already signed in to the pool goes straight back."""
    answer = browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text[:500]
    location = urljoin(authorization_url, answer.headers["Location"])
    if location.startswith(CALLBACK):
        return location
    page = browser.get(location, timeout=TIMEOUT)
    assert page.status_code == 200 and 'id="login-form"' in page.text, page.text[:500]
    action = _LOGIN_FORM.search(page.text)
    assert action, "no sign-in form on the page"
    fields = {**form_fields(page.text, "login-form"), "username": username, "password": password}
    answer = browser.post(
        urljoin(location, unescape(action.group(1))), data=fields, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 302, answer.text[:2000]
    back = answer.headers["Location"]
    assert back.startswith(CALLBACK + "?"), back
    return back


def verified_id_token(
    metadata: dict,
    id_token: str,
    *,
    client_id: str,
    nonce: str | None,
    access_token: str | None,
    now: int | None = None,
) -> CodeIDToken:
    """The ID token's claims, verified the way Authlib's OpenID clients verify them
    (``OpenIDMixin.parse_id_token``): the signature with the JWKS from ``jwks_uri`` and the
    algorithms discovery names, then CodeIDToken's rules (nonce, at_hash, azp, auth_time)
    and the registered claims — ``iss`` the issuer, ``aud`` the client, ``exp`` not past."""
    jwks = requests.get(metadata["jwks_uri"], timeout=TIMEOUT)
    assert jwks.status_code == 200
    keys = KeySet.import_key_set(jwks.json())
    registry = JWSRegistry(algorithms=metadata["id_token_signing_alg_values_supported"])
    token = jwt.decode(id_token, keys, registry=registry)
    options = {"iss": {"essential": True, "value": metadata["issuer"]}, "aud": {"essential": True, "value": client_id}}
    params = {"nonce": nonce, "client_id": client_id, "access_token": access_token}
    claims = CodeIDToken(token.claims, token.header, options, params)
    claims.validate(now=now, leeway=LEEWAY)
    return claims


def start_authorization(session: OAuth2Session, metadata: dict) -> tuple[str, str, str, str]:
    """(authorization URL, state, nonce, code_verifier) for a code + PKCE S256 request."""
    verifier = secrets.token_urlsafe(64)  # 86 characters (RFC 7636 §4.1: 43 to 128)
    nonce = secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    return url, state, nonce, verifier


def tampered(token: str) -> str:
    """``token`` with its payload changed (the signature left as it was)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:username"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# --- Discovery -------------------------------------------------------------------------------------


def test_the_discovery_document_is_valid_provider_metadata(discovery, oauth_app):
    issuer, metadata = discovery
    assert metadata["issuer"] == issuer
    # Authlib's OpenID Connect Discovery 1.0 / RFC 8414 rules. They demand https URLs, which
    # the plain live server cannot give: check every other rule on the same document with
    # the scheme swapped (tests/amplify runs over TLS for real).
    as_https = {k: v.replace("http://", "https://", 1) if isinstance(v, str) else v for k, v in metadata.items()}
    OpenIDProviderMetadata(as_https).validate()
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "revocation_endpoint"):
        assert metadata[endpoint].startswith(f"{issuer}/oauth2/"), endpoint
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(metadata["token_endpoint_auth_methods_supported"])
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=TIMEOUT).json())
    assert keys.keys and all(key.kid for key in keys.keys)


# --- A public client: code + PKCE, refresh, userInfo, revocation -----------------------------------


def test_code_flow_with_pkce_state_and_nonce_refresh_userinfo_and_revocation(discovery, oauth_app):
    issuer, metadata = discovery
    rp = rp_session(metadata, oauth_app.client_id)
    url, state, nonce, verifier = start_authorization(rp, metadata)
    assert "code_challenge_method=S256" in url and "nonce=" in url and f"state={state}" in url
    callback = hosted_sign_in(requests.Session(), url)

    with pytest.raises(MismatchingStateException):  # Authlib checks the state it sent came back
        rp.fetch_token(authorization_response=callback, state="another-state", code_verifier=verifier)
    token = rp.fetch_token(authorization_response=callback, state=state, code_verifier=verifier)
    assert {"access_token", "id_token", "refresh_token", "expires_at"} <= set(token)
    assert token["token_type"] == "Bearer"

    claims = verified_id_token(
        metadata, token["id_token"], client_id=oauth_app.client_id, nonce=nonce, access_token=token["access_token"]
    )
    assert "at_hash" in claims and claims["nonce"] == nonce  # both were checked, not skipped
    assert claims["iss"] == issuer and claims["aud"] == oauth_app.client_id
    assert claims["sub"] == str(oauth_app.user.sub) and claims["cognito:username"] == "alice"
    assert claims["token_use"] == "id" and isinstance(claims["auth_time"], int)

    # userInfo from the discovered endpoint, with the access token as a Bearer token
    info = rp.get(metadata["userinfo_endpoint"])
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"]  # OIDC Core §5.3.2
    assert info.json()["email"] == "alice@example.com" and info.json()["username"] == "alice"

    # refresh_token(): new access and ID tokens; the refresh token is kept (no rotation)
    first_access = token["access_token"]
    refreshed = rp.refresh_token(metadata["token_endpoint"])
    assert refreshed["access_token"] != first_access
    assert refreshed["refresh_token"] == token["refresh_token"]
    again = verified_id_token(
        metadata,
        refreshed["id_token"],
        client_id=oauth_app.client_id,
        nonce=None,
        access_token=refreshed["access_token"],
    )
    assert again["sub"] == claims["sub"] and again["auth_time"] == claims["auth_time"]
    assert again.get("nonce", nonce) == nonce  # OIDC Core §12.2: none, or the original one
    assert rp.get(metadata["userinfo_endpoint"]).status_code == 200

    # revoke_token() at the discovered revocation endpoint (RFC 7009), then nothing works
    revoked = rp.revoke_token(
        metadata["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200, revoked.text
    with pytest.raises(OAuthError) as refused:
        rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    after = requests.get(
        metadata["userinfo_endpoint"], timeout=TIMEOUT, headers={"Authorization": f"Bearer {refreshed['access_token']}"}
    )
    assert after.status_code == 401 and after.json()["error"] == "invalid_token"


def test_a_tampered_id_token_another_nonce_or_access_token_and_an_expired_one_are_refused(discovery, oauth_app):
    _, metadata = discovery
    rp = rp_session(metadata, oauth_app.client_id)
    url, state, nonce, verifier = start_authorization(rp, metadata)
    token = rp.fetch_token(
        authorization_response=hosted_sign_in(requests.Session(), url), state=state, code_verifier=verifier
    )
    id_token, access = token["id_token"], token["access_token"]
    good = verified_id_token(metadata, id_token, client_id=oauth_app.client_id, nonce=nonce, access_token=access)

    with pytest.raises(BadSignatureError):
        verified_id_token(metadata, tampered(id_token), client_id=oauth_app.client_id, nonce=nonce, access_token=access)
    with pytest.raises(InvalidClaimError, match="nonce"):
        verified_id_token(metadata, id_token, client_id=oauth_app.client_id, nonce="another-nonce", access_token=access)
    with pytest.raises(InvalidClaimError, match="at_hash"):
        verified_id_token(metadata, id_token, client_id=oauth_app.client_id, nonce=nonce, access_token=tampered(access))
    with pytest.raises(InvalidClaimError, match="aud"):
        verified_id_token(metadata, id_token, client_id="another-client", nonce=nonce, access_token=access)
    with pytest.raises(InvalidClaimError, match="iss"):
        verified_id_token(
            {**metadata, "issuer": "https://another.example.com/us-east-1_Other"},
            id_token,
            client_id=oauth_app.client_id,
            nonce=nonce,
            access_token=access,
        )
    with pytest.raises(ExpiredTokenError):
        verified_id_token(
            metadata,
            id_token,
            client_id=oauth_app.client_id,
            nonce=nonce,
            access_token=access,
            now=good["exp"] + LEEWAY + 1,
        )
    # the same claims signed by another key under the pool's key id fail the signature too
    kid = jwt.decode(
        id_token, KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=TIMEOUT).json())
    ).header["kid"]
    forged = jwt.encode({"alg": "RS256", "kid": kid}, dict(good), RSAKey.generate_key(2048, parameters={"kid": kid}))
    with pytest.raises(BadSignatureError):
        verified_id_token(metadata, forged, client_id=oauth_app.client_id, nonce=nonce, access_token=access)


# --- A confidential client --------------------------------------------------------------------------


@pytest.fixture
def confidential(oauth_app, make_oauth_client):
    """(client_id, client_secret) of a client with GenerateSecret true."""
    client = make_oauth_client(oauth_app.pool_id, "confidential", GenerateSecret=True)
    return client.client_id, client.secrets.get().secret


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_confidential_client_authenticates_with_basic_and_post(discovery, oauth_app, confidential, method):
    _, metadata = discovery
    client_id, secret = confidential
    rp = rp_session(
        metadata,
        client_id,
        client_secret=secret,
        token_endpoint_auth_method=method,
        revocation_endpoint_auth_method=method,
    )
    url, state, nonce, verifier = start_authorization(rp, metadata)
    callback = hosted_sign_in(requests.Session(), url)
    token = rp.fetch_token(authorization_response=callback, state=state, code_verifier=verifier)
    verified_id_token(metadata, token["id_token"], client_id=client_id, nonce=nonce, access_token=token["access_token"])

    refreshed = rp.refresh_token(metadata["token_endpoint"])
    assert refreshed["access_token"] != token["access_token"]
    # the same refresh with a wrong secret is refused as the client's fault
    wrong = rp_session(metadata, client_id, client_secret=secret + "x", token_endpoint_auth_method=method)
    with pytest.raises(OAuthError) as refused:
        wrong.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_client"

    assert rp.revoke_token(metadata["revocation_endpoint"], token=token["refresh_token"]).status_code == 200
    with pytest.raises(OAuthError) as refused:
        rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"

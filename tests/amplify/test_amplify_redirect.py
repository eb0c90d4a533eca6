"""Amplify JS v6's hosted-UI sign-in, unmodified, in Chromium against Cognate over TLS.

The app (tests/amplify/app, bundled by conftest.amplify_bundle) is configured with the pool's
prefix domain ``{prefix}.auth.localhost:{port}``; Amplify builds
``https://{domain}/oauth2/authorize`` (code + PKCE S256 + state) from it, the person signs in
on Cognate's hosted page, and Amplify's OAuth listener exchanges the code at
``https://{domain}/oauth2/token`` with ``fetch`` from the app's origin (a CORS request with a
preflight: Amplify sends ``x-amz-user-agent``). The app then shows ``getCurrentUser()`` and
``fetchAuthSession()``'s tokens; the test checks them and that the access token works for
``GetUser`` on the wire API. ``signOut()`` revokes the refresh token on the wire API
(``userPoolEndpoint``) and goes through ``/logout`` with ``logout_uri``, which ends the
hosted session: signing in again shows the login page.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, quote, urlsplit

import boto3
import jwt
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.chromium import screenshot
from tests.hostedui.conftest import PASSWORD, oauth_client_request
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services import users
from userpools.services.clients import user_pool_client_create
from userpools.services.domains import user_pool_domain_create
from userpools.services.pools import user_pool_create, user_pool_get

pytestmark = pytest.mark.django_db(transaction=True)

SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin"]
TIMEOUT = 10


@pytest.fixture
def amplify_app(tls_server, app_server):
    """A pool with a prefix domain, an app client whose callback and sign-out URL is the
    app, a confirmed user, and the app configured for them: (pool_id, client_id, user, domain)."""
    pool_id = user_pool_create(SYSTEM, {"PoolName": "amplify"}).id
    prefix = f"amplify-{secrets.token_hex(4)}"  # a fresh host each test: hosts are cached per process
    user_pool_domain_create(SYSTEM, {"UserPoolId": pool_id, "Domain": prefix})
    client = user_pool_client_create(
        SYSTEM,
        oauth_client_request(
            pool_id,
            "amplify",
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=SCOPES,
            CallbackURLs=[app_server.url],
            LogoutURLs=[app_server.url],
        ),
    )
    user = users.user_create(
        SYSTEM,
        pool=user_pool_get(pool_id),
        username="alice",
        password=PASSWORD,
        attributes={"email": "alice@example.com", "email_verified": "true"},
        status=User.Status.CONFIRMED,
    )
    domain = tls_server.domain(prefix)
    app_server.configure(
        userPoolId=pool_id, userPoolClientId=client.client_id, userPoolEndpoint=tls_server.url, domain=domain
    )
    return pool_id, client.client_id, user, domain


def wire_client(tls_server):
    """boto3 against the TLS server, trusting the test CA (GetUser needs no AWS credentials)."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=tls_server.url,
        region_name="us-east-1",
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
        verify=str(tls_server.certificate.ca),
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def verified(tls_server, token: str, *, issuer: str, audience: str | None) -> dict:
    keys = requests.get(f"{issuer}/.well-known/jwks.json", verify=tls_server.certificate.ca, timeout=TIMEOUT)
    key = jwt.PyJWKSet.from_dict(keys.json())[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=issuer,
        audience=audience,
        options={"verify_aud": audience is not None},
    )


def test_the_token_endpoint_answers_amplifys_cors_preflight_on_the_pool_domain(tls_server, amplify_app, app_server):
    _, _, _, domain = amplify_app
    # 127.0.0.1 is in the certificate; the Host header picks the pool's domain
    answer = requests.options(
        f"https://127.0.0.1:{tls_server.port}/oauth2/token",
        timeout=TIMEOUT,
        verify=tls_server.certificate.ca,
        headers={
            "Host": domain,
            "Origin": app_server.url.rstrip("/"),
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-user-agent",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] in ("*", app_server.url.rstrip("/"))
    allowed = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-amz-user-agent"} <= allowed
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


def test_sign_in_with_redirect_then_sign_out(tls_server, amplify_app, app_server, tls_page):
    pool_id, client_id, user, domain = amplify_app
    issuer = f"{tls_server.url}/{pool_id}"
    page = tls_page
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(app_server.url)
    page.wait_for_selector("body[data-state=signed-out]")

    # signInWithRedirect(): the browser goes to the hosted login page on the pool's domain
    with page.expect_request(lambda r: r.url.startswith(f"https://{domain}/oauth2/authorize?")) as authorize:
        page.click("#sign-in")
    asked = {k: v[0] for k, v in parse_qs(urlsplit(authorize.value.url).query).items()}
    assert asked["client_id"] == client_id and asked["redirect_uri"] == app_server.url
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["identity_provider"] == "COGNITO" and set(asked["scope"].split()) == set(SCOPES)
    assert asked["state"] and len(asked["code_challenge"]) == 43
    page.wait_for_url(re.compile(rf"^https://{re.escape(domain)}/login\?"))
    screenshot(page, "amplify-hosted-login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    with page.expect_response(lambda r: r.url == f"https://{domain}/oauth2/token") as exchange:
        page.click("#login-form button[type=submit]")
    token_response = exchange.value
    assert token_response.status == 200, token_response.text()
    assert token_response.request.all_headers().get("origin") == app_server.url.rstrip("/")
    assert token_response.all_headers().get("access-control-allow-origin") in ("*", app_server.url.rstrip("/"))

    # back on the app, which shows what Amplify holds
    page.wait_for_selector("body[data-state=signed-in]")
    assert page.url.startswith(app_server.url) and "code=" not in page.url  # Amplify cleaned up the URL
    id_token, access_token = page.text_content("#id-token"), page.text_content("#access-token")
    assert page.text_content("#username") == "alice"
    assert page.text_content("#user-id") == str(user.sub)
    id_claims = verified(tls_server, id_token, issuer=issuer, audience=client_id)
    assert id_claims["cognito:username"] == "alice" and id_claims["sub"] == str(user.sub)
    assert id_claims["token_use"] == "id" and id_claims["email"] == "alice@example.com"
    access_claims = verified(tls_server, access_token, issuer=issuer, audience=None)
    assert access_claims["client_id"] == client_id and set(access_claims["scope"].split()) == set(SCOPES)
    screenshot(page, "amplify-signed-in")

    wire = wire_client(tls_server)
    try:
        attributes = {a["Name"]: a["Value"] for a in wire.get_user(AccessToken=access_token)["UserAttributes"]}
        assert attributes["sub"] == str(user.sub) and attributes["email"] == "alice@example.com"

        # signOut(): RevokeToken on the wire API, then /logout?client_id&logout_uri back to the app
        def is_revoke(response) -> bool:
            return (
                response.url == f"{tls_server.url}/"
                and response.request.headers.get("x-amz-target") == "AWSCognitoIdentityProviderService.RevokeToken"
            )

        with (
            page.expect_response(is_revoke) as revoke,
            page.expect_request(lambda r: r.url.startswith(f"https://{domain}/logout?")) as logout,
        ):
            page.click("#sign-out")
        assert revoke.value.status == 200, revoke.value.text()
        assert f"client_id={client_id}" in logout.value.url
        assert f"logout_uri={quote(app_server.url, safe='')}" in logout.value.url
        page.wait_for_url(re.compile(rf"^{re.escape(app_server.url)}"))
        page.wait_for_selector("body[data-state=signed-out]")
        with pytest.raises(ClientError) as refused:  # the revocation reached Cognate
            wire.get_user(AccessToken=access_token)
        assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    finally:
        wire.close()

    # the hosted session ended with the sign-out: signing in again asks for the password
    page.click("#sign-in")
    page.wait_for_url(re.compile(rf"^https://{re.escape(domain)}/login\?"))
    assert page.locator("#password").is_visible()
    assert problems == []

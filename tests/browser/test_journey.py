"""The hosted pages' main journey in Chromium, one browser context throughout: sign up, confirm
with the code from the mailbox, sign in, set up an authenticator app (MFA ON) from the QR
code's key, back at the app with a code, PKCE token exchange, the ID token verified against
the JWKS, single sign-on for a second client of the pool, sign-out, and the sign-in page again
(then the authenticator's code on the way back in)."""

from __future__ import annotations

import time

import jwt
import pyotp
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, pkce_pair, query_of
from tests.chromium import screenshot
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services.pools import user_pool_set_mfa_config


def test_sign_up_confirm_sign_in_with_mfa_tokens_single_sign_on_and_sign_out(hosted_pool, page, app_site, mailbox):
    pool = hosted_pool(clients=("web", "dashboard"), AutoVerifiedAttributes=["email"], UsernameAttributes=["email"])
    user_pool_set_mfa_config(
        SYSTEM,
        {"UserPoolId": pool.pool_id, "MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
    )
    web = pool.client("web")
    verifier, challenge = pkce_pair()
    address = mailbox.address("journey")

    # The app sends the browser to authorize; Cognate shows its sign-in page.
    page.goto(
        pool.authorize_url(
            scope="openid email profile",
            state="st-1",
            nonce="n-1",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )
    assert "/login?" in page.url
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login")

    # Sign up: the e-mail address is the username in this pool.
    page.get_by_role("link", name="Sign up").click()
    page.wait_for_url("**/signup?**")
    assert page.get_by_label("Username").count() == 0
    screenshot(page, "signup")
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Enter the password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    # Confirm with the code that arrived over SMTP (a wrong one first).
    page.wait_for_url("**/confirm?**")
    expect(page.get_by_role("heading", name="Confirm your account")).to_be_visible()
    assert User.objects.get(pool_id=pool.pool_id).status == User.Status.UNCONFIRMED
    screenshot(page, "confirm")
    code = mailbox.code_for(address)
    page.get_by_label("Confirmation code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Confirm account").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Confirmation code").fill(code)
    page.get_by_role("button", name="Confirm account").click()

    # Back on the sign-in page, the username filled in: the password, then MFA set-up.
    page.wait_for_url("**/login?**")
    expect(page.get_by_role("status")).to_have_text("Your account is confirmed. Sign in to continue.")
    assert page.get_by_label("Username").input_value() == address
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    page.wait_for_load_state()
    qr = page.get_by_role("img", name="QR code of the authenticator key")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code did not render"
    secret = page.locator("#secret").inner_text().strip()
    screenshot(page, "mfa-setup")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Name of this authenticator (optional)").fill("phone")
    page.get_by_label("Code", exact=True).fill(totp.now())
    page.get_by_role("button", name="Verify and sign in").click()

    # At the app with a code and the state.
    page.wait_for_url(f"{app_site.callback}?**")
    answer = query_of(page.url)
    assert answer["state"] == "st-1" and answer["code"]
    assert "cognito" not in page.evaluate("() => document.cookie")  # not the app's, and HttpOnly anyway

    # The app exchanges the code with PKCE; the ID token verifies against the pool's JWKS.
    issued = requests.post(
        f"{pool.base}oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": web.client_id,
            "code": answer["code"],
            "redirect_uri": app_site.callback,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    signing_key = jwt.PyJWKClient(f"{pool.issuer}/.well-known/jwks.json").get_signing_key_from_jwt(body["id_token"])
    claims = jwt.decode(
        body["id_token"], signing_key.key, algorithms=["RS256"], audience=web.client_id, issuer=pool.issuer
    )
    assert claims["token_use"] == "id" and claims["nonce"] == "n-1"
    assert claims["email"] == address and claims["email_verified"] is True
    replayed = requests.post(
        f"{pool.base}oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": web.client_id,
            "code": answer["code"],
            "redirect_uri": app_site.callback,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"

    # A second client of the pool: signed in silently, straight to its callback.
    documents: list[str] = []
    page.on("request", lambda request: documents.append(request.url) if request.is_navigation_request() else None)
    page.goto(pool.authorize_url("dashboard", state="st-2"))
    page.wait_for_url(f"{app_site.callback2}?**")
    assert query_of(page.url)["state"] == "st-2" and query_of(page.url)["code"]
    assert not [url for url in documents if "/login" in url], documents

    # Sign-out ends the browser's session and goes to the logout URI.
    page.goto(pool.logout_url())
    page.wait_for_url(app_site.signed_out)
    assert "cognito" not in {c["name"] for c in page.context.cookies()}

    # The next authorize asks for the password again, and then for the authenticator's code.
    page.goto(pool.authorize_url(state="st-3"))
    expect(page.get_by_label("Password")).to_be_visible()
    assert "/login?" in page.url
    page.get_by_label("Username").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    screenshot(page, "mfa-code")
    page.get_by_label("Code", exact=True).fill(totp.at(time.time() + 30))  # the set-up's time step is spent
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app_site.callback}?**")
    assert query_of(page.url)["state"] == "st-3"

"""Passkeys on the hosted pages with Chromium's virtual authenticator (DevTools protocol,
WebAuthn domain), on the pool's own domain (``http://{prefix}.auth.localhost`` is a secure
context, and the relying party): sign in with the password, add a passkey, sign out, sign in
with the passkey; without the authenticator the passkey sign-in fails with a visible error."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, query_of, unique_prefix
from tests.chromium import screenshot
from userpools.context import SYSTEM
from userpools.services import passkeys
from userpools.services.pools import user_pool_get, user_pool_set_mfa_config
from userpools.services.users import user_find

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def test_add_a_passkey_then_sign_in_with_it(hosted_pool, page, app_site):
    prefix = unique_prefix("passkeys")
    rp_id = f"{prefix}.auth.localhost"
    pool = hosted_pool(
        domain=prefix,
        UserPoolTier="ESSENTIALS",
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    user_pool_set_mfa_config(SYSTEM, {"UserPoolId": pool.pool_id, "WebAuthnConfiguration": {"RelyingPartyId": rp_id}})
    pool.make_user("alice", email="alice@example.com")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]

    # Signed in with the password (the pages are the domain's: a secure context on the relying party).
    page.goto(pool.authorize_url(state="pw"))
    assert page.url.startswith(f"http://{rp_id}:") and "/login?" in page.url
    assert page.evaluate("() => window.isSecureContext")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{app_site.callback}?**")

    # Add a passkey: the authenticator makes a discoverable credential for the relying party.
    add_url = pool.authorize_url(state="added").replace("oauth2/authorize?", "passkeys/add?")
    page.goto(add_url)
    expect(page.get_by_role("heading", name="Add a passkey")).to_be_visible()
    screenshot(page, "passkey-add")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(f"{app_site.callback}?**")
    assert query_of(page.url)["state"] == "added"
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(held) == 1 and held[0]["isResidentCredential"] and held[0]["rpId"] == rp_id
    user = user_find(user_pool_get(pool.pool_id), "alice")
    assert len(passkeys.credentials_list(user=user).items) == 1

    # Signed out, then in again with the passkey alone.
    page.goto(pool.logout_url())
    page.wait_for_url(app_site.signed_out)
    page.goto(pool.authorize_url(state="pk"))
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{app_site.callback}?**")
    assert query_of(page.url)["state"] == "pk" and query_of(page.url)["code"]
    assert cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"][0]["signCount"] >= 1

    # A passkey the pool has forgotten (deleted by its user elsewhere) is refused by the server.
    page.goto(pool.logout_url())
    page.wait_for_url(app_site.signed_out)
    passkeys.credential_delete(SYSTEM, user, passkeys.credentials_list(user=user).items[0].credential_id)
    page.goto(pool.authorize_url(state="forgotten"))
    page.get_by_label("Username").fill("alice")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#form-error")).to_be_visible()
    expect(page.locator("#form-error")).to_have_text("Passkey sign-in failed.")
    assert "/login" in page.url

    # Without the authenticator (and its key), the passkey sign-in fails on the page.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    # With no authenticator at all, Chromium waits out the request's timeout; a device without
    # the passkey is what a person signing in elsewhere has, and it refuses at once.
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    page.goto(pool.authorize_url(state="gone"))
    page.get_by_label("Username").fill("alice")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_have_text(
        "No passkey was used: the request was cancelled, timed out, or this device has no passkey for this account."
    )
    assert "/login?" in page.url
    assert [hit.query["state"] for hit in app_site.hits("/callback")] == ["pw", "added", "pk"]

    # Without a username, the button says what is missing (and asks the authenticator nothing).
    page.get_by_label("Username").fill("")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_have_text("Enter your username first.")

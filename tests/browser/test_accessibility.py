"""Accessibility of the hosted pages in Chromium: axe-core (tests/browser/package.json) finds
no serious or critical violation on any page, every form control has a label, the pages fit a
375 px wide phone without horizontal scrolling, and the keyboard moves through the sign-in form
in reading order."""

from __future__ import annotations

import os
import time
from urllib.parse import urlencode

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    AXE,
    PASSWORD,
    PKCE_UNUSED,
    SERIOUS,
    axe_violations,
    horizontal_overflow,
    unique_prefix,
    unlabelled_inputs,
)
from tests.chromium import screenshot
from userpools.context import SYSTEM
from userpools.services import directory, mfa
from userpools.services.pools import user_pool_get, user_pool_set_mfa_config

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(autouse=True)
def _axe_installed(chromium):
    """Like Chromium (tests/chromium.py): skipped on a machine without it, failed in CI."""
    if not AXE.is_file():
        missing = f"axe-core is not installed: run `npm ci --no-audit --no-fund` in {AXE.parents[2]}"
        if os.environ.get("COGNATE_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture
def pool(hosted_pool):
    """A pool showing every page: passkeys (on its domain), MFA required, e-mail codes."""
    prefix = unique_prefix("a11y")
    made = hosted_pool(
        domain=prefix,
        UserPoolTier="ESSENTIALS",
        AutoVerifiedAttributes=["email"],
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    user_pool_set_mfa_config(
        SYSTEM,
        {
            "UserPoolId": made.pool_id,
            "MfaConfiguration": "ON",
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
            "WebAuthnConfiguration": {"RelyingPartyId": f"{prefix}.auth.localhost"},
        },
    )
    return made


def _totp_user(pool, username: str) -> pyotp.TOTP:
    user = pool.make_user(username, email=f"{username}@example.com")
    user.pool = user_pool_get(pool.pool_id)
    totp = pyotp.TOTP(mfa.totp_associate(SYSTEM, user))
    mfa.totp_verify(SYSTEM, user, totp.now(), "phone")
    mfa.preference_set(SYSTEM, user, {"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}})
    return totp


def _sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_every_page_passes_axe_has_labels_and_fits_a_phone(pool, new_context, app_site):
    """axe-core needs the CSP bypassed: the pages allow no inline script, and its tag is one."""
    page = new_context(bypass_csp=True, viewport=DESKTOP).new_page()
    totp = _totp_user(pool, "coded")
    pool.make_user("setup", email="setup@example.com")
    directory.user_admin_create(
        SYSTEM, pool_id=pool.pool_id, username="newbie", temporary_password="Temp-Passw0rd!", message_action="SUPPRESS"
    )
    request = {
        "client_id": pool.client().client_id,
        "response_type": "code",
        "redirect_uri": app_site.callback,
        **PKCE_UNUSED,
    }
    found: dict[str, list[dict]] = {}

    def check(name: str, heading: str) -> None:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        page.wait_for_load_state()
        found[name] = axe_violations(page)
        assert unlabelled_inputs(page) == [], name
        page.set_viewport_size(PHONE)
        assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at 375 px"
        page.set_viewport_size(DESKTOP)

    page.goto(pool.authorize_url())
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()  # passkeys.js ran
    check("login", "Sign in")
    _sign_in(page, "coded", "wrong-password")
    expect(page.get_by_role("alert")).to_be_visible()
    check("login with an error", "Sign in")
    page.get_by_role("link", name="Sign up").click()
    check("sign-up", "Create an account")
    page.get_by_label("Username").fill("someone")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Enter the password again").fill("another")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_text("The passwords do not match.")
    check("sign-up with an error", "Create an account")
    page.goto(f"{pool.base}confirm?" + urlencode({**request, "username": "someone", "destination": "s***@e***"}))
    check("confirm", "Confirm your account")
    page.goto(pool.authorize_url())
    page.get_by_role("link", name="Forgot your password?").click()
    check("forgot password", "Forgot your password?")
    page.goto(f"{pool.base}confirmForgotPassword?" + urlencode({**request, "username": "coded"}))
    check("confirm forgot password", "Reset your password")
    page.goto(pool.authorize_url())
    _sign_in(page, "newbie", "Temp-Passw0rd!")
    check("new password", "Choose a new password")
    page.goto(pool.authorize_url())
    _sign_in(page, "setup")
    check("MFA setup", "Set up an authenticator app")
    page.goto(pool.authorize_url())
    _sign_in(page, "coded")
    check("MFA code", "Enter the code from your authenticator app")
    page.get_by_label("Code", exact=True).fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app_site.callback}?**")
    page.goto(pool.authorize_url().replace("oauth2/authorize?", "passkeys/add?"))
    check("add a passkey", "Add a passkey")
    page.goto(pool.authorize_url(redirect_uri=f"{app_site.url}/unregistered"))
    check("error", "Something went wrong")
    # hosted.css's dark colours (a managed login style with colorSchemeMode DARK sets html.dark).
    page.goto(pool.authorize_url(prompt="login"))  # signed in by now
    _sign_in(page, "coded", "wrong-password")
    page.evaluate("() => document.documentElement.classList.add('dark')")
    check("login with an error, dark", "Sign in")
    screenshot(page, "login-dark-passkeys")
    # axe really runs: a page with faults has violations.
    page.set_content('<html><body><img src="data:,"><input id="x"></body></html>')
    assert {"image-alt", "label"} <= {v["id"] for v in axe_violations(page)}

    report = "\n".join(
        f"{name}: [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}"
        for name, violations in found.items()
        for v in violations
    )
    print(report or "axe-core: no violations")
    serious = {name: [v for v in violations if v["impact"] in SERIOUS] for name, violations in found.items()}
    assert not any(serious.values()), report


def test_the_keyboard_goes_through_the_sign_in_form_in_order(hosted_pool, page):
    pool = hosted_pool()
    page.goto(pool.authorize_url())

    def focused() -> str:
        return page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()")

    # Chromium applies autofocus at a rendering step that may come after the load event goto waits for.
    page.wait_for_function("() => document.activeElement.id === 'username'")  # autofocus
    page.keyboard.press("Tab")
    assert focused() == "password"
    page.keyboard.press("Tab")
    assert focused() == "Sign in"
    page.keyboard.press("Tab")
    assert focused() == "Forgot your password?"
    # The skip link comes first, is shown when focused, and leads to the form.
    page.locator("#username").focus()
    page.keyboard.press("Shift+Tab")
    assert focused() == "Skip to the form"
    skip = page.get_by_role("link", name="Skip to the form")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
    page.keyboard.press("Enter")
    assert page.url.endswith("#content")


def test_the_sign_in_page_fits_a_phone(hosted_pool, new_context):
    pool = hosted_pool()
    page = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True).new_page()
    page.goto(pool.authorize_url(lang="de"))  # German: the longest words
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    assert page.evaluate("() => document.documentElement.scrollHeight") <= PHONE["height"]  # the languages too
    assert page.evaluate("() => window.innerWidth") == PHONE["width"]  # the viewport meta tag is honoured
    button = page.get_by_role("button", name="Anmelden").bounding_box()
    assert button is not None and button["height"] >= 24 and button["x"] + button["width"] <= PHONE["width"]
    page.goto(pool.authorize_url())
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login-mobile")

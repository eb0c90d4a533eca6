"""The hosted pages without JavaScript (Django's test client): sign-up and confirmation with
the e-mailed code, password recovery, a temporary password, MFA (TOTP set-up with a QR code,
TOTP, SMS, choosing a factor), CSRF and framing protection, languages, the pool's domain."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pyotp
import pytest
from django.test import Client

from tests.hostedui.conftest import CALLBACK, PASSWORD, HostedBrowser, form_fields, pkce_params, query_of
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services import directory, mfa
from userpools.services.domains import user_pool_domain_create
from userpools.services.pools import user_pool_get, user_pool_set_mfa_config

SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognate-sms", "ExternalId": "cognate"}


def follow(browser: HostedBrowser, response):
    """A redirect within the pages, fetched."""
    assert response.status_code == 302, response.content.decode()[:3000]
    return browser.http.get(response["Location"])


def test_login_page_is_accessible_markup(browser):
    page = browser.http.get(browser.authorize()["Location"])
    html = page.content.decode()
    assert '<html lang="en"' in html and '<meta name="viewport"' in html
    for field in ("username", "password"):
        assert f'<label class="label-customizable" for="{field}">' in html and f'id="{field}"' in html
    assert 'autocomplete="current-password"' in html
    assert "<main" in html and "<h1>" in html


def test_pages_refuse_framing_and_caching(browser):
    page = browser.http.get(browser.authorize()["Location"])
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["Cache-Control"] == "no-store"


def test_a_form_without_the_csrf_token_is_refused(oauth_app):
    strict = HostedBrowser(oauth_app, Client(enforce_csrf_checks=True))
    page = strict.http.get(strict.authorize()["Location"])
    fields = form_fields(page.content.decode())
    fields.pop("csrfmiddlewaretoken")
    response = strict.http.post(f"{oauth_app.base}login", {**fields, "username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    ok = strict.submit(page, {"username": "alice", "password": PASSWORD})
    assert ok.status_code == 302 and ok["Location"].startswith(CALLBACK)


def test_the_pages_own_forms_pass_the_csrf_origin_check(oauth_app):
    """Browsers send the page's Origin with its form posts (Referrer-Policy same-origin; with
    no-referrer they send Origin: null, which Django's CSRF check refuses)."""
    strict = HostedBrowser(oauth_app, Client(enforce_csrf_checks=True))
    page = strict.http.get(strict.authorize()["Location"])
    assert page["Referrer-Policy"] == "same-origin"
    ok = strict.submit(page, {"username": "alice", "password": PASSWORD}, HTTP_ORIGIN="http://testserver")
    assert ok.status_code == 302 and ok["Location"].startswith(CALLBACK)
    forged = HostedBrowser(oauth_app, Client(enforce_csrf_checks=True))
    page = forged.http.get(forged.authorize()["Location"])
    refused = forged.submit(page, {"username": "alice", "password": PASSWORD}, HTTP_ORIGIN="https://evil.example.com")
    assert refused.status_code == 403


def test_a_forged_request_on_the_form_is_checked_again(browser, oauth_app):
    """The login form re-checks the request: a redirect_uri swapped into the form never gets a code."""
    page = browser.http.get(browser.authorize()["Location"])
    response = browser.submit(
        page, {"username": "alice", "password": PASSWORD, "redirect_uri": "https://evil.example.com/steal"}
    )
    assert response.status_code == 400 and "Location" not in response


def test_pages_speak_german_when_asked(browser):
    page = browser.http.get(browser.authorize(lang="de")["Location"])
    html = page.content.decode()
    assert '<html lang="de"' in html
    assert "Anmelden" in html and "Benutzername" in html and "Passwort" in html
    french = browser.http.get(browser.authorize()["Location"], HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert "Se connecter" in french.content.decode()


def test_the_pages_are_served_on_the_pool_domain(oauth_app, settings):
    user_pool_domain_create(SYSTEM, {"UserPoolId": oauth_app.pool_id, "Domain": "demo-app"})
    http = Client(HTTP_HOST="demo-app.auth.localhost:8000")
    response = http.get(
        "/oauth2/authorize?"
        + urlencode(
            {"client_id": oauth_app.client_id, "response_type": "code", "redirect_uri": CALLBACK, **pkce_params()[0]}
        )
    )
    assert response.status_code == 302 and response["Location"].startswith("/login?")
    page = http.get(response["Location"])
    assert page.status_code == 200 and 'action="/login"' in page.content.decode()
    fields = form_fields(page.content.decode())
    signed_in = http.post("/login", {**fields, "username": "alice", "password": PASSWORD})
    assert signed_in["Location"].startswith(CALLBACK)
    assert signed_in.cookies["cognito"]["path"] == "/"
    discovery = Client().get(f"/{oauth_app.pool_id}/.well-known/openid-configuration").json()
    assert discovery["authorization_endpoint"] == "http://demo-app.auth.localhost:8000/oauth2/authorize"
    assert Client(HTTP_HOST="unknown.auth.localhost").get("/login").status_code == 404


# --- Sign-up and confirmation -------------------------------------------------------------------------


@pytest.fixture
def signup_app(transactional_db, make_oauth_client, mailbox):
    from tests.hostedui.conftest import OAuthApp
    from userpools.services.pools import user_pool_create

    pool = user_pool_create(
        SYSTEM, {"PoolName": "signups", "AutoVerifiedAttributes": ["email"], "UsernameAttributes": ["email"]}
    )
    return OAuthApp(pool.id, make_oauth_client(pool.id), None)


def test_sign_up_confirm_with_the_mailed_code_then_sign_in(signup_app, mailbox):
    browser = HostedBrowser(signup_app)
    login = browser.http.get(browser.authorize(state="s")["Location"])
    signup_link = re.search(r'href="([^"]*signup\?[^"]*)"', login.content.decode()).group(1).replace("&amp;", "&")
    page = browser.http.get(signup_link)
    html = page.content.decode()
    assert 'name="username"' not in html  # the e-mail address is the username in this pool
    address = mailbox.address("newcomer")
    confirm = follow(
        browser, browser.submit(page, {"attr:email": address, "password": PASSWORD, "password_again": PASSWORD})
    )
    assert confirm.status_code == 200 and "Confirm your account" in confirm.content.decode()
    user = User.objects.get(pool_id=signup_app.pool_id)
    assert user.status == User.Status.UNCONFIRMED and user.attributes["email"] == address
    wrong = browser.submit(confirm, {"code": "000000"})
    assert wrong.status_code == 400
    login_again = follow(browser, browser.submit(confirm, {"code": mailbox.code_for(address)}))
    assert "Your account is confirmed" in login_again.content.decode()
    signed_in = browser.submit(login_again, {"username": address, "password": PASSWORD})
    assert signed_in["Location"].startswith(CALLBACK) and query_of(signed_in["Location"])["state"] == "s"


def test_sign_up_refuses_mismatched_passwords_and_weak_ones(signup_app):
    browser = HostedBrowser(signup_app)
    page = browser.http.get(
        f"{signup_app.base}signup?"
        + urlencode(
            {"client_id": signup_app.client_id, "response_type": "code", "redirect_uri": CALLBACK, **pkce_params()[0]}
        )
    )
    mismatch = browser.submit(page, {"attr:email": "a@example.com", "password": PASSWORD, "password_again": "x"})
    assert mismatch.status_code == 400 and "do not match" in mismatch.content.decode()
    weak = browser.submit(page, {"attr:email": "a@example.com", "password": "short", "password_again": "short"})
    assert weak.status_code == 400 and not User.objects.filter(pool_id=signup_app.pool_id).exists()


def test_an_unconfirmed_user_signing_in_is_sent_to_confirm(signup_app, mailbox):
    browser = HostedBrowser(signup_app)
    address = mailbox.address("late")
    page = browser.http.get(
        f"{signup_app.base}signup?"
        + urlencode(
            {"client_id": signup_app.client_id, "response_type": "code", "redirect_uri": CALLBACK, **pkce_params()[0]}
        )
    )
    browser.submit(page, {"attr:email": address, "password": PASSWORD, "password_again": PASSWORD})
    mailbox.code_for(address)
    response = HostedBrowser(signup_app).sign_in(username=address)
    assert response.status_code == 302 and "/confirm?" in response["Location"]
    confirm = browser.http.get(response["Location"])
    resent = browser.submit(confirm, {"resend": "1"})
    assert "We sent you a new code" in resent.content.decode()


# --- Password recovery ------------------------------------------------------------------------------


def test_forgot_password_with_the_mailed_code(transactional_db, make_oauth_client, make_pool_user, mailbox):
    from tests.hostedui.conftest import OAuthApp
    from userpools.services.pools import user_pool_create

    pool = user_pool_create(SYSTEM, {"PoolName": "recovery"})
    address = mailbox.address("forgetful")
    app = OAuthApp(pool.id, make_oauth_client(pool.id), make_pool_user(pool.id, "forgetful", email=address))
    browser = HostedBrowser(app)
    page = browser.http.get(
        f"{app.base}forgotPassword?"
        + urlencode({"client_id": app.client_id, "response_type": "code", "redirect_uri": CALLBACK, **pkce_params()[0]})
    )
    reset = follow(browser, browser.submit(page, {"username": "forgetful"}))
    assert "Reset your password" in reset.content.decode()
    new = "N3w-Passw0rd!"
    login = follow(
        browser, browser.submit(reset, {"code": mailbox.code_for(address), "password": new, "password_again": new})
    )
    assert "password has been reset" in login.content.decode()
    assert browser.submit(login, {"password": new})["Location"].startswith(CALLBACK)


# --- Temporary passwords ----------------------------------------------------------------------------


def test_a_temporary_password_must_be_replaced(oauth_app, browser):
    directory.user_admin_create(
        SYSTEM,
        pool_id=oauth_app.pool_id,
        username="newbie",
        temporary_password="Temp-Passw0rd!",
        message_action="SUPPRESS",
    )
    page = browser.sign_in(username="newbie", password="Temp-Passw0rd!")
    assert page.status_code == 200 and "Choose a new password" in page.content.decode()
    mismatch = browser.submit(page, {"password": PASSWORD, "password_again": "other"})
    assert mismatch.status_code == 400
    done = browser.submit(mismatch, {"password": PASSWORD, "password_again": PASSWORD})
    assert done["Location"].startswith(CALLBACK)
    assert User.objects.get(pool_id=oauth_app.pool_id, username="newbie").status == User.Status.CONFIRMED


# --- MFA ------------------------------------------------------------------------------------------------


def _mfa(pool_id: str, mode: str, *, sms: bool = False) -> None:
    config = {"UserPoolId": pool_id, "MfaConfiguration": mode, "SoftwareTokenMfaConfiguration": {"Enabled": True}}
    if sms:
        config["SmsMfaConfiguration"] = {
            "SmsConfiguration": SMS_CONFIGURATION,
            "SmsAuthenticationMessage": "Your code is {####}",
        }
    user_pool_set_mfa_config(SYSTEM, config)


def test_mfa_required_sets_up_an_authenticator_with_a_qr_code_then_asks_for_it(oauth_app, browser):
    _mfa(oauth_app.pool_id, "ON")
    setup = browser.sign_in()
    html = setup.content.decode()
    assert setup.status_code == 200 and "Set up an authenticator app" in html
    assert 'src="data:image/svg+xml;base64,' in html
    secret = re.search(r'<code class="secret" id="secret">([A-Z2-7]+)</code>', html).group(1)
    totp = pyotp.TOTP(secret)
    wrong = browser.submit(setup, {"code": "000000"})
    assert wrong.status_code == 400 and secret in wrong.content.decode()  # the same key again
    done = browser.submit(wrong, {"code": totp.now(), "device_name": "phone"})
    assert done["Location"].startswith(CALLBACK), done.content.decode()[:2000]
    # next time: the authenticator's code
    second = HostedBrowser(oauth_app).sign_in()
    assert "authenticator app" in second.content.decode()
    import time

    assert browser.submit(second, {"code": totp.at(time.time() + 30)})["Location"].startswith(CALLBACK)


def test_sms_mfa_and_choosing_a_factor(oauth_app, sms_outbox, transactional_db):
    _mfa(oauth_app.pool_id, "OPTIONAL", sms=True)
    user = oauth_app.user
    user.attributes.update(phone_number=sms_outbox.number(), phone_number_verified="true")
    User.objects.filter(pk=user.pk).update(attributes=user.attributes)
    user = User.objects.get(pk=user.pk)
    user.pool = user_pool_get(oauth_app.pool_id)
    mfa.preference_set(SYSTEM, user, {"SMSMfaSettings": {"Enabled": True}})
    secret = mfa.totp_associate(SYSTEM, user)
    totp = pyotp.TOTP(secret)
    mfa.totp_verify(SYSTEM, user, totp.now(), "phone")
    mfa.preference_set(
        SYSTEM,
        user,
        {
            "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": False},
            "SMSMfaSettings": {"Enabled": True, "PreferredMfa": False},
        },
    )
    browser = HostedBrowser(oauth_app)
    choose = browser.sign_in()
    html = choose.content.decode()
    assert "Choose how to verify" in html and 'value="SMS_MFA"' in html and 'value="SOFTWARE_TOKEN_MFA"' in html
    code_page = browser.http.post(f"{oauth_app.base}login/challenge", {**form_fields(html), "answer": "SMS_MFA"})
    assert "Check your phone" in code_page.content.decode()
    sent = sms_outbox.next_message(user.attributes["phone_number"])
    assert browser.submit(code_page, {"code": "000000"}).status_code == 400
    assert browser.submit(code_page, {"code": sent.code})["Location"].startswith(CALLBACK)


def test_a_hosted_challenge_session_is_not_accepted_by_the_wire_api(oauth_app, browser):
    from userpools import signin as auth
    from userpools.errors import NotAuthorized

    _mfa(oauth_app.pool_id, "ON")
    setup = browser.sign_in()
    session = form_fields(setup.content.decode())["session"]
    with pytest.raises(NotAuthorized):
        auth.software_token_associate_in_sign_in(SYSTEM, session)
    with pytest.raises(NotAuthorized):
        auth.auth_respond(
            SYSTEM,
            client_id=oauth_app.client_id,
            challenge_name="MFA_SETUP",
            session=session,
            responses={"USERNAME": "alice"},
        )


def test_passkey_options_need_a_pool_with_passkeys(browser, oauth_app):
    page = browser.http.get(browser.authorize()["Location"])
    assert 'id="passkey-form"' not in page.content.decode()
    answer = browser.http.post(
        f"{oauth_app.base}login/passkey/options", {**form_fields(page.content.decode()), "username": "alice"}
    )
    assert answer.status_code == 400 and "error" in answer.json()

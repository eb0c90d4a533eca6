"""The admin console and MFA: pool users' factors, devices and passkeys (shown without
secrets, removed through the services), and operators' own TOTP for the console
(``COGNATE_ADMIN_REQUIRE_OTP``, django-otp's OTPAdminSite)."""

from __future__ import annotations

from io import StringIO
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.contrib import admin, messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from userpools.context import ServiceContext
from userpools.models import AuditEvent, SoftwareToken, User, UserDevice, WebAuthnCredential
from userpools.services import directory, mfa, pools

pytestmark = pytest.mark.django_db

CTX = ServiceContext(actor="test")
SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognate-sms", "ExternalId": "cognate"}
CHANGELIST = reverse("admin:userpools_pooluser_changelist")
INDEX, LOGIN = reverse("admin:index"), reverse("admin:login")


@pytest.fixture
def operator(make_operator):
    return make_operator("root", is_superuser=True)


@pytest.fixture
def console(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def pool():
    pool = pools.user_pool_create(CTX, {"PoolName": "mfa-console"})
    return pools.user_pool_set_mfa_config(
        CTX,
        {
            "UserPoolId": pool.id,
            "MfaConfiguration": "OPTIONAL",
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
            "SmsMfaConfiguration": {"SmsConfiguration": SMS_CONFIGURATION},
        },
    )


def _user(pool, username: str) -> User:
    return directory.user_admin_create(
        CTX,
        pool_id=pool.id,
        username=username,
        message_action="SUPPRESS",
        attributes=[{"Name": "phone_number", "Value": "+15555550100"}],
    )


def _enrol(user: User, name: str = "ada's phone") -> str:
    """A verified authenticator, SMS and TOTP enabled, TOTP preferred; returns its secret."""
    secret = mfa.totp_associate(CTX, user)
    mfa.totp_verify(CTX, user, pyotp.TOTP(secret).now(), name)
    mfa.preference_set(
        CTX,
        user,
        {"SMSMfaSettings": {"Enabled": True}, "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}},
    )
    return secret


def _device(user: User, key: str = "us-east-1_0f1e2d3c-0000-4000-8000-000000000001") -> UserDevice:
    return UserDevice.objects.create(
        pool=user.pool,
        user=user,
        device_key=key,
        group_key="-group",
        name="Firefox",
        verifier="00ff$not-to-be-shown",
        confirmed=True,
        remembered=True,
        last_ip="192.0.2.7",
    )


def _passkey(user: User) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        pool=user.pool,
        user=user,
        credential_id="Y3JlZGVudGlhbC1pZA",
        public_key=b"cose-public-key",
        relying_party_id="localhost",
        friendly_name="YubiKey",
    )


def _messages(response, level: int | None = None) -> list[str]:
    return [str(m) for m in response.context["messages"] if level is None or m.level == level]


# --- Pool users' factors ------------------------------------------------------------------------


def test_user_page_shows_factors_without_secrets(console, pool):
    user = _user(pool, "ada")
    secret = _enrol(user)
    pending = mfa.totp_associate(CTX, user)  # a second authenticator, not verified yet
    _device(user)
    _passkey(user)
    response = console.get(reverse("admin:userpools_pooluser_change", args=[user.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enabled: SMS_MFA, SOFTWARE_TOKEN_MFA" in page and "Preferred: SOFTWARE_TOKEN_MFA" in page
    assert "ada&#x27;s phone" in page and "verified" in page and "awaiting VerifySoftwareToken" in page
    assert "1 device(s), 1 remembered" in page and "1 passkey(s)" in page
    assert secret not in page and pending not in page
    listed = console.get(CHANGELIST)
    assert "SOFTWARE_TOKEN_MFA (preferred)" in listed.content.decode()


def test_device_and_passkey_pages_show_no_key_material(console, pool):
    user = _user(pool, "ada")
    device, passkey = _device(user), _passkey(user)
    devices = console.get(reverse("admin:userpools_userdevice_changelist"), {"user": user.pk})
    assert list(devices.context["cl"].result_list) == [device]
    shown = console.get(reverse("admin:userpools_userdevice_change", args=[device.pk]))
    assert shown.status_code == 200 and b"not-to-be-shown" not in shown.content
    assert reverse("admin:userpools_pooluser_change", args=[user.pk]).encode() in shown.content
    passkeys = console.get(reverse("admin:userpools_webauthncredential_changelist"), {"user": user.pk})
    assert list(passkeys.context["cl"].result_list) == [passkey]
    shown = console.get(reverse("admin:userpools_webauthncredential_change", args=[passkey.pk]))
    assert shown.status_code == 200 and b"cose-public-key" not in shown.content


def test_remove_software_token_action(console, pool):
    ada, bob = _user(pool, "ada"), _user(pool, "bob")
    _enrol(ada)
    response = console.post(
        CHANGELIST, {"action": "remove_software_tokens", "_selected_action": [ada.pk, bob.pk]}, follow=True
    )
    assert not SoftwareToken.objects.filter(user=ada).exists()
    ada.refresh_from_db()
    assert ada.mfa_enabled == ["SMS_MFA"] and ada.mfa_preferred == ""
    assert AuditEvent.objects.filter(action="user.software_token_delete", target="ada", actor="operator:root").exists()
    assert not AuditEvent.objects.filter(action="user.software_token_delete", target="bob").exists()
    assert _messages(response, messages.WARNING) == ["1 user(s) had no software token."]


def test_disable_mfa_action(console, pool):
    ada = _user(pool, "ada")
    _enrol(ada)
    console.post(CHANGELIST, {"action": "disable_mfa", "_selected_action": [ada.pk]})
    ada.refresh_from_db()
    assert ada.mfa_enabled == [] and ada.mfa_preferred == ""
    assert SoftwareToken.objects.filter(user=ada, confirmed=True).exists()  # disabled, not removed
    event = AuditEvent.objects.get(action="user.mfa_preference", target="ada", actor="operator:root")
    assert event.details == {"enabled": [], "preferred": ""}


@pytest.mark.parametrize("kind, audit_action", [("device", "user.device_forget"), ("passkey", "webauthn.delete")])
def test_forget_device_and_delete_passkey_through_their_services(console, pool, kind, audit_action):
    user = _user(pool, "ada")
    obj = _device(user) if kind == "device" else _passkey(user)
    response = console.post(reverse(f"admin:userpools_{obj._meta.model_name}_delete", args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not type(obj).objects.filter(pk=obj.pk).exists()
    assert AuditEvent.objects.filter(action=audit_action, target="ada", actor="operator:root").exists()


def test_bulk_forget_devices_goes_through_the_service_for_confirmed_and_unconfirmed(console, pool):
    user = _user(pool, "ada")
    confirmed = _device(user)
    unconfirmed = _device(user, key="us-east-1_0f1e2d3c-0000-4000-8000-000000000002")
    UserDevice.objects.filter(pk=unconfirmed.pk).update(confirmed=False)  # the API would not see this one
    response = console.post(
        reverse("admin:userpools_userdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [confirmed.pk, unconfirmed.pk], "post": "yes"},
        follow=True,
    )
    assert list(UserDevice.objects.filter(user=user)) == []
    assert _messages(response, messages.ERROR) == []
    assert AuditEvent.objects.filter(action="user.device_forget").count() == 2


# --- Operators' TOTP for the console ---------------------------------------------------------------


def _operator_totp(username: str = "root", *args: str) -> pyotp.TOTP:
    out = StringIO()
    call_command("operator_totp", username, *args, stdout=out, stderr=StringIO())
    url = out.getvalue().splitlines()[0]
    assert url.startswith("otpauth://totp/")
    return pyotp.TOTP(parse_qs(urlparse(url).query)["secret"][0])


def _login(client, code: str, username: str = "root"):
    return client.post(LOGIN, {"username": username, "password": f"pw-{username}", "otp_token": code, "next": INDEX})


def test_console_site_is_django_otps_and_keeps_its_registrations(console):
    assert isinstance(admin.site, OTPAdminSite)
    for name in ("userpools_userpool", "userpools_pooluser", "userpools_auditevent", "otp_totp_totpdevice"):
        assert console.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    login = console.get(LOGIN)  # off by default: the plain login form
    assert b"otp_token" not in login.content


def test_password_only_is_sent_to_the_otp_login(client, operator, settings):
    settings.COGNATE_ADMIN_REQUIRE_OTP = True
    assert client.login(username="root", password="pw-root")
    response = client.get(INDEX)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert b'name="otp_token"' in client.get(response.url).content


def test_valid_totp_code_gives_access(client, operator, settings):
    settings.COGNATE_ADMIN_REQUIRE_OTP = True
    totp = _operator_totp()
    response = _login(client, totp.now())
    assert response.status_code == 302 and response.url == INDEX
    assert client.get(INDEX).status_code == 200
    assert client.get(CHANGELIST).status_code == 200


def test_wrong_totp_code_does_not(client, operator, settings):
    settings.COGNATE_ADMIN_REQUIRE_OTP = True
    totp = _operator_totp()
    wrong = f"{(int(totp.now()) + 1) % 10**6:06d}"
    response = _login(client, wrong)
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["invalid_token"]
    assert client.get(INDEX).status_code == 302
    assert _login(client, "").status_code == 200  # no code at all
    assert client.get(INDEX).status_code == 302


def test_operator_without_authenticator_is_told_to_enrol(client, operator, settings):
    settings.COGNATE_ADMIN_REQUIRE_OTP = True
    response = _login(client, "123456")
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["otp_not_enrolled"]
    assert client.get(INDEX).status_code == 302


def test_operator_with_two_authenticators_picks_one(client, operator, settings):
    settings.COGNATE_ADMIN_REQUIRE_OTP = True
    _operator_totp()
    second = _operator_totp("root", "--name", "backup")
    response = _login(client, second.now())
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["device_required"]
    device = TOTPDevice.objects.get(user=operator, name="backup")
    response = client.post(
        LOGIN,
        {
            "username": "root",
            "password": "pw-root",
            "otp_device": device.persistent_id,
            "otp_token": second.now(),
            "next": INDEX,
        },
    )
    assert response.status_code == 302
    assert client.get(INDEX).status_code == 200


def test_operator_totp_command(operator, make_operator):
    first = _operator_totp()
    device = TOTPDevice.objects.get(user=operator)
    assert device.confirmed and device.name == "authenticator"
    assert AuditEvent.objects.filter(action="operator.totp_device_create", target="root", actor="cli:root").exists()
    second = _operator_totp("root", "--replace", "--name", "new phone")
    assert list(TOTPDevice.objects.filter(user=operator).values_list("name", flat=True)) == ["new phone"]
    assert first.secret != second.secret
    assert AuditEvent.objects.filter(action="operator.totp_device_delete", target="root").exists()
    with pytest.raises(CommandError):
        call_command("operator_totp", "nobody", stdout=StringIO())


def test_totp_device_admin_lists_operators_only(console, operator, pool):
    own = TOTPDevice.objects.create(user=operator, name="mine", confirmed=True)
    TOTPDevice.objects.create(user=_user(pool, "ada"), name="not an operator's")
    response = console.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert list(response.context["cl"].result_list) == [own]
    console.post(reverse("admin:otp_totp_totpdevice_delete", args=[own.pk]), {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=own.pk).exists()
    assert AuditEvent.objects.filter(
        action="operator.totp_device_delete", target="root", actor="operator:root"
    ).exists()

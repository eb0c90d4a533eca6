"""Remembered devices through boto3: NewDeviceMetadata, ConfirmDevice, device
authentication (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) in place of MFA, and the
device operations and their Admin variants."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.auth.conftest import assert_signed_in
from tests.devices.conftest import (
    PASSWORD,
    call_error,
    confirm,
    device_authenticate,
    device_srp_start,
    password_sign_in,
    remembered_device,
    srp_sign_in,
    user_named,
)
from tests.mfa.conftest import next_code, totp_enroll
from userpools import srp
from userpools.models import UserDevice

pytestmark = pytest.mark.django_db(transaction=True)

DEVICE_KEY = re.compile(r"us-east-1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def attributes(device: dict) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in device["DeviceAttributes"]}


def access(result: dict) -> str:
    return result["AuthenticationResult"]["AccessToken"]


def enable_totp(api, token: str) -> pyotp.TOTP:
    totp = totp_enroll(api, token)
    api.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return totp


# --- New devices and ConfirmDevice -------------------------------------------------------------


def test_no_device_metadata_without_device_tracking(public, device_pool, make_user):
    pool_id, client = device_pool(tracking=False)
    make_user(pool_id, "alice")
    assert "NewDeviceMetadata" not in password_sign_in(public, client, "alice")["AuthenticationResult"]
    assert "NewDeviceMetadata" not in srp_sign_in(public, client, pool_id, "alice")["AuthenticationResult"]
    assert not UserDevice.objects.exists()


def test_every_sign_in_without_a_device_gets_a_new_one(idp, public, device_pool, make_user):
    pool_id, client = device_pool()
    user = make_user(pool_id, "alice")
    result = password_sign_in(public, client, "alice")
    assert_signed_in(result, user, client["ClientId"])
    metadata = result["AuthenticationResult"]["NewDeviceMetadata"]
    assert DEVICE_KEY.fullmatch(metadata["DeviceKey"])
    assert re.fullmatch(r"-[A-Za-z0-9]{9}", metadata["DeviceGroupKey"])
    again = srp_sign_in(public, client, pool_id, "alice")["AuthenticationResult"]["NewDeviceMetadata"]
    assert again["DeviceKey"] != metadata["DeviceKey"]
    admin = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert "NewDeviceMetadata" in admin["AuthenticationResult"]
    # Unconfirmed devices are nobody's business yet.
    assert UserDevice.objects.filter(user=user, confirmed=False).count() == 3
    assert idp.admin_list_devices(UserPoolId=pool_id, Username="alice")["Devices"] == []
    assert (
        call_error(public.get_device, AccessToken=access(result), DeviceKey=metadata["DeviceKey"])
        == "ResourceNotFoundException"
    )


def test_confirm_device_remembers_at_once_unless_the_user_is_asked(idp, public, device_pool, make_user):
    pool_id, client = device_pool(prompt=False)
    make_user(pool_id, "alice")
    result = srp_sign_in(public, client, pool_id, "alice")
    device, answer = confirm(public, result, name="Alice's laptop")
    assert answer["UserConfirmationNecessary"] is False
    got = public.get_device(AccessToken=access(result), DeviceKey=device.key)["Device"]
    assert got["DeviceKey"] == device.key
    attrs = attributes(got)
    assert attrs["device_status"] == "valid" and attrs["device_name"] == "Alice's laptop"
    assert attrs["dev:device_remembered_status"] == "remembered"
    assert attrs["dev:device_owner"] == f"alice.{pool_id}"
    assert (
        attrs["dev:device_arn"]
        == f"arn:aws:cognito-idp:us-east-1:000000000000:owner/alice.{pool_id}/device/{device.key}"
    )
    assert attrs["last_ip_used"] == "127.0.0.1"
    assert {"DeviceCreateDate", "DeviceLastModifiedDate", "DeviceLastAuthenticatedDate"} <= set(got)
    assert [d["DeviceKey"] for d in public.list_devices(AccessToken=access(result))["Devices"]] == [device.key]
    stored = UserDevice.objects.get(device_key=device.key)
    assert stored.confirmed and stored.remembered and stored.verifier.count("$") == 1
    assert device.password not in stored.verifier


def test_user_prompt_devices_wait_for_update_device_status(idp, public, device_pool, make_user):
    pool_id, client = device_pool(prompt=True)
    make_user(pool_id, "alice")
    result = srp_sign_in(public, client, pool_id, "alice")
    device, answer = confirm(public, result)
    assert answer["UserConfirmationNecessary"] is True
    token = access(result)
    # Confirmed but not remembered: the user's own listing shows remembered devices only.
    assert call_error(public.get_device, AccessToken=token, DeviceKey=device.key) == "ResourceNotFoundException"
    assert public.list_devices(AccessToken=token)["Devices"] == []
    admin = idp.admin_get_device(UserPoolId=pool_id, Username="alice", DeviceKey=device.key)["Device"]
    assert attributes(admin)["dev:device_remembered_status"] == "not_remembered"
    public.update_device_status(AccessToken=token, DeviceKey=device.key, DeviceRememberedStatus="remembered")
    assert (
        attributes(public.get_device(AccessToken=token, DeviceKey=device.key)["Device"])["dev:device_remembered_status"]
        == "remembered"
    )
    idp.admin_update_device_status(
        UserPoolId=pool_id, Username="alice", DeviceKey=device.key, DeviceRememberedStatus="not_remembered"
    )
    assert public.list_devices(AccessToken=token)["Devices"] == []
    assert [d["DeviceKey"] for d in idp.admin_list_devices(UserPoolId=pool_id, Username="alice")["Devices"]] == [
        device.key
    ]


def test_confirm_device_twice(public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    result = srp_sign_in(public, client, pool_id, "alice")
    device, _ = confirm(public, result)
    _, config = srp.device_secret_new(device.group, device.key)
    code = call_error(
        public.confirm_device, AccessToken=access(result), DeviceKey=device.key, DeviceSecretVerifierConfig=config
    )
    assert code == "DeviceKeyExistsException"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@pytest.mark.parametrize(
    "config",
    [
        None,
        {},
        {"Salt": _b64(b"\x12" * 16)},
        {"PasswordVerifier": _b64(b"\x12" * 384)},
        {"Salt": "not base64!", "PasswordVerifier": _b64(b"\x12" * 384)},
        {"Salt": _b64(b"\x12" * 16), "PasswordVerifier": "%%%"},
        {"Salt": _b64(b"\x12" * 16), "PasswordVerifier": _b64(b"\x00")},
        {"Salt": _b64(b"\x12" * 16), "PasswordVerifier": _b64(b"\x01")},
        {"Salt": _b64(b"\x12" * 16), "PasswordVerifier": _b64(srp.N.to_bytes(385, "big"))},
        {"Salt": "", "PasswordVerifier": _b64(b"\x12" * 384)},
    ],
    ids=[
        "missing",
        "empty",
        "no verifier",
        "no salt",
        "salt not base64",
        "verifier not base64",
        "verifier 0",
        "verifier 1",
        "verifier N",
        "empty salt",
    ],
)
def test_confirm_device_needs_an_srp_verifier(public, device_pool, make_user, config):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    result = srp_sign_in(public, client, pool_id, "alice")
    key = result["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    kwargs = {} if config is None else {"DeviceSecretVerifierConfig": config}
    code = call_error(public.confirm_device, AccessToken=access(result), DeviceKey=key, **kwargs)
    assert code == "InvalidParameterException"
    assert not UserDevice.objects.get(device_key=key).confirmed


def test_confirm_device_of_unknown_or_another_users_key(public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    make_user(pool_id, "bob")
    alice, bob = srp_sign_in(public, client, pool_id, "alice"), srp_sign_in(public, client, pool_id, "bob")
    bobs_key = bob["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    _, config = srp.device_secret_new("-group", bobs_key)
    for key in (bobs_key, "us-east-1_00000000-0000-4000-8000-000000000000"):
        code = call_error(
            public.confirm_device, AccessToken=access(alice), DeviceKey=key, DeviceSecretVerifierConfig=config
        )
        assert code == "ResourceNotFoundException"
    assert not UserDevice.objects.get(device_key=bobs_key).confirmed


# --- Device authentication ---------------------------------------------------------------------


def test_remembered_device_signs_in_with_device_srp(public, device_pool, make_user):
    pool_id, client = device_pool()
    user = make_user(pool_id, "alice")
    device, _ = remembered_device(public, client, pool_id, "alice")
    answer = srp_sign_in(public, client, pool_id, "alice", device)
    assert answer["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert answer["ChallengeParameters"] == {"USERNAME": "alice", "DEVICE_KEY": device.key}
    helper, verifier = device_srp_start(public, client, pool_id, answer, "alice", device)
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    params = verifier["ChallengeParameters"]
    assert set(params) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "DEVICE_KEY"}
    assert params["USERNAME"] == "alice" and params["DEVICE_KEY"] == device.key
    before = UserDevice.objects.get(device_key=device.key).last_authenticated_at
    responses = helper.respond_device(params, group_key=device.group, device_key=device.key, password=device.password)
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=responses,
    )
    assert_signed_in(result, user, client["ClientId"])
    assert "NewDeviceMetadata" not in result["AuthenticationResult"]  # a known device gets no new key
    assert UserDevice.objects.get(device_key=device.key).last_authenticated_at > before


def test_device_key_in_initiate_auth_of_a_password_sign_in(public, idp, device_pool, make_user):
    pool_id, client = device_pool()
    user = make_user(pool_id, "alice")
    device, _ = remembered_device(public, client, pool_id, "alice")
    answer = password_sign_in(public, client, "alice", DEVICE_KEY=device.key)
    assert_signed_in(device_authenticate(public, client, pool_id, answer, "alice", device), user, client["ClientId"])
    admin = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "DEVICE_KEY": device.key},
    )
    assert admin["ChallengeName"] == "DEVICE_SRP_AUTH"


def test_a_remembered_device_skips_mfa(public, device_pool, make_user):
    """ChallengeRequiredOnNewDevice: a remembered device stands in for the second factor;
    the same device not remembered (the user declined) does not."""
    pool_id, client = device_pool(mfa="ON", prompt=True, challenge=True)
    user = make_user(pool_id, "alice")
    first = srp_sign_in(public, client, pool_id, "alice")
    assert first["ChallengeName"] == "MFA_SETUP"
    # Set TOTP up through the MFA_SETUP session, then confirm this device with the tokens.
    session = first["Session"]
    associated = public.associate_software_token(Session=session)
    totp = pyotp.TOTP(associated["SecretCode"])
    verified = public.verify_software_token(Session=associated["Session"], UserCode=totp.now())
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "alice"},
    )
    device, answer = confirm(public, result)
    assert answer["UserConfirmationNecessary"] is True

    # Confirmed, not remembered yet: MFA is asked, and no new device key is handed out.
    not_yet = srp_sign_in(public, client, pool_id, "alice", device)
    assert not_yet["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=not_yet["Session"],
        ChallengeResponses={"USERNAME": "alice", "DEVICE_KEY": device.key, "SOFTWARE_TOKEN_MFA_CODE": next_code(totp)},
    )
    assert_signed_in(done, user, client["ClientId"])
    assert "NewDeviceMetadata" not in done["AuthenticationResult"]

    public.update_device_status(AccessToken=access(result), DeviceKey=device.key, DeviceRememberedStatus="remembered")
    answer = srp_sign_in(public, client, pool_id, "alice", device)
    assert answer["ChallengeName"] == "DEVICE_SRP_AUTH"  # no SOFTWARE_TOKEN_MFA
    assert_signed_in(device_authenticate(public, client, pool_id, answer, "alice", device), user, client["ClientId"])

    public.update_device_status(
        AccessToken=access(result), DeviceKey=device.key, DeviceRememberedStatus="not_remembered"
    )
    assert srp_sign_in(public, client, pool_id, "alice", device)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_without_challenge_required_on_new_device_mfa_comes_first(public, device_pool, make_user):
    """ChallengeRequiredOnNewDevice false: a remembered device is still authenticated, after
    the MFA code (where amazon-cognito-identity-js expects DEVICE_SRP_AUTH too)."""
    pool_id, client = device_pool(mfa="OPTIONAL", prompt=False, challenge=False)
    user = make_user(pool_id, "alice")
    device, result = remembered_device(public, client, pool_id, "alice")
    totp = enable_totp(public, access(result))
    answer = srp_sign_in(public, client, pool_id, "alice", device)
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    after_mfa = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": next_code(totp)},
    )
    assert after_mfa["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert_signed_in(device_authenticate(public, client, pool_id, after_mfa, "alice", device), user, client["ClientId"])


def test_refresh_with_a_device_key(public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    make_user(pool_id, "bob")
    device, result = remembered_device(public, client, pool_id, "alice")
    bobs, _ = remembered_device(public, client, pool_id, "bob")
    refresh = result["AuthenticationResult"]["RefreshToken"]

    def refreshed(**extra):
        return public.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh, **extra},
        )

    assert refreshed(DEVICE_KEY=device.key)["AuthenticationResult"]["AccessToken"]
    assert refreshed()["AuthenticationResult"]["AccessToken"]
    for key in (bobs.key, "us-east-1_00000000-0000-4000-8000-000000000000"):
        code = call_error(
            public.initiate_auth,
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh, "DEVICE_KEY": key},
        )
        assert code == "NotAuthorizedException"


# --- Refused device sign-ins -------------------------------------------------------------------


def test_unknown_device_key_is_refused_before_the_claim_is_spent(public, device_pool, make_user):
    """amazon-cognito-identity-js answers "device does not exist" by forgetting its device
    and sending the same PASSWORD_VERIFIER claim again without it."""
    pool_id, client = device_pool()
    user = make_user(pool_id, "alice")
    helper = srp.Client(pool_id)
    challenge = public.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "alice", "SRP_A": helper.srp_a},
    )
    responses = helper.respond(challenge["ChallengeParameters"], PASSWORD)
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses={**responses, "DEVICE_KEY": "us-east-1_00000000-0000-4000-8000-000000000000"},
    )
    assert code == "ResourceNotFoundException"
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert_signed_in(result, user, client["ClientId"])
    assert "NewDeviceMetadata" in result["AuthenticationResult"]
    code = call_error(
        public.initiate_auth,
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "alice",
            "PASSWORD": PASSWORD,
            "DEVICE_KEY": "us-east-1_00000000-0000-4000-8000-000000000000",
        },
    )
    assert code == "ResourceNotFoundException"


def test_another_users_device(idp, public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    make_user(pool_id, "bob")
    bobs, _ = remembered_device(public, client, pool_id, "bob")
    alice = srp_sign_in(public, client, pool_id, "alice")
    assert (
        call_error(
            public.respond_to_auth_challenge,
            ClientId=client["ClientId"],
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=_claim(public, client, pool_id, "alice", DEVICE_KEY=bobs.key),
        )
        == "ResourceNotFoundException"
    )
    token = access(alice)
    assert call_error(public.get_device, AccessToken=token, DeviceKey=bobs.key) == "ResourceNotFoundException"
    assert call_error(public.forget_device, AccessToken=token, DeviceKey=bobs.key) == "ResourceNotFoundException"
    assert (
        call_error(
            public.update_device_status, AccessToken=token, DeviceKey=bobs.key, DeviceRememberedStatus="not_remembered"
        )
        == "ResourceNotFoundException"
    )
    assert (
        call_error(idp.admin_get_device, UserPoolId=pool_id, Username="alice", DeviceKey=bobs.key)
        == "ResourceNotFoundException"
    )
    assert UserDevice.objects.get(device_key=bobs.key).remembered


def _claim(api, client: dict, pool_id: str, username: str, **extra) -> dict:
    helper = srp.Client(pool_id)
    challenge = api.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": helper.srp_a},
    )
    return {**helper.respond(challenge["ChallengeParameters"], PASSWORD), **extra}


def test_forgotten_device_cannot_finish_or_start_device_auth(idp, public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    device, result = remembered_device(public, client, pool_id, "alice")
    answer = srp_sign_in(public, client, pool_id, "alice", device)
    assert answer["ChallengeName"] == "DEVICE_SRP_AUTH"
    public.forget_device(AccessToken=access(result), DeviceKey=device.key)
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="DEVICE_SRP_AUTH",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "DEVICE_KEY": device.key, "SRP_A": srp.Client(pool_id).srp_a},
    )
    assert code == "ResourceNotFoundException"
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=_claim(public, client, pool_id, "alice", DEVICE_KEY=device.key),
    )
    assert code == "ResourceNotFoundException"
    assert not UserDevice.objects.filter(device_key=device.key).exists()
    assert (
        call_error(public.get_device, AccessToken=access(result), DeviceKey=device.key) == "ResourceNotFoundException"
    )


def test_admin_forget_device_mid_verification(idp, public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    device, _ = remembered_device(public, client, pool_id, "alice")
    answer = srp_sign_in(public, client, pool_id, "alice", device)
    helper, verifier = device_srp_start(public, client, pool_id, answer, "alice", device)
    idp.admin_forget_device(UserPoolId=pool_id, Username="alice", DeviceKey=device.key)
    responses = helper.respond_device(
        verifier["ChallengeParameters"], group_key=device.group, device_key=device.key, password=device.password
    )
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=responses,
    )
    assert code == "ResourceNotFoundException"


def test_wrong_device_password(public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    device, _ = remembered_device(public, client, pool_id, "alice")
    answer = srp_sign_in(public, client, pool_id, "alice", device)
    with pytest.raises(ClientError) as exc:
        device_authenticate(public, client, pool_id, answer, "alice", device, password="not the device's password")
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_device_verifier_refusals(public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    device, _ = remembered_device(public, client, pool_id, "alice")
    answer = srp_sign_in(public, client, pool_id, "alice", device)

    def respond(name: str, session: str, responses: dict) -> str:
        return call_error(
            public.respond_to_auth_challenge,
            ClientId=client["ClientId"],
            ChallengeName=name,
            Session=session,
            ChallengeResponses={"USERNAME": "alice", **responses},
        )

    other = "us-east-1_00000000-0000-4000-8000-000000000000"
    assert (
        respond("DEVICE_SRP_AUTH", answer["Session"], {"DEVICE_KEY": other, "SRP_A": "ab"}) == "NotAuthorizedException"
    )
    assert (
        respond("DEVICE_SRP_AUTH", answer["Session"], {"DEVICE_KEY": device.key, "SRP_A": "0"})
        == "InvalidParameterException"
    )
    assert (
        respond("DEVICE_PASSWORD_VERIFIER", answer["Session"], {"DEVICE_KEY": device.key})
        == "InvalidParameterException"
    )  # the session is DEVICE_SRP_AUTH's
    helper, verifier = device_srp_start(public, client, pool_id, answer, "alice", device)
    good = helper.respond_device(
        verifier["ChallengeParameters"], group_key=device.group, device_key=device.key, password=device.password
    )
    session = verifier["Session"]
    assert (
        respond("DEVICE_PASSWORD_VERIFIER", session, {**good, "TIMESTAMP": "yesterday"}) == "InvalidParameterException"
    )
    stale = helper.respond_device(
        verifier["ChallengeParameters"],
        group_key=device.group,
        device_key=device.key,
        password=device.password,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    assert respond("DEVICE_PASSWORD_VERIFIER", session, stale) == "NotAuthorizedException"
    block = base64.b64encode(b"x" * 48).decode()
    assert (
        respond("DEVICE_PASSWORD_VERIFIER", session, {**good, "PASSWORD_CLAIM_SECRET_BLOCK": block})
        == "NotAuthorizedException"
    )
    assert respond("DEVICE_PASSWORD_VERIFIER", session, {**good, "DEVICE_KEY": other}) == "NotAuthorizedException"
    # Refusals leave the session alive; the right proof still passes, once.
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="DEVICE_PASSWORD_VERIFIER", Session=session, ChallengeResponses=good
    )
    assert "AccessToken" in result["AuthenticationResult"]
    assert respond("DEVICE_PASSWORD_VERIFIER", session, good) == "NotAuthorizedException"


# --- Device operations -------------------------------------------------------------------------


def test_list_devices_pages(idp, public, device_pool, make_user):
    pool_id, client = device_pool(prompt=False)
    make_user(pool_id, "alice")
    keys, token = [], None
    for _ in range(3):
        device, result = remembered_device(public, client, pool_id, "alice")
        keys.append(device.key)
        token = access(result)
    first = public.list_devices(AccessToken=token, Limit=2)
    assert [d["DeviceKey"] for d in first["Devices"]] == keys[:2]
    rest = public.list_devices(AccessToken=token, Limit=2, PaginationToken=first["PaginationToken"])
    assert [d["DeviceKey"] for d in rest["Devices"]] == keys[2:] and "PaginationToken" not in rest
    admin = idp.admin_list_devices(UserPoolId=pool_id, Username="alice", Limit=1)
    assert [d["DeviceKey"] for d in admin["Devices"]] == keys[:1] and admin["PaginationToken"]
    assert call_error(public.list_devices, AccessToken=token, PaginationToken="garbage") == "InvalidParameterException"


def test_forget_device(idp, public, device_pool, make_user):
    pool_id, client = device_pool(prompt=False)
    make_user(pool_id, "alice")
    first, result = remembered_device(public, client, pool_id, "alice")
    second, _ = remembered_device(public, client, pool_id, "alice")
    public.forget_device(AccessToken=access(result), DeviceKey=first.key)
    idp.admin_forget_device(UserPoolId=pool_id, Username="alice", DeviceKey=second.key)
    assert public.list_devices(AccessToken=access(result))["Devices"] == []
    assert (
        call_error(public.forget_device, AccessToken=access(result), DeviceKey=first.key) == "ResourceNotFoundException"
    )
    # Signing in with a forgotten key is refused; without one, the device is new again.
    assert (
        call_error(
            public.initiate_auth,
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "DEVICE_KEY": first.key},
        )
        == "ResourceNotFoundException"
    )


def test_device_operations_need_a_valid_access_token(public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    device, _ = remembered_device(public, client, pool_id, "alice")
    assert call_error(public.get_device, DeviceKey=device.key) == "NotAuthorizedException"
    assert call_error(public.forget_device, DeviceKey=device.key) == "NotAuthorizedException"
    assert call_error(public.list_devices, AccessToken="not.a.token") == "NotAuthorizedException"
    assert UserDevice.objects.filter(device_key=device.key).exists()


def test_admin_device_operations_name_users_and_statuses(idp, public, device_pool, make_user):
    pool_id, client = device_pool()
    make_user(pool_id, "alice", email="alice@example.com")
    device, result = remembered_device(public, client, pool_id, "alice")
    sub = str(user_named(pool_id, "alice").sub)
    assert (
        idp.admin_get_device(UserPoolId=pool_id, Username=sub, DeviceKey=device.key)["Device"]["DeviceKey"]
        == device.key
    )
    assert (
        call_error(idp.admin_get_device, UserPoolId=pool_id, Username="nobody", DeviceKey=device.key)
        == "ResourceNotFoundException"
    )
    assert call_error(idp.admin_list_devices, UserPoolId=pool_id, Username="nobody") == "ResourceNotFoundException"
    assert (
        call_error(idp.admin_forget_device, UserPoolId=pool_id, Username="nobody", DeviceKey=device.key)
        == "UserNotFoundException"
    )
    assert (
        call_error(idp.admin_update_device_status, UserPoolId=pool_id, Username="alice", DeviceKey=device.key)
        == "InvalidParameterException"
    )
    assert (
        call_error(public.update_device_status, AccessToken=access(result), DeviceKey=device.key)
        == "InvalidParameterException"
    )
    assert (
        call_error(idp.admin_get_device, UserPoolId="us-east-1_nothere00", Username="alice", DeviceKey=device.key)
        == "ResourceNotFoundException"
    )


def test_unconfirmed_devices_are_purged_after_a_day(public, device_pool, make_user):
    from userpools.services import devices

    pool_id, client = device_pool()
    make_user(pool_id, "alice")
    stale = password_sign_in(public, client, "alice")["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    fresh = password_sign_in(public, client, "alice")["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    device, _ = remembered_device(public, client, pool_id, "alice")
    UserDevice.objects.filter(device_key__in=[stale, device.key]).update(
        created_at=datetime.now(UTC) - timedelta(days=2)
    )
    assert devices.devices_unconfirmed_purge() == 1
    assert set(UserDevice.objects.values_list("device_key", flat=True)) == {fresh, device.key}


def test_the_console_forgets_unconfirmed_devices_too(public, device_pool, make_user, ctx):
    from userpools.errors import ResourceNotFound
    from userpools.services import devices

    pool_id, client = device_pool()
    user = make_user(pool_id, "alice")
    key = password_sign_in(public, client, "alice")["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
    with pytest.raises(ResourceNotFound):
        devices.device_forget(ctx, user=user, device_key=key)
    devices.device_forget(ctx, user=user, device_key=key, confirmed_only=False)
    assert not UserDevice.objects.filter(device_key=key).exists()

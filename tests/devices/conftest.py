"""Fixtures for remembered devices: pools that track devices, SRP sign-ins that name a
device, and a device the way an SDK keeps one (key, group key, random password)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.auth.conftest import PASSWORD, call_error, hash_for, user_named  # noqa: F401 - re-exported
from tests.selfservice.conftest import idp, make_user, public  # noqa: F401 - fixtures
from userpools import srp

FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@dataclass
class Device:
    """What an SDK stores for a device: its key, group key and random password."""

    key: str
    group: str
    password: str


@pytest.fixture
def device_pool(idp, make_pool, make_client):  # noqa: F811 - fixtures
    """device_pool(prompt=True, challenge=True, mfa="OFF", tracking=True) -> (pool_id, client dict).

    ``prompt`` is DeviceOnlyRememberedOnUserPrompt, ``challenge`` ChallengeRequiredOnNewDevice;
    with ``mfa`` other than OFF the pool offers TOTP."""

    def make(
        *, prompt: bool = True, challenge: bool = True, mfa: str = "OFF", tracking: bool = True, **client_kwargs
    ) -> tuple[str, dict]:
        config = {"ChallengeRequiredOnNewDevice": challenge, "DeviceOnlyRememberedOnUserPrompt": prompt}
        pool_kwargs = {"DeviceConfiguration": config} if tracking else {}
        pool_id = make_pool(AutoVerifiedAttributes=["email"], **pool_kwargs)["Id"]
        if mfa != "OFF":
            idp.set_user_pool_mfa_config(
                UserPoolId=pool_id, MfaConfiguration=mfa, SoftwareTokenMfaConfiguration={"Enabled": True}
            )
        client_kwargs.setdefault("ExplicitAuthFlows", FLOWS)
        return pool_id, make_client(pool_id, **client_kwargs)

    return make


def password_sign_in(api, client: dict, username: str, password: str = PASSWORD, **extra) -> dict:
    return api.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password, **extra},
    )


def srp_sign_in(
    api, client: dict, pool_id: str, username: str, device: Device | None = None, password: str = PASSWORD
) -> dict:
    """USER_SRP_AUTH and the PASSWORD_VERIFIER claim, naming ``device`` in the claim (as the SDKs do)."""
    helper = srp.Client(pool_id)
    challenge = api.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": helper.srp_a},
    )
    responses = helper.respond(challenge["ChallengeParameters"], password)
    if device is not None:
        responses["DEVICE_KEY"] = device.key
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )


def confirm(api, result: dict, name: str = "test device", **kwargs) -> tuple[Device, dict]:
    """ConfirmDevice for the NewDeviceMetadata of ``result`` (a sign-in's answer), with a
    verifier made as the SDKs make it: (the device, ConfirmDevice's answer)."""
    metadata = result["AuthenticationResult"]["NewDeviceMetadata"]
    key, group = metadata["DeviceKey"], metadata["DeviceGroupKey"]
    password, config = srp.device_secret_new(group, key)
    answer = api.confirm_device(
        AccessToken=result["AuthenticationResult"]["AccessToken"],
        DeviceKey=key,
        DeviceSecretVerifierConfig=config,
        DeviceName=name,
        **kwargs,
    )
    return Device(key, group, password), answer


def device_srp_start(
    api, client: dict, pool_id: str, answer: dict, username: str, device: Device, helper: srp.Client | None = None
) -> tuple[srp.Client, dict]:
    """Answer a DEVICE_SRP_AUTH challenge: (the SRP client, the DEVICE_PASSWORD_VERIFIER challenge)."""
    assert answer["ChallengeName"] == "DEVICE_SRP_AUTH", answer.get("ChallengeName")
    helper = helper or srp.Client(pool_id)
    verifier = api.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="DEVICE_SRP_AUTH",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": username, "DEVICE_KEY": device.key, "SRP_A": helper.srp_a},
    )
    return helper, verifier


def device_authenticate(
    api, client: dict, pool_id: str, answer: dict, username: str, device: Device, password: str | None = None
) -> dict:
    """DEVICE_SRP_AUTH then DEVICE_PASSWORD_VERIFIER with the device's password (or ``password``)."""
    helper, verifier = device_srp_start(api, client, pool_id, answer, username, device)
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    responses = helper.respond_device(
        verifier["ChallengeParameters"],
        group_key=device.group,
        device_key=device.key,
        password=password or device.password,
    )
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=responses,
    )


def remembered_device(api, client: dict, pool_id: str, username: str) -> tuple[Device, dict]:
    """A device confirmed and remembered by ``username``: (the device, the sign-in's answer)."""
    result = srp_sign_in(api, client, pool_id, username)
    device, answer = confirm(api, result)
    if answer["UserConfirmationNecessary"]:
        api.update_device_status(
            AccessToken=result["AuthenticationResult"]["AccessToken"],
            DeviceKey=device.key,
            DeviceRememberedStatus="remembered",
        )
    return device, result

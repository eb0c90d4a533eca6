"""amazon-cognito-identity-js, unmodified, through the remembered-device flow: an SRP
sign-in that passes TOTP and confirms its device, setDeviceStatusRemembered, a second
sign-in with the same storage that authenticates the device instead of asking for a
code, a refresh with the device key, and MFA again once the device is not remembered.

The SDK runs in Node (tests/clients/js/device_flow.mjs, one process, its own in-memory
Storage); the TOTP code is computed here. The Node fixture (``npm ci`` once when needed)
is tests/clients/test_js_sdk.py's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.clients.conftest import verified
from tests.clients.test_js_sdk import node  # noqa: F401 - fixture
from tests.devices.conftest import PASSWORD
from tests.mfa.conftest import access_token, next_code, totp_enroll
from userpools.models import UserDevice

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).parents[1] / "clients" / "js" / "device_flow.mjs"
TIMEOUT = 120


def test_remembered_device_skips_totp(node, public_url, idp, public, device_pool, make_user):  # noqa: F811 - fixtures
    pool_id, client = device_pool(mfa="OPTIONAL", prompt=True, challenge=True)
    client_id = client["ClientId"]
    user = make_user(pool_id, "jsdevice")
    token = access_token(public, client, "jsdevice")
    totp = totp_enroll(public, token)
    public.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    UserDevice.objects.all().delete()  # the set-up sign-in's unconfirmed device

    inputs = {
        "endpoint": f"{public_url}/",
        "poolId": pool_id,
        "clientId": client_id,
        "username": "jsdevice",
        "password": PASSWORD,
        "totpCode": next_code(totp),
    }
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(inputs),
        cwd=SCRIPT.parent,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"device flow failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    out = json.loads(done.stdout)

    # First sign-in: TOTP, then the SDK confirmed the device Cognate handed out.
    assert out["first"]["asked"] == ["SOFTWARE_TOKEN_MFA"]
    assert out["first"]["userConfirmationNecessary"] is True
    device = UserDevice.objects.get(user=user)
    assert out["deviceKey"] == device.device_key and device.confirmed
    assert out["remembered"] == "SUCCESS"
    assert out["device"]["DeviceKey"] == device.device_key
    names = {a["Name"]: a["Value"] for a in out["device"]["DeviceAttributes"]}
    assert names["dev:device_remembered_status"] == "remembered" and names["device_name"]
    assert out["listed"] == [device.device_key]

    # Second sign-in: no TOTP; the device proved itself with SRP.
    assert out["second"]["asked"] == [] and out["second"]["stoppedAt"] is None
    claims = verified(f"{public_url}/{pool_id}", out["second"]["accessToken"], client_id=client_id, token_use="access")
    assert claims["sub"] == str(user.sub)
    assert out["refreshed"]["valid"]

    # Not remembered: TOTP is asked again.
    assert out["notRemembered"] == "SUCCESS"
    assert out["third"] == {"asked": ["SOFTWARE_TOKEN_MFA"], "stoppedAt": "SOFTWARE_TOKEN_MFA"}

    steps = [tuple(r) for r in out["requests"]]
    second = steps[steps.index(("--", "second sign-in")) + 1 : steps.index(("--", "refresh"))]
    assert second == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        ("RespondToAuthChallenge", "DEVICE_SRP_AUTH"),
        ("RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER"),
    ]
    first = steps[1 : steps.index(("--", "remember"))]
    assert first == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        ("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA"),
        ("ConfirmDevice", None),
    ]
    assert ("InitiateAuth", "REFRESH_TOKEN_AUTH") in steps
    device.refresh_from_db()
    assert not device.remembered and device.last_authenticated_at is not None

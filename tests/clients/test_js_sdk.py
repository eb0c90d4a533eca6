"""amazon-cognito-identity-js (the npm package Amplify v5 and many apps use), unmodified,
against Cognate: sign-up, confirmation with the e-mailed code, SRP sign-in, refresh,
GetUser through getUserAttributes, and GlobalSignOut.

The SDK runs in Node (tests/clients/js/cognito_flow.mjs, one step per invocation, JSON
in on stdin and out on stdout); the code it confirms with is the one Cognate e-mailed,
read here from the test SMTP server between the two steps. Its dependencies are pinned
in tests/clients/js/package-lock.json and installed with ``npm ci`` (CI does that in
.ci/run; a missing node_modules is installed here once per session).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients.conftest import PASSWORD, user_named, verified
from tests.userpools.conftest import call_error
from userpools.models import User

pytestmark = pytest.mark.django_db(transaction=True)

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "cognito_flow.mjs"
STEP_SECONDS = 60


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with the pinned packages installed (``npm ci`` if they are not)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("amazon-cognito-identity-js needs Node.js and npm on PATH (not found)")
    if not (JS_DIR / "node_modules" / "amazon-cognito-identity-js").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"npm ci failed in {JS_DIR}:\n{done.stdout}\n{done.stderr}"
    return node


@pytest.fixture
def js_sdk(node):
    """js_sdk(step, inputs) -> the JSON object cognito_flow.mjs printed for ``step``."""

    def run(step: str, inputs: dict) -> dict:
        done = subprocess.run(
            [node, str(SCRIPT), step],
            input=json.dumps(inputs),
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=STEP_SECONDS,
        )
        assert done.returncode == 0, f"{step} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)

    return run


def test_sign_up_confirm_sign_in_refresh_and_sign_out(js_sdk, app, public, public_url, mailbox):
    pool_id, client = app()
    client_id, issuer = client["ClientId"], f"{public_url}/{pool_id}"
    address = mailbox.address("js")
    inputs = {
        "endpoint": f"{public_url}/",
        "poolId": pool_id,
        "clientId": client_id,
        "username": "jsuser",
        "password": PASSWORD,
        "email": address,
    }

    signed_up = js_sdk("signup", inputs)
    assert signed_up["userConfirmed"] is False
    assert signed_up["codeDeliveryDetails"] == {
        "AttributeName": "email",
        "DeliveryMedium": "EMAIL",
        "Destination": "j***@e***",
    }
    assert signed_up["signInUnconfirmed"]["code"] == "UserNotConfirmedException"
    user = user_named(pool_id, "jsuser")
    assert user.status == User.Status.UNCONFIRMED and str(user.sub) == signed_up["userSub"]

    flow = js_sdk("session", {**inputs, "code": mailbox.code_for(address)})
    assert flow["confirmWrongCode"]["code"] == "CodeMismatchException"
    assert flow["confirm"] == "SUCCESS"
    assert flow["signInWrongPassword"] == {
        "code": "NotAuthorizedException",
        "name": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }

    first, refreshed = flow["signIn"], flow["refresh"]
    assert first["valid"] and refreshed["valid"]
    id_claims = verified(issuer, first["idToken"], client_id=client_id, token_use="id")
    access_claims = verified(issuer, first["accessToken"], client_id=client_id, token_use="access")
    assert id_claims["sub"] == access_claims["sub"] == signed_up["userSub"]
    assert id_claims["cognito:username"] == access_claims["username"] == "jsuser"
    assert id_claims["email"] == address and id_claims["email_verified"] is True
    assert access_claims["scope"] == "aws.cognito.signin.user.admin"

    # The refresh kept the sign-in (same origin_jti and auth_time) and its refresh token.
    assert refreshed["refreshToken"] == first["refreshToken"]
    assert refreshed["accessToken"] != first["accessToken"]
    new_id = verified(issuer, refreshed["idToken"], client_id=client_id, token_use="id")
    new_access = verified(issuer, refreshed["accessToken"], client_id=client_id, token_use="access")
    for claims in (new_id, new_access):
        assert claims["origin_jti"] == access_claims["origin_jti"]
        assert claims["auth_time"] == access_claims["auth_time"]
    assert new_access["jti"] != access_claims["jti"]

    assert flow["attributes"] == {"sub": signed_up["userSub"], "email": address, "email_verified": "true"}

    # GlobalSignOut answered; every token of the session is refused from now on.
    assert flow["globalSignOut"] == "SUCCESS"
    for access_token in (first["accessToken"], refreshed["accessToken"]):
        assert call_error(public.get_user, AccessToken=access_token) == "NotAuthorizedException"
    code = call_error(
        public.initiate_auth,
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["refreshToken"]},
    )
    assert code == "NotAuthorizedException"

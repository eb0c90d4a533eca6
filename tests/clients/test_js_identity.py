"""The JavaScript SDKs through an identity pool: amazon-cognito-identity-js signs a user in
to a Cognate user pool (SRP), then the AWS SDK for JavaScript v3's cognito-identity client,
given only ``{region, endpoint}``, runs GetId and GetCredentialsForIdentity with that ID
token as the user pool's login, and again as a guest. botocore signs requests to the
example API (identity/example) with the credentials each got: the user's role and the
guest's role allow different things, and the example API enforces which.

The SDKs run in Node (tests/clients/js/identity_flow.mjs, one process per sign-in, JSON in
on stdin and out on stdout). Their versions are pinned in tests/clients/js/package-lock.json
and installed with ``npm ci`` (CI does that in .ci/run; here when a package is missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from identity.models import Identity, IdentityLogin, TemporaryCredential
from identity.services import logins as login_service
from tests.clients.conftest import PASSWORD
from tests.clients.test_js_sdk import node  # noqa: F401 - fixture
from tests.conftest import REGION
from tests.identitypools.conftest import identity_pool, make_role, signed_identity  # noqa: F401 - fixtures
from tests.identitypools.test_credentials import signed_call
from userpools.services import tokens

pytestmark = pytest.mark.django_db(transaction=True)

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "identity_flow.mjs"
TIMEOUT = 120

API = "arn:aws:execute-api:*:*:cognate/*"
# Each role allows what the other does not: the guest the public greeting, the user its
# own notes; both may ask the example API who they are.
GUEST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": [f"{API}/GET/example/public", f"{API}/GET/example/plain/whoami"],
        }
    ],
}
USER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": [
                f"{API}/*/example/users/${{cognito-identity.amazonaws.com:sub}}/notes",
                f"{API}/GET/example/plain/whoami",
            ],
        }
    ],
}


@pytest.fixture(autouse=True)
def _fresh_caches():
    tokens.keys_cache_clear()
    login_service.jwk_clients_clear()
    yield
    tokens.keys_cache_clear()
    login_service.jwk_clients_clear()


@pytest.fixture(scope="session")
def identity_node(node):  # noqa: F811 - fixture
    """The node binary, with @aws-sdk/client-cognito-identity installed too (a node_modules
    from before it was added to the lock file has only amazon-cognito-identity-js)."""
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-cognito-identity").is_dir():
        npm = shutil.which("npm") or "npm"
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"npm ci failed in {JS_DIR}:\n{done.stdout}\n{done.stderr}"
    return node


@pytest.fixture
def identity_flow(identity_node):
    """identity_flow(inputs) -> the JSON object identity_flow.mjs printed."""

    def run(inputs: dict) -> dict:
        # Only the `endpoint` option may point the SDKs at Cognate: no AWS_* variable
        # (AWS_ENDPOINT_URL*, credentials, profiles) reaches Node.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        done = subprocess.run(
            [identity_node, str(SCRIPT)],
            input=json.dumps(inputs),
            cwd=JS_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert done.returncode == 0, f"identity flow failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)

    return run


@pytest.fixture
def setup(app, make_user, identity_pool, signed_identity, make_role):  # noqa: F811 - fixtures
    """A user pool with an SRP client and a confirmed user, an identity pool trusting it
    (guests allowed, built-in broker), a guest role and a user role: the script's inputs."""
    pool_id, client = app()
    user = make_user(pool_id, "jsidentity", email="jsidentity@example.com")
    provider = login_service.cognito_provider_name(pool_id)
    guest_role, user_role = make_role("js-guest", GUEST_POLICY), make_role("js-user", USER_POLICY)
    identity_pool_id = identity_pool(
        "js-pool",
        allow_unauthenticated=True,
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client["ClientId"]}],
    )["IdentityPoolId"]
    roles = {"unauthenticated": guest_role, "authenticated": user_role}
    signed_identity.set_identity_pool_roles(IdentityPoolId=identity_pool_id, Roles=roles)
    inputs = {
        "region": REGION,
        "poolId": pool_id,
        "clientId": client["ClientId"],
        "username": "jsidentity",
        "password": PASSWORD,
        "identityPoolId": identity_pool_id,
        "allowGuests": True,
    }
    return {"inputs": inputs, "user": user, "provider": provider, "guest_role": guest_role, "user_role": user_role}


def _expires_in_about_an_hour(expiration: str) -> None:
    remaining = datetime.fromisoformat(expiration.replace("Z", "+00:00")) - datetime.now(UTC)
    assert timedelta(minutes=59) < remaining <= timedelta(hours=1)


def test_sign_in_then_identity_pool_credentials(identity_flow, setup, public_url):
    url = public_url
    inputs = {**setup["inputs"], "endpoint": f"{url}/"}
    out = identity_flow(inputs)
    again = identity_flow(inputs)

    # The SDKs talked to the live server only, the user-pool one with SRP, the
    # cognito-identity one unsigned (GetId and GetCredentialsForIdentity are noAuth).
    assert out["userPoolRequests"] == [
        ["InitiateAuth", "USER_SRP_AUTH"],
        ["RespondToAuthChallenge", "PASSWORD_VERIFIER"],
    ]
    targets = [(r["target"], r["status"]) for r in out["identityRequests"]]
    assert targets == [
        ("AWSCognitoIdentityService.GetId", 200),
        ("AWSCognitoIdentityService.GetCredentialsForIdentity", 200),
    ] * 2 + [("AWSCognitoIdentityService.GetId", 400), ("AWSCognitoIdentityService.GetCredentialsForIdentity", 400)]
    assert all(r["url"] == f"{url}/" and not r["signed"] for r in out["identityRequests"])

    user, guest = out["authenticated"], out["guest"]
    assert out["idTokenSub"] == str(setup["user"].sub)
    for identity in (user, guest):
        assert identity["credentialsIdentityId"] == identity["identityId"]
        assert identity["identityId"].startswith(f"{REGION}:")
        creds = identity["credentials"]
        assert creds["AccessKeyId"].startswith("ASIA") and len(creds["SecretKey"]) == 40 and creds["SessionToken"]
        _expires_in_about_an_hour(creds["Expiration"])
    assert user["identityId"] != guest["identityId"]

    # Same user, second process, second sign-in: GetId returned the same identity; a guest
    # without a stored identity id gets a new one.
    assert again["authenticated"]["identityId"] == user["identityId"]
    assert again["authenticated"]["credentials"]["AccessKeyId"] != user["credentials"]["AccessKeyId"]
    assert again["guest"]["identityId"] != guest["identityId"]
    linked = IdentityLogin.objects.get(identity_id=user["identityId"])
    assert (linked.provider, linked.subject) == (setup["provider"], str(setup["user"].sub))
    assert not IdentityLogin.objects.filter(identity_id=guest["identityId"]).exists()
    assert Identity.objects.filter(pool_id=inputs["identityPoolId"]).count() == 3

    rows = {r.access_key_id: r for r in TemporaryCredential.objects.all()}
    user_row, guest_row = rows[user["credentials"]["AccessKeyId"]], rows[guest["credentials"]["AccessKeyId"]]
    assert (user_row.role_arn, user_row.authenticated) == (setup["user_role"], True)
    assert (guest_row.role_arn, guest_row.authenticated) == (setup["guest_role"], False)

    # botocore signs with each identity's credentials; the example API applies the role's policy.
    user_creds, guest_creds = user["credentials"], guest["credentials"]
    who = signed_call(url, user_creds, "GET", "/example/plain/whoami").json()
    assert (who["identityId"], who["roleArn"]) == (user["identityId"], setup["user_role"])
    who = signed_call(url, guest_creds, "GET", "/example/plain/whoami").json()
    assert (who["identityId"], who["roleArn"]) == (guest["identityId"], setup["guest_role"])

    put = signed_call(url, user_creds, "PUT", f"/example/users/{user['identityId']}/notes", body=b'{"note": "js"}')
    assert put.status_code == 200 and put.json() == {"identityId": user["identityId"], "notes": ["js"]}
    mine = signed_call(url, user_creds, "GET", f"/example/users/{user['identityId']}/notes")
    assert mine.status_code == 200 and mine.json()["notes"] == ["js"]
    denied = signed_call(url, user_creds, "GET", "/example/public")  # only the guest role allows it
    assert denied.status_code == 403 and denied.json()["__type"] == "AccessDeniedException"

    hello = signed_call(url, guest_creds, "GET", "/example/public")
    assert hello.status_code == 200 and hello.json()["identityId"] == guest["identityId"]
    for identity_id in (guest["identityId"], user["identityId"]):  # only the user role allows notes
        denied = signed_call(url, guest_creds, "GET", f"/example/users/{identity_id}/notes")
        assert denied.status_code == 403 and denied.json()["__type"] == "AccessDeniedException"

    # An ID token whose payload was changed (its signature kept) is refused, and the SDK
    # deserialized Cognito's error.
    for run in (out, again):
        for call in ("getId", "getCredentials"):
            refused = run["tampered"][call]
            assert (refused["name"], refused["httpStatusCode"], refused["fault"]) == (
                "NotAuthorizedException",
                400,
                "client",
            )
    assert IdentityLogin.objects.filter(subject="00000000-0000-4000-8000-000000000000").count() == 0

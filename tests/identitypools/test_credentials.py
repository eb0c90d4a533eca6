"""GetCredentialsForIdentity with the built-in broker, end to end: boto3 gets credentials
for a guest and for a user signed in to a Cognate user pool, then botocore signs requests
with them to the example API (identity/example) and to Cognate's own wire API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from identity.models import IdentityPool, TemporaryCredential
from tests.conftest import REGION, error_code

API = "arn:aws:execute-api:*:*:cognate/*"
GUEST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{API}/GET/example/public"}],
}
USER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": [
                f"{API}/GET/example/public",
                f"{API}/GET/example/plain/whoami",
                f"{API}/*/example/users/${{cognito-identity.amazonaws.com:sub}}/notes",
            ],
        },
        {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{API}/DELETE/*"},
        {
            "Effect": "Allow",
            "Action": "cognito-idp:ListUserPools",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": "${cognito-identity.amazonaws.com:aud}"},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        },
    ],
}


def signed_call(
    base_url: str, creds: dict, method: str, path: str, *, body: bytes = b"", service="execute-api", tamper=None
) -> requests.Response:
    """Sign with botocore's SigV4Auth (session token included) and send with requests."""
    headers = {"Content-Type": "application/json"} if body else {}
    request = AWSRequest(method=method, url=f"{base_url}{path}", data=body, headers=headers)
    credentials = Credentials(creds["AccessKeyId"], creds["SecretKey"], creds.get("SessionToken"))
    SigV4Auth(credentials, service, REGION).add_auth(request)
    prepared = dict(request.headers.items())
    if tamper:
        tamper(prepared)
    return requests.request(method, f"{base_url}{path}", data=body, headers=prepared, timeout=10)


@pytest.fixture
def app(identity_pool, signed_identity, cognito_identity, make_role, user_pool_login):
    """A user pool login, an identity pool trusting it with a guest and a user role."""
    login = user_pool_login()
    guest = make_role("guest", GUEST_POLICY)
    user = make_role("user", USER_POLICY)
    pool = identity_pool(CognitoIdentityProviders=[login.identity_provider()])
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=pool["IdentityPoolId"], Roles={"unauthenticated": guest, "authenticated": user}
    )
    return {"pool_id": pool["IdentityPoolId"], "login": login, "guest": guest, "user": user}


def guest_credentials(cognito_identity, pool_id: str) -> tuple[str, dict]:
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    answer = cognito_identity.get_credentials_for_identity(IdentityId=identity_id)
    return identity_id, answer["Credentials"]


def user_credentials(cognito_identity, pool_id: str, login, username: str = "alice", **extra) -> tuple[str, dict]:
    logins = {login.provider: login.sign_in(username)}
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    answer = cognito_identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins, **extra)
    assert answer["IdentityId"] == identity_id
    return identity_id, answer["Credentials"]


def test_guest_gets_credentials_shaped_like_cognitos(app, cognito_identity):
    identity_id, creds = guest_credentials(cognito_identity, app["pool_id"])
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert creds["AccessKeyId"].isupper() and len(creds["SecretKey"]) == 40 and len(creds["SessionToken"]) > 100
    remaining = creds["Expiration"] - datetime.now(UTC)
    assert timedelta(minutes=59) < remaining <= timedelta(hours=1)
    row = TemporaryCredential.objects.get(access_key_id=creds["AccessKeyId"])
    assert row.identity_id == identity_id and row.role_arn == app["guest"] and not row.authenticated
    assert row.session_token_hash != creds["SessionToken"] and len(row.session_token_hash) == 64


def test_guest_and_user_get_different_outcomes(app, cognito_identity, live_server):
    url = live_server.url
    guest_id, guest = guest_credentials(cognito_identity, app["pool_id"])
    user_id, user = user_credentials(cognito_identity, app["pool_id"], app["login"])

    answer = signed_call(url, guest, "GET", "/example/public")
    assert answer.status_code == 200 and answer.json()["identityId"] == guest_id
    denied = signed_call(url, guest, "GET", f"/example/users/{guest_id}/notes")
    assert denied.status_code == 403 and denied.json()["__type"] == "AccessDeniedException"

    assert signed_call(url, user, "GET", "/example/public").status_code == 200
    put = signed_call(url, user, "PUT", f"/example/users/{user_id}/notes", body=b'{"note": "milk"}')
    assert put.status_code == 200 and put.json()["notes"] == ["milk"]
    mine = signed_call(url, user, "GET", f"/example/users/{user_id}/notes")
    assert mine.status_code == 200 and mine.json() == {"identityId": user_id, "notes": ["milk"]}
    theirs = signed_call(url, user, "GET", f"/example/users/{guest_id}/notes")
    assert theirs.status_code == 403 and theirs.json()["__type"] == "AccessDeniedException"
    # Allowed by the notes statement, refused by the explicit Deny.
    deleted = signed_call(url, user, "DELETE", f"/example/users/{user_id}/notes")
    assert deleted.status_code == 403 and "explicit deny" in deleted.json()["message"]

    whoami = signed_call(url, user, "GET", "/example/plain/whoami")  # the middleware, as a decorator
    assert whoami.status_code == 200 and whoami.json()["roleArn"] == app["user"]
    assert signed_call(url, guest, "GET", "/example/plain/whoami").status_code == 403


def test_unsigned_and_wrongly_scoped_requests_are_refused(app, cognito_identity, live_server):
    _, guest = guest_credentials(cognito_identity, app["pool_id"])
    unsigned = requests.get(f"{live_server.url}/example/public", timeout=10)
    assert unsigned.status_code == 401 and unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    other_service = signed_call(live_server.url, guest, "GET", "/example/public", service="cognito-idp")
    assert other_service.status_code == 401 and other_service.json()["__type"] == "InvalidSignatureException"


def test_expired_credentials_are_refused(app, cognito_identity, live_server):
    _, guest = guest_credentials(cognito_identity, app["pool_id"])
    assert signed_call(live_server.url, guest, "GET", "/example/public").status_code == 200
    TemporaryCredential.objects.filter(access_key_id=guest["AccessKeyId"]).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    answer = signed_call(live_server.url, guest, "GET", "/example/public")
    assert answer.status_code == 401 and answer.json()["__type"] == "ExpiredTokenException"
    plain = signed_call(live_server.url, guest, "GET", "/example/plain/whoami")
    assert plain.status_code == 403 and plain.json()["__type"] == "ExpiredTokenException"


def _flip_signature(headers: dict) -> None:
    value = headers["Authorization"]
    headers["Authorization"] = value[:-1] + ("0" if value[-1] != "0" else "1")


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (_flip_signature, "InvalidSignatureException"),
        (
            lambda h: h.update({"X-Amz-Security-Token": h["X-Amz-Security-Token"][:-2] + "xx"}),
            "UnrecognizedClientException",
        ),
        (lambda h: h.pop("X-Amz-Security-Token"), "UnrecognizedClientException"),
        (lambda h: h.update({"X-Amz-Date": "20200101T000000Z"}), "InvalidSignatureException"),
    ],
    ids=["signature", "session-token", "no-session-token", "date"],
)
def test_tampered_requests_are_refused(app, cognito_identity, live_server, tamper, code):
    _, guest = guest_credentials(cognito_identity, app["pool_id"])
    answer = signed_call(live_server.url, guest, "GET", "/example/public", tamper=tamper)
    assert answer.status_code == 401 and answer.json()["__type"] == code


def test_wrong_secret_is_refused(app, cognito_identity, live_server):
    _, guest = guest_credentials(cognito_identity, app["pool_id"])
    answer = signed_call(live_server.url, {**guest, "SecretKey": "x" * 40}, "GET", "/example/public")
    assert answer.status_code == 401 and answer.json()["__type"] == "InvalidSignatureException"


def test_cognates_wire_api_authorizes_by_the_roles_policy(app, cognito_identity, live_server):
    _, user = user_credentials(cognito_identity, app["pool_id"], app["login"])
    _, guest = guest_credentials(cognito_identity, app["pool_id"])

    def idp(creds):
        return boto3.client(
            "cognito-idp",
            endpoint_url=live_server.url,
            region_name=REGION,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretKey"],
            aws_session_token=creds["SessionToken"],
            config=Config(retries={"max_attempts": 1}),
        )

    client = idp(user)
    assert any(p["Id"] == app["login"].pool_id for p in client.list_user_pools(MaxResults=10)["UserPools"])
    with pytest.raises(ClientError) as excinfo:
        client.describe_user_pool(UserPoolId=app["login"].pool_id)
    assert error_code(excinfo) == "AccessDeniedException"
    with pytest.raises(ClientError) as excinfo:
        idp(guest).list_user_pools(MaxResults=10)  # the guest role allows nothing on cognito-idp
    assert error_code(excinfo) == "AccessDeniedException"
    TemporaryCredential.objects.update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(ClientError) as excinfo:
        client.list_user_pools(MaxResults=10)
    assert error_code(excinfo) == "ExpiredTokenException"
    client.close()


def test_credentials_refusals(app, identity_pool, signed_identity, cognito_identity, make_role):
    with pytest.raises(ClientError) as excinfo:
        cognito_identity.get_credentials_for_identity(IdentityId="us-east-1:00000000-0000-0000-0000-000000000000")
    assert error_code(excinfo) == "ResourceNotFoundException"

    user_id, _ = user_credentials(cognito_identity, app["pool_id"], app["login"])
    with pytest.raises(ClientError) as excinfo:  # an authenticated identity without its logins
        cognito_identity.get_credentials_for_identity(IdentityId=user_id)
    assert error_code(excinfo) == "NotAuthorizedException"
    with pytest.raises(ClientError) as excinfo:  # a forged token
        cognito_identity.get_credentials_for_identity(IdentityId=user_id, Logins={app["login"].provider: "a.b.c"})
    assert error_code(excinfo) == "NotAuthorizedException"

    no_roles = identity_pool("no-roles")
    guest_id = cognito_identity.get_id(IdentityPoolId=no_roles["IdentityPoolId"])["IdentityId"]
    with pytest.raises(ClientError) as excinfo:
        cognito_identity.get_credentials_for_identity(IdentityId=guest_id)
    assert error_code(excinfo) == "InvalidIdentityPoolConfigurationException"

    guest_id, _ = guest_credentials(cognito_identity, app["pool_id"])
    IdentityPool.objects.filter(id=app["pool_id"]).update(allow_unauthenticated=False)
    with pytest.raises(ClientError) as excinfo:
        cognito_identity.get_credentials_for_identity(IdentityId=guest_id)
    assert error_code(excinfo) == "NotAuthorizedException"


# --- Roles: token and rules mappings --------------------------------------------------------


def _whoami(live_server, creds) -> dict:
    answer = signed_call(live_server.url, creds, "GET", "/example/plain/whoami")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_token_mapping_uses_the_preferred_role_and_custom_role_arn(
    app, signed_identity, cognito_identity, make_role, live_server
):
    login = app["login"]
    admins, readers = make_role("admins", USER_POLICY), make_role("readers", USER_POLICY)
    login.idp.create_group(UserPoolId=login.pool_id, GroupName="admins", RoleArn=admins, Precedence=1)
    login.idp.create_group(UserPoolId=login.pool_id, GroupName="readers", RoleArn=readers, Precedence=5)
    login.sign_in("bob")  # makes the user
    for group in ("admins", "readers"):
        login.idp.admin_add_user_to_group(UserPoolId=login.pool_id, Username="bob", GroupName=group)
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=app["pool_id"],
        Roles={"unauthenticated": app["guest"], "authenticated": app["user"]},
        RoleMappings={login.provider: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
    )

    _, creds = user_credentials(cognito_identity, app["pool_id"], login, "bob")
    assert _whoami(live_server, creds)["roleArn"] == admins  # lowest precedence: cognito:preferred_role
    _, creds = user_credentials(cognito_identity, app["pool_id"], login, "bob", CustomRoleArn=readers)
    assert _whoami(live_server, creds)["roleArn"] == readers
    with pytest.raises(ClientError) as excinfo:
        user_credentials(cognito_identity, app["pool_id"], login, "bob", CustomRoleArn=app["guest"])
    assert error_code(excinfo) == "NotAuthorizedException"
    # A user in no group has no role in the token: ambiguous, and Deny says no.
    with pytest.raises(ClientError) as excinfo:
        user_credentials(cognito_identity, app["pool_id"], login, "carol")
    assert error_code(excinfo) == "NotAuthorizedException"


@pytest.mark.parametrize(
    ("rule", "resolution", "expected"),
    [
        ({"Claim": "email", "MatchType": "StartsWith", "Value": "alice@"}, "Deny", "mapped"),
        ({"Claim": "email", "MatchType": "Contains", "Value": "@example."}, "Deny", "mapped"),
        ({"Claim": "cognito:username", "MatchType": "Equals", "Value": "alice"}, "Deny", "mapped"),
        ({"Claim": "cognito:username", "MatchType": "NotEqual", "Value": "bob"}, "Deny", "mapped"),
        ({"Claim": "cognito:username", "MatchType": "Equals", "Value": "bob"}, "AuthenticatedRole", "authenticated"),
        ({"Claim": "cognito:username", "MatchType": "Equals", "Value": "bob"}, "Deny", "NotAuthorizedException"),
    ],
)
def test_rules_mapping(app, signed_identity, cognito_identity, make_role, live_server, rule, resolution, expected):
    mapped = make_role("mapped", USER_POLICY)
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=app["pool_id"],
        Roles={"unauthenticated": app["guest"], "authenticated": app["user"]},
        RoleMappings={
            app["login"].provider: {
                "Type": "Rules",
                "AmbiguousRoleResolution": resolution,
                "RulesConfiguration": {
                    "Rules": [
                        {"Claim": "cognito:username", "MatchType": "Equals", "Value": "nobody", "RoleARN": app["user"]},
                        {**rule, "RoleARN": mapped},
                    ]
                },
            }
        },
    )
    if expected == "NotAuthorizedException":
        with pytest.raises(ClientError) as excinfo:
            user_credentials(cognito_identity, app["pool_id"], app["login"])
        assert error_code(excinfo) == expected
        return
    _, creds = user_credentials(cognito_identity, app["pool_id"], app["login"])
    assert _whoami(live_server, creds)["roleArn"] == (mapped if expected == "mapped" else app["user"])


def test_principal_tags_from_claims_reach_the_policy(app, signed_identity, cognito_identity, make_role, live_server):
    login = app["login"]
    tagged = make_role(
        "tagged",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "execute-api:Invoke",
                    "Resource": f"{API}/GET/example/*",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/client": login.client_id}},
                }
            ],
        },
    )
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=app["pool_id"], Roles={"unauthenticated": app["guest"], "authenticated": tagged}
    )
    signed_identity.set_principal_tag_attribute_map(
        IdentityPoolId=app["pool_id"],
        IdentityProviderName=login.provider,
        UseDefaults=True,
        PrincipalTags={"mail": "email"},
    )
    user_id, creds = user_credentials(cognito_identity, app["pool_id"], login)
    sub = str(login.users["alice"].sub)
    assert _whoami(live_server, creds)["principalTags"] == {
        "username": sub,
        "client": login.client_id,
        "mail": "alice@example.com",
    }

    other_client = login.add_client()
    signed_identity.update_identity_pool(
        IdentityPoolId=app["pool_id"],
        IdentityPoolName="pool",
        AllowUnauthenticatedIdentities=True,
        CognitoIdentityProviders=[login.identity_provider(), login.identity_provider(other_client)],
    )
    logins = {login.provider: login.sign_in("alice", client_id=other_client)}
    creds = cognito_identity.get_credentials_for_identity(IdentityId=user_id, Logins=logins)["Credentials"]
    denied = signed_call(live_server.url, creds, "GET", "/example/public")
    assert denied.status_code == 403 and denied.json()["__type"] == "AccessDeniedException"


def test_verifying_temporary_credentials_takes_one_query(app, cognito_identity, django_assert_num_queries):
    from identity import sigv4
    from identity.services.callers import caller_authenticate

    identity_id, creds = guest_credentials(cognito_identity, app["pool_id"])
    request = AWSRequest(method="GET", url="http://testserver/example/public", data=b"")
    SigV4Auth(
        Credentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"]), "execute-api", REGION
    ).add_auth(request)
    signed = sigv4.SignedRequest(
        method="GET",
        path="/example/public",
        query_string="",
        headers={**request.headers, "Host": "testserver"},
        body=b"",
    )
    with django_assert_num_queries(1):
        caller = caller_authenticate(signed, service="execute-api")
    assert caller.identity_id == identity_id and caller.role_arn == app["guest"]
    assert caller.context["cognito-identity.amazonaws.com:amr"] == ["unauthenticated"]
    assert caller.context["cognito-identity.amazonaws.com:aud"] == app["pool_id"]


@pytest.mark.django_db(transaction=True)
def test_expired_credentials_are_pruned_by_the_periodic_task():
    from datetime import timedelta

    from django.utils import timezone

    from identity.models import Identity, IdentityPool, TemporaryCredential
    from identity.tasks import credentials_prune

    pool = IdentityPool.objects.create(id="us-east-1:00000000-0000-4000-8000-0000000000aa", name="prune")
    identity = Identity.objects.create(id="us-east-1:00000000-0000-4000-8000-0000000000bb", pool=pool)
    now = timezone.now()
    for key, expires in (("ASIAOLD", now - timedelta(days=2)), ("ASIANEW", now + timedelta(hours=1))):
        TemporaryCredential.objects.create(
            access_key_id=key,
            secret_access_key="s",
            session_token_hash="h",
            identity=identity,
            role_arn="arn:aws:iam::1:role/r",
            expires_at=expires,
        )
    assert credentials_prune.delay().get(timeout=30) == 1
    assert list(TemporaryCredential.objects.values_list("access_key_id", flat=True)) == ["ASIANEW"]

"""The REST API's users, groups and self-service, over HTTP against live_server.

Administration is SigV4-signed (as boto3 signs) and authorized with the wire operation's
action; the self-service endpoints are unsigned. Sign-up and reset codes are read from
the session's real SMTP server (``mailbox`` in tests/conftest.py), so these tests work both
with eager Celery and with CI's separate worker process.
"""

from __future__ import annotations

import pytest
import requests

from tests.api.test_rest_api import Api
from tests.selfservice.conftest import PASSWORD
from userpools.api.errors import HTTP_STATUS
from userpools.context import ServiceContext
from userpools.errors import ErrorCode
from userpools.ids import user_pool_arn
from userpools.models import AuditEvent, GroupMembership, User, UserGroup
from userpools.services import pools, users
from userpools.services.clientauth import secret_hash

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(live_server, make_access_key):
    """An API client signed with a full-access operator key."""
    return Api(live_server.url, make_access_key())


@pytest.fixture
def public(live_server):
    """An unsigned API client, as a user's app has."""
    return Api(live_server.url, None)


@pytest.fixture
def pool_id(ctx) -> str:
    return pools.user_pool_create(ctx, {"PoolName": "directory", "AutoVerifiedAttributes": ["email"]}).id


def expect_error(response, code: str) -> None:
    """The error code, with the HTTP status the REST API's one table gives it."""
    assert response.json()["code"] == code, response.text
    assert response.status_code == HTTP_STATUS.get(ErrorCode(code), 400), response.text


def attrs(listing: list[dict]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in listing}


def db_user(pool_id: str, username: str) -> User:
    return User.objects.get(pool_id=pool_id, username=username)


def create_user(api, pool_id: str, username: str, **attributes):
    body = {
        "Username": username,
        "TemporaryPassword": "Temp-pass-1",
        "MessageAction": "SUPPRESS",
        "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
    }
    response = api.post(f"pools/{pool_id}/users/", body)
    assert response.status_code == 201, response.text
    return response


# --- Users ------------------------------------------------------------------------------------


def test_user_lifecycle(api, pool_id):
    created = create_user(api, pool_id, "alice", email="alice@example.com", given_name="Alice")
    user = created.json()
    assert user["Username"] == "alice"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"] is True
    assert attrs(user["Attributes"])["email"] == "alice@example.com"
    assert created.headers["Location"] == f"/api/v1/user-pools/{pool_id}/users/alice/"
    create_user(api, pool_id, "bob", email="bob@example.com")
    expect_error(api.post(f"pools/{pool_id}/users/", {"Username": "alice"}), "UsernameExistsException")

    listed = api.get(f"pools/{pool_id}/users/")
    assert listed.status_code == 200, listed.text
    assert [u["Username"] for u in listed.json()["Users"]] == ["alice", "bob"]
    filtered = api.get(f"pools/{pool_id}/users/", params={"filter": 'email ^= "ali"', "attributes_to_get": "email"})
    assert filtered.status_code == 200, filtered.text
    (only,) = filtered.json()["Users"]
    assert only["Username"] == "alice" and only["Attributes"] == [{"Name": "email", "Value": "alice@example.com"}]
    first = api.get(f"pools/{pool_id}/users/", params={"limit": 1}).json()
    second = api.get(f"pools/{pool_id}/users/", params={"limit": 1, "pagination_token": first["PaginationToken"]})
    assert [u["Username"] for u in first["Users"] + second.json()["Users"]] == ["alice", "bob"]
    assert "PaginationToken" not in second.json()

    got = api.get(f"pools/{pool_id}/users/alice/")
    assert got.status_code == 200, got.text
    assert attrs(got.json()["UserAttributes"])["given_name"] == "Alice"

    patched = api.patch(f"pools/{pool_id}/users/alice/", {"UserAttributes": [{"Name": "given_name", "Value": "Ally"}]})
    assert patched.status_code == 200, patched.text
    values = attrs(patched.json()["UserAttributes"])
    assert values["given_name"] == "Ally" and values["email"] == "alice@example.com"

    assert api.post(f"pools/{pool_id}/users/alice/disable", None).status_code == 204
    assert api.get(f"pools/{pool_id}/users/alice/").json()["Enabled"] is False
    disabled = api.get(f"pools/{pool_id}/users/", params={"filter": 'status = "Disabled"'}).json()["Users"]
    assert [u["Username"] for u in disabled] == ["alice"]
    assert api.post(f"pools/{pool_id}/users/alice/enable", None).status_code == 204
    assert db_user(pool_id, "alice").is_active is True

    password = api.put(f"pools/{pool_id}/users/alice/password", {"Password": "Perm-pass-22", "Permanent": True})
    assert password.status_code == 204, password.text
    stored = db_user(pool_id, "alice")
    assert stored.status == User.Status.CONFIRMED and stored.check_password("Perm-pass-22")
    expect_error(api.put(f"pools/{pool_id}/users/alice/password", {"Password": "short"}), "InvalidPasswordException")

    dropped = api.post(f"pools/{pool_id}/users/alice/attributes/delete", {"UserAttributeNames": ["given_name"]})
    assert dropped.status_code == 204, dropped.text
    assert "given_name" not in attrs(api.get(f"pools/{pool_id}/users/alice/").json()["UserAttributes"])

    # No verified address: RESET_REQUIRED, and no code to send.
    assert api.post(f"pools/{pool_id}/users/alice/reset-password", None).status_code == 204
    assert db_user(pool_id, "alice").status == User.Status.RESET_REQUIRED

    assert api.delete(f"pools/{pool_id}/users/alice/").status_code == 204
    expect_error(api.get(f"pools/{pool_id}/users/alice/"), "UserNotFoundException")
    assert AuditEvent.objects.filter(action="user.admin_delete", target="alice", actor__startswith="key:").exists()


def test_admin_confirm_sign_up(api, pool_id):
    users.user_create(
        ServiceContext(actor="test"),
        pool=pools.user_pool_get(pool_id),
        username="carol",
        password=PASSWORD,
        attributes={},
        status=User.Status.UNCONFIRMED,
    )
    assert api.post(f"pools/{pool_id}/users/carol/confirm", None).status_code == 204
    assert db_user(pool_id, "carol").status == User.Status.CONFIRMED
    expect_error(api.post(f"pools/{pool_id}/users/carol/confirm", {}), "NotAuthorizedException")


def test_users_are_named_by_username_alias_or_sub_and_any_character(api, pool_id):
    for name in ("ann+1@example.com", "josé", "dot.ted"):
        create_user(api, pool_id, name)
        response = api.get(f"pools/{pool_id}/users/{name}/")
        assert response.status_code == 200, response.text
        assert response.json()["Username"] == name
    sub = attrs(api.get(f"pools/{pool_id}/users/josé/").json()["UserAttributes"])["sub"]
    assert api.get(f"pools/{pool_id}/users/{sub}/").json()["Username"] == "josé"


@pytest.mark.parametrize("prefix", ["user-pools", "pools"])
def test_both_prefixes_serve_the_same_routes(api, pool_id, prefix):
    create_user(api, pool_id, "dave")
    assert api.get(f"{prefix}/{pool_id}/users/dave/").json()["Username"] == "dave"
    assert api.post(f"{prefix}/{pool_id}/groups/", {"GroupName": f"g-{prefix}"}).status_code == 201
    assert api.put(f"{prefix}/{pool_id}/groups/g-{prefix}/members/dave", None).status_code == 204
    assert api.get(f"{prefix}/{pool_id}/").json()["Id"] == pool_id  # the pool routes too


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"Username": "x", "Colour": "blue"}, "InvalidParameterException"),  # not a member of the request
        ({"TemporaryPassword": "Temp-pass-1"}, "InvalidParameterException"),  # Username is required
        ({"Username": "has space"}, "InvalidParameterException"),  # the model's pattern
        ({"Username": "x", "MessageAction": "SHOUT"}, "InvalidParameterException"),
        ({"Username": "x", "UserAttributes": [{"Name": "fax", "Value": "1"}]}, "InvalidParameterException"),
        ({"Username": "x", "TemporaryPassword": "weak"}, "InvalidPasswordException"),
    ],
    ids=["unknown-member", "missing-username", "pattern", "bad-enum", "unknown-attribute", "weak-password"],
)
def test_invalid_create_user_body(api, pool_id, body, code):
    expect_error(api.post(f"pools/{pool_id}/users/", body), code)
    assert not User.objects.filter(pool_id=pool_id).exists()


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 61},
        {"limit": "many"},
        {"pagination_token": "garbage!"},
        {"filter": "email = bob"},
        {"filter": 'fax = "1"'},
        {"attributes_to_get": "fax"},
    ],
    ids=["limit-high", "limit-type", "token", "filter-syntax", "filter-attribute", "attributes-to-get"],
)
def test_list_users_rejects_bad_parameters(api, pool_id, params):
    expect_error(api.get(f"pools/{pool_id}/users/", params=params), "InvalidParameterException")


def test_unknown_pool_and_user(api, pool_id):
    expect_error(api.get("pools/us-east-1_nothere00/users/"), "ResourceNotFoundException")
    expect_error(api.get(f"pools/{pool_id}/users/nobody/"), "UserNotFoundException")
    expect_error(api.post(f"pools/{pool_id}/users/nobody/disable", None), "UserNotFoundException")
    expect_error(api.get(f"pools/{pool_id}/groups/nothing/"), "ResourceNotFoundException")


def test_admin_routes_need_a_signature(public, pool_id):
    response = public.get(f"pools/{pool_id}/users/")
    assert response.status_code == 401
    assert response.json()["code"] == "MissingAuthenticationTokenException"


# --- Groups -------------------------------------------------------------------------------------


def test_groups_and_membership(api, pool_id):
    create_user(api, pool_id, "erin")
    created = api.post(f"pools/{pool_id}/groups/", {"GroupName": "admins", "Description": "Admins", "Precedence": 1})
    assert created.status_code == 201, created.text
    group = created.json()
    assert (group["GroupName"], group["UserPoolId"], group["Precedence"]) == ("admins", pool_id, 1)
    assert created.headers["Location"] == f"/api/v1/user-pools/{pool_id}/groups/admins/"
    expect_error(api.post(f"pools/{pool_id}/groups/", {"GroupName": "admins"}), "GroupExistsException")
    for name in ("b-team", "c-team"):
        api.post(f"pools/{pool_id}/groups/", {"GroupName": name})

    first = api.get(f"pools/{pool_id}/groups/", params={"limit": 2}).json()
    assert [g["GroupName"] for g in first["Groups"]] == ["admins", "b-team"]
    rest = api.get(f"pools/{pool_id}/groups/", params={"limit": 2, "next_token": first["NextToken"]}).json()
    assert [g["GroupName"] for g in rest["Groups"]] == ["c-team"] and "NextToken" not in rest

    assert api.get(f"pools/{pool_id}/groups/admins/").json()["Description"] == "Admins"
    patched = api.patch(f"pools/{pool_id}/groups/admins/", {"Description": "Administrators"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["Description"] == "Administrators" and patched.json()["Precedence"] == 1

    for _ in range(2):  # adding twice is not an error
        assert api.put(f"pools/{pool_id}/groups/admins/members/erin", None).status_code == 204
    assert GroupMembership.objects.filter(group__name="admins", user__username="erin").count() == 1
    members = api.get(f"pools/{pool_id}/groups/admins/members/").json()
    assert [u["Username"] for u in members["Users"]] == ["erin"]
    mine = api.get(f"pools/{pool_id}/users/erin/groups/").json()
    assert [g["GroupName"] for g in mine["Groups"]] == ["admins"]
    expect_error(api.put(f"pools/{pool_id}/groups/admins/members/nobody", None), "UserNotFoundException")
    expect_error(api.put(f"pools/{pool_id}/groups/nothing/members/erin", None), "ResourceNotFoundException")

    assert api.delete(f"pools/{pool_id}/groups/admins/members/erin").status_code == 204
    assert api.get(f"pools/{pool_id}/groups/admins/members/").json()["Users"] == []

    assert api.delete(f"pools/{pool_id}/groups/admins/").status_code == 204
    assert not UserGroup.objects.filter(pool_id=pool_id, name="admins").exists()
    expect_error(api.get(f"pools/{pool_id}/groups/admins/"), "ResourceNotFoundException")


def test_invalid_group_body(api, pool_id):
    expect_error(
        api.post(f"pools/{pool_id}/groups/", {"GroupName": "g", "Precedence": -1}), "InvalidParameterException"
    )
    expect_error(api.post(f"pools/{pool_id}/groups/", {"Description": "no name"}), "InvalidParameterException")
    expect_error(api.patch(f"pools/{pool_id}/groups/g/", {"GroupName": "x", "Colour": 1}), "InvalidParameterException")


# --- Authorization ------------------------------------------------------------------------------


def test_policy_denying_admin_create_user(live_server, make_access_key, pool_id):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "cognito-idp:AdminCreateUser", "Resource": user_pool_arn(pool_id)},
        ],
    }
    api = Api(live_server.url, make_access_key(policy=policy))
    for prefix in ("user-pools", "pools"):
        denied = api.post(f"{prefix}/{pool_id}/users/", {"Username": "mallory", "MessageAction": "SUPPRESS"})
        expect_error(denied, "AccessDeniedException")
        assert denied.status_code == 403
    assert not User.objects.filter(pool_id=pool_id).exists()
    assert api.get(f"pools/{pool_id}/users/").status_code == 200
    assert api.post(f"pools/{pool_id}/groups/", {"GroupName": "allowed"}).status_code == 201


def test_read_only_policy_maps_methods_to_admin_actions(live_server, make_access_key, api, pool_id):
    create_user(api, pool_id, "frank")
    api.post(f"pools/{pool_id}/groups/", {"GroupName": "staff"})
    read_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "cognito-idp:List*",
                    "cognito-idp:AdminGet*",
                    "cognito-idp:GetGroup",
                    "cognito-idp:AdminList*",
                ],
                "Resource": "*",
            }
        ],
    }
    reader = Api(live_server.url, make_access_key(policy=read_only, username="reader"))
    for path in ("users/", "users/frank/", "users/frank/groups/", "groups/", "groups/staff/", "groups/staff/members/"):
        assert reader.get(f"pools/{pool_id}/{path}").status_code == 200, path
    writes = [
        ("PATCH", "users/frank/", {"UserAttributes": [{"Name": "name", "Value": "F"}]}),
        ("DELETE", "users/frank/", None),
        ("POST", "users/frank/disable", None),
        ("POST", "users/frank/reset-password", None),
        ("PUT", "users/frank/password", {"Password": "Perm-pass-22"}),
        ("POST", "users/frank/attributes/delete", {"UserAttributeNames": ["name"]}),
        ("POST", "groups/", {"GroupName": "more"}),
        ("PATCH", "groups/staff/", {"Description": "x"}),
        ("PUT", "groups/staff/members/frank", None),
        ("DELETE", "groups/staff/", None),
    ]
    for method, path, body in writes:
        expect_error(reader(method, f"pools/{pool_id}/{path}", body), "AccessDeniedException")
    assert db_user(pool_id, "frank").is_active is True
    assert UserGroup.objects.filter(pool_id=pool_id, name="staff").exists()


# --- Self-service ------------------------------------------------------------------------------


@pytest.fixture
def client_id(api, pool_id) -> str:
    return api.post(f"user-pools/{pool_id}/clients/", {"ClientName": "app"}).json()["ClientId"]


def test_sign_up_confirm_and_recover_a_password(public, pool_id, client_id, mailbox):
    address = mailbox.address("rest")
    signed_up = public.post(
        f"clients/{client_id}/sign-up",
        {
            "Username": "gina",
            "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": address}],
        },
    )
    assert signed_up.status_code == 200, signed_up.text
    body = signed_up.json()
    assert body["UserConfirmed"] is False
    assert body["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert body["UserSub"] == str(db_user(pool_id, "gina").sub)
    mailbox.next_message(address)

    resent = public.post(f"clients/{client_id}/resend-confirmation-code", {"Username": "gina"})
    assert resent.status_code == 200, resent.text
    assert resent.json()["CodeDeliveryDetails"]["AttributeName"] == "email"
    code = mailbox.code_for(address)
    wrong = "000000" if code != "000000" else "111111"
    expect_error(
        public.post(f"clients/{client_id}/confirm-sign-up", {"Username": "gina", "ConfirmationCode": wrong}),
        "CodeMismatchException",
    )
    confirmed = public.post(f"clients/{client_id}/confirm-sign-up", {"Username": "gina", "ConfirmationCode": code})
    assert confirmed.status_code == 204, confirmed.text
    user = db_user(pool_id, "gina")
    assert user.status == User.Status.CONFIRMED and user.attributes["email_verified"] == "true"
    assert AuditEvent.objects.filter(action="user.confirm_sign_up", actor=f"client:{client_id}").exists()

    started = public.post(f"clients/{client_id}/forgot-password", {"Username": "gina"})
    assert started.status_code == 200, started.text
    assert started.json()["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    reset_code = mailbox.code_for(address)
    reset = {"Username": "gina", "ConfirmationCode": reset_code, "Password": "N3w-passw0rd!"}
    finished = public.post(f"clients/{client_id}/confirm-forgot-password", reset)
    assert finished.status_code == 204, finished.text
    assert db_user(pool_id, "gina").check_password("N3w-passw0rd!")


def test_confirm_sign_up_with_a_wrong_code(public, api, pool_id, client_id):
    """The code is not read here, so the test needs no mailbox; an administrator confirms instead."""
    signed_up = public.post(
        f"clients/{client_id}/sign-up",
        {
            "Username": "hal",
            "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": "hal@example.com"}],
        },
    )
    assert signed_up.status_code == 200, signed_up.text
    assert signed_up.json()["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    expect_error(
        public.post(f"clients/{client_id}/confirm-sign-up", {"Username": "hal", "ConfirmationCode": "123456"}),
        "CodeMismatchException",
    )
    assert api.post(f"pools/{pool_id}/users/hal/confirm", None).status_code == 204
    expect_error(
        public.post(f"clients/{client_id}/sign-up", {"Username": "hal", "Password": PASSWORD}),
        "UsernameExistsException",
    )


def test_a_client_with_a_secret_needs_the_secret_hash(public, api, pool_id):
    client = api.post(f"user-pools/{pool_id}/clients/", {"ClientName": "server", "GenerateSecret": True}).json()
    path = f"clients/{client['ClientId']}/sign-up"
    expect_error(public.post(path, {"Username": "ivy", "Password": PASSWORD}), "NotAuthorizedException")
    expect_error(
        public.post(path, {"Username": "ivy", "Password": PASSWORD, "SecretHash": "bm90IGl0"}), "NotAuthorizedException"
    )
    good = secret_hash(client_id=client["ClientId"], client_secret=client["ClientSecret"], username="ivy")
    response = public.post(path, {"Username": "ivy", "Password": PASSWORD, "SecretHash": good})
    assert response.status_code == 200, response.text
    assert db_user(pool_id, "ivy").status == User.Status.UNCONFIRMED


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("sign-up", {"Password": PASSWORD}, "InvalidParameterException"),
        ("sign-up", {"Username": "x", "Password": PASSWORD, "ClientMetadata": "no"}, "InvalidParameterException"),
        ("confirm-sign-up", {"Username": "nobody", "ConfirmationCode": "123456"}, "UserNotFoundException"),
        ("resend-confirmation-code", {"Username": "nobody"}, "UserNotFoundException"),
        ("forgot-password", {"Username": "nobody"}, "UserNotFoundException"),
        ("confirm-forgot-password", {"Username": "x", "ConfirmationCode": "1"}, "InvalidParameterException"),
    ],
    ids=[
        "sign-up-no-username",
        "sign-up-bad-type",
        "confirm-unknown",
        "resend-unknown",
        "forgot-unknown",
        "confirm-forgot-no-password",
    ],
)
def test_self_service_errors(public, client_id, path, body, code):
    expect_error(public.post(f"clients/{client_id}/{path}", body), code)


def test_unknown_client_is_not_found(public):
    expect_error(
        public.post("clients/nosuchclient0000000000000/sign-up", {"Username": "x", "Password": PASSWORD}),
        "ResourceNotFoundException",
    )


# --- Schema -----------------------------------------------------------------------------------


def test_schema_describes_the_directory(live_server):
    schema = requests.get(f"{live_server.url}/api/v1/schema/", params={"format": "json"}, timeout=30).json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/user-pools/{pool_id}/users/",
        "/api/v1/user-pools/{pool_id}/users/{username}/",
        "/api/v1/user-pools/{pool_id}/groups/{group_name}/members/{username}",
        "/api/v1/clients/{client_id}/sign-up",
    } <= paths
    assert not any(p.startswith("/api/v1/pools/") for p in paths)  # the alias is not repeated
    sign_up = schema["paths"]["/api/v1/clients/{client_id}/sign-up"]["post"]
    assert "security" not in sign_up or sign_up["security"] in ([], [{}])
    update = schema["components"]["schemas"]["AdminUpdateUserAttributesInput"]
    assert update["required"] == ["UserAttributes"]

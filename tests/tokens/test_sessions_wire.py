"""ListUserSessions, RevokeUserSession and their Admin forms through boto3 against the live server."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import boto3
import pytest
from botocore.config import Config
from django.utils import timezone

from tests.conftest import REGION
from tests.tokens.conftest import call_error
from userpools.context import SYSTEM, ServiceContext
from userpools.models import RefreshToken
from userpools.services import tokens

SESSION_ID = re.compile(r"^(tkn|sso)[a-z0-9]{25}$")  # SessionIdType
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"


def _sign_in(user, client, *, ip: str = "198.51.100.7", agent: str = PHONE):
    return tokens.tokens_issue(ServiceContext(actor="test", source_ip=ip, user_agent=agent), user=user, client=client)


def _session_of(issued) -> str:
    return RefreshToken.objects.get(token_hash=tokens._hash(issued.refresh_token)).session_id


@pytest.fixture
def two(setup, make_client_model, public_url):
    """(pool_id, user, web, phone): one user signed in twice, through two clients."""
    pool_id, client, user = setup
    other = make_client_model(pool_id, "phone")
    return (
        pool_id,
        user,
        _sign_in(user, client, agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
        _sign_in(user, other),
    )


def test_list(two, public, setup, make_user):
    pool_id, user, web, phone = two
    client = setup[1]
    other_user = make_user(pool_id, "bob", email="bob@example.com")
    _sign_in(other_user, client)  # not alice's
    revoked = _sign_in(user, client)
    tokens.refresh_token_revoke(SYSTEM, client=client, token=revoked.refresh_token)

    answer = public.list_user_sessions(AccessToken=web.access_token)
    assert "NextToken" not in answer
    sessions = answer["Sessions"]
    assert [s["SessionId"] for s in sessions] == [_session_of(web), _session_of(phone)]
    first, second = sessions
    assert all(SESSION_ID.match(s["SessionId"]) and s["SessionType"] == "TOKEN" for s in sessions)
    assert first["ClientId"] == client.client_id and second["ClientId"] != client.client_id
    assert (first["IsCurrentSession"], second["IsCurrentSession"]) == (True, False)
    assert first["DeviceType"] == "Firefox on Linux" and second["DeviceType"] == "Safari on iOS"
    assert first["LastIPAddress"] == second["LastIPAddress"] == "198.51.100.7"
    now = timezone.now()
    for session in sessions:
        assert isinstance(session["CreateDate"], datetime)
        assert abs(session["CreateDate"] - now) < timedelta(minutes=1)
        assert session["LastActiveDate"] == session["CreateDate"]
    # from the other session's point of view
    sessions = public.list_user_sessions(AccessToken=phone.access_token)["Sessions"]
    assert [s["IsCurrentSession"] for s in sessions] == [False, True]


def test_expired_sessions_are_not_listed(two, public, monkeypatch):
    pool_id, user, web, phone = two
    RefreshToken.objects.filter(token_hash=tokens._hash(phone.refresh_token)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert [s["SessionId"] for s in public.list_user_sessions(AccessToken=web.access_token)["Sessions"]] == [
        _session_of(web)
    ]


def test_refresh_and_rotation_update_the_session(make_pool_model, make_client_model, make_user, public, monkeypatch):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 5})
    user = make_user(pool_id)
    issued = _sign_in(user, client)
    later = timezone.now() + timedelta(minutes=5)
    monkeypatch.setattr(tokens.common, "now", lambda: later)
    result = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    # one sign-in, one session, however often it rotates; the new access token is its current one
    [session] = public.list_user_sessions(AccessToken=result["AccessToken"])["Sessions"]
    assert session["SessionId"] == _session_of(issued) and session["IsCurrentSession"] is True
    assert session["LastActiveDate"] - session["CreateDate"] > timedelta(minutes=4)
    assert session["LastIPAddress"] == "127.0.0.1" and "Boto3" in session["DeviceType"]
    # the sign-in's own access token belongs to the same session
    [session] = public.list_user_sessions(AccessToken=issued.access_token)["Sessions"]
    assert session["IsCurrentSession"] is True


def test_pagination(setup, public, monkeypatch):
    pool_id, client, user = setup
    signed_in = [_sign_in(user, client) for _ in range(5)]
    monkeypatch.setattr(tokens.sessions, "SESSIONS_PAGE_SIZE", 2)
    seen, token, pages = [], None, 0
    while True:
        page = public.list_user_sessions(
            AccessToken=signed_in[0].access_token, **({"NextToken": token} if token else {})
        )
        seen += [s["SessionId"] for s in page["Sessions"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3 and seen == [_session_of(s) for s in signed_in]
    assert (
        call_error(public.list_user_sessions, AccessToken=signed_in[0].access_token, NextToken="not-a-token")
        == "InvalidParameterException"
    )


def test_page_size_is_the_model_maximum(setup, idp, public):
    pool_id, client, user = setup
    issued = _sign_in(user, client)
    root = RefreshToken.objects.get(user=user)
    RefreshToken.objects.bulk_create(
        [
            RefreshToken(
                pool_id=pool_id,
                user=user,
                client=client,
                token_hash=f"{i:064x}",
                origin_jti=f"jti-{i}",
                session_id=f"tkn{i:025d}",
                auth_time=root.auth_time,
                expires_at=root.expires_at,
            )
            for i in range(130)
        ]
    )
    page = public.list_user_sessions(AccessToken=issued.access_token)
    assert len(page["Sessions"]) == 125 and page["NextToken"]
    rest = public.list_user_sessions(AccessToken=issued.access_token, NextToken=page["NextToken"])
    assert len(rest["Sessions"]) == 6 and "NextToken" not in rest
    # Cognito lists at most 100 sessions a user, in one page; Cognate has no such cap and pages on.
    page = idp.admin_list_user_sessions(UserPoolId=pool_id, Username="alice")
    assert len(page["Sessions"]) == 125 and page["NextToken"]


def test_revoke(two, public):
    pool_id, user, web, phone = two
    target = _session_of(phone)
    public.revoke_user_session(AccessToken=web.access_token, SessionId=target)
    assert call_error(public.get_user, AccessToken=phone.access_token) == "NotAuthorizedException"
    assert (
        call_error(
            public.get_tokens_from_refresh_token,
            RefreshToken=phone.refresh_token,
            ClientId=RefreshToken.objects.get(session_id=target).client.client_id,
        )
        == "NotAuthorizedException"
    )
    assert [s["SessionId"] for s in public.list_user_sessions(AccessToken=web.access_token)["Sessions"]] == [
        _session_of(web)
    ]
    assert public.get_user(AccessToken=web.access_token)["Username"] == "alice"
    # a revoked session is gone
    assert (
        call_error(public.revoke_user_session, AccessToken=web.access_token, SessionId=target)
        == "ResourceNotFoundException"
    )


def test_revoke_a_rotated_session(make_pool_model, make_client_model, make_user, public):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 30})
    user = make_user(pool_id)
    caller = _sign_in(user, client)
    issued = _sign_in(user, client)
    first = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    retry = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    public.revoke_user_session(
        AccessToken=caller.access_token, SessionId=_session_of(issued), RevokeAssociatedSessions="LINKED"
    )
    for result in (first, retry):
        assert call_error(public.get_user, AccessToken=result["AccessToken"]) == "NotAuthorizedException"
        assert (
            call_error(
                public.get_tokens_from_refresh_token, RefreshToken=result["RefreshToken"], ClientId=client.client_id
            )
            == "NotAuthorizedException"
        )


def test_revoke_refusals(two, public, setup, make_user):
    pool_id, user, web, phone = two
    client = setup[1]
    # the caller's own session: GlobalSignOut or RevokeToken end that one
    assert (
        call_error(public.revoke_user_session, AccessToken=web.access_token, SessionId=_session_of(web))
        == "InvalidParameterException"
    )
    # someone else's session, an unknown one, an SSO-looking one
    bob = _sign_in(make_user(pool_id, "bob", email="bob@example.com"), client)
    for session_id in (_session_of(bob), "tkn" + "0" * 25, "sso" + "a" * 25):
        assert (
            call_error(public.revoke_user_session, AccessToken=web.access_token, SessionId=session_id)
            == "ResourceNotFoundException"
        )
    assert public.get_user(AccessToken=bob.access_token)["Username"] == "bob"
    # an expired one
    RefreshToken.objects.filter(session_id=_session_of(phone)).update(expires_at=timezone.now())
    assert (
        call_error(public.revoke_user_session, AccessToken=web.access_token, SessionId=_session_of(phone))
        == "ResourceNotFoundException"
    )


def test_session_id_is_validated(two, live_server):
    """botocore does not check patterns; the server does (SessionIdType)."""
    raw = boto3.client(
        "cognito-idp",
        endpoint_url=live_server.url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(
            parameter_validation=False, retries={"max_attempts": 1}, signature_version=__import__("botocore").UNSIGNED
        ),
    )
    try:
        for session_id in ("TKN" + "a" * 25, "tkn-" + "a" * 24, "tkn" + "a" * 26):
            assert (
                call_error(raw.revoke_user_session, AccessToken=two[2].access_token, SessionId=session_id)
                == "InvalidParameterException"
            )
    finally:
        raw.close()


@pytest.mark.parametrize("token", ["not-a-jwt", "id-token", "revoked"])
def test_bad_access_tokens(two, public, token):
    pool_id, user, web, phone = two
    if token == "id-token":
        token = web.id_token
    elif token == "revoked":
        tokens.user_global_sign_out(SYSTEM, user=user)
        token = web.access_token
    assert call_error(public.list_user_sessions, AccessToken=token) == "NotAuthorizedException"
    assert (
        call_error(public.revoke_user_session, AccessToken=token, SessionId=_session_of(phone))
        == "NotAuthorizedException"
    )


def test_admin_list(two, idp):
    pool_id, user, web, phone = two
    answer = idp.admin_list_user_sessions(UserPoolId=pool_id, Username="alice")
    assert [s["SessionId"] for s in answer["Sessions"]] == [_session_of(web), _session_of(phone)]
    assert not any(s["IsCurrentSession"] for s in answer["Sessions"]) and "NextToken" not in answer
    assert call_error(idp.admin_list_user_sessions, UserPoolId=pool_id, Username="nobody") == "UserNotFoundException"
    assert (
        call_error(idp.admin_list_user_sessions, UserPoolId="us-east-1_nosuchpool", Username="alice")
        == "ResourceNotFoundException"
    )


def test_admin_revoke(two, idp, public, make_user, setup):
    pool_id, user, web, phone = two
    bob = _sign_in(make_user(pool_id, "bob", email="bob@example.com"), setup[1])
    # the username must be the session's owner
    assert (
        call_error(idp.admin_revoke_user_session, UserPoolId=pool_id, Username="bob", SessionId=_session_of(web))
        == "ResourceNotFoundException"
    )
    assert (
        call_error(idp.admin_revoke_user_session, UserPoolId=pool_id, Username="nobody", SessionId=_session_of(web))
        == "UserNotFoundException"
    )
    assert (
        call_error(
            idp.admin_revoke_user_session,
            UserPoolId="us-east-1_nosuchpool",
            Username="alice",
            SessionId=_session_of(web),
        )
        == "ResourceNotFoundException"
    )
    # an administrator may end any session, the one a token in hand belongs to included
    idp.admin_revoke_user_session(
        UserPoolId=pool_id, Username="alice", SessionId=_session_of(web), RevokeAssociatedSessions="NONE"
    )
    assert call_error(public.get_user, AccessToken=web.access_token) == "NotAuthorizedException"
    assert public.get_user(AccessToken=phone.access_token)["Username"] == "alice"
    assert public.get_user(AccessToken=bob.access_token)["Username"] == "bob"
    assert [s["SessionId"] for s in idp.admin_list_user_sessions(UserPoolId=pool_id, Username="alice")["Sessions"]] == [
        _session_of(phone)
    ]
    assert (
        call_error(idp.admin_revoke_user_session, UserPoolId=pool_id, Username="alice", SessionId=_session_of(web))
        == "ResourceNotFoundException"
    )


def test_sign_in_through_the_wire_is_a_session(make_pool_model, make_client_model, make_user, public):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    make_user(pool_id)
    result = public.initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Passw0rd!"},
    )
    [session] = public.list_user_sessions(AccessToken=result["AuthenticationResult"]["AccessToken"])["Sessions"]
    assert session["IsCurrentSession"] is True and session["ClientId"] == client.client_id
    assert session["LastIPAddress"] == "127.0.0.1" and "Boto3" in session["DeviceType"]


@pytest.mark.django_db
def test_list_queries(setup, client, django_assert_num_queries):
    import json

    pool_id, app, user = setup
    issued = [_sign_in(user, app) for _ in range(3)]
    body = json.dumps({"AccessToken": issued[0].access_token})
    headers = {"HTTP_X_AMZ_TARGET": "AWSCognitoIdentityProviderService.ListUserSessions"}

    def list_sessions():
        response = client.post("/", data=body, content_type="application/x-amz-json-1.1", **headers)
        assert response.status_code == 200, response.content
        return json.loads(response.content)["Sessions"]

    assert len(list_sessions()) == 3  # loads the signing key into the process cache
    # the access token's user and revocation; the sessions with their latest activity and the current one
    with django_assert_num_queries(2):
        assert [s["IsCurrentSession"] for s in list_sessions()] == [True, False, False]

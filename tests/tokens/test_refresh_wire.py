"""GetTokensFromRefreshToken (and REFRESH_TOKEN_AUTH against a rotating client) through boto3
against the live server, and the operation's query count."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from tests.tokens.conftest import call_error
from userpools.context import SYSTEM, ServiceContext
from userpools.models import RefreshToken
from userpools.services import tokens
from userpools.services.clients import client_secret_add

ROTATING = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _at(monkeypatch, seconds: float) -> None:
    """Move the token service's clock ``seconds`` from now (the live server shares the process)."""
    moment = timezone.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(tokens.common, "now", lambda: moment)


@pytest.fixture
def rotating(make_pool_model, make_client_model, make_user, public_url):
    """(pool_id, client, user, TokenSet) with rotation on, a 10 s grace period."""
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, RefreshTokenRotation=ROTATING)
    user = make_user(pool_id)
    return pool_id, client, user, tokens.tokens_issue(SYSTEM, user=user, client=client)


def test_without_rotation(setup, public):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    result = public.get_tokens_from_refresh_token(
        RefreshToken=issued.refresh_token,
        ClientId=client.client_id,
        DeviceKey="us-east-1_0123abcd-0000-4000-8000-0123456789ab",
        ClientMetadata={"k": "v"},
    )["AuthenticationResult"]
    assert "RefreshToken" not in result and result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600
    assert _claims(result["AccessToken"])["origin_jti"] == _claims(issued.access_token)["origin_jti"]
    assert _claims(result["IdToken"])["aud"] == client.client_id
    assert public.get_user(AccessToken=result["AccessToken"])["Username"] == "alice"
    # the refresh token keeps working
    public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)


def test_rotation_replaces_the_refresh_token(rotating, public, monkeypatch):
    pool_id, client, user, issued = rotating
    first = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    assert first["RefreshToken"] != issued.refresh_token
    assert _claims(first["AccessToken"])["origin_jti"] != _claims(issued.access_token)["origin_jti"]
    assert public.get_user(AccessToken=first["AccessToken"])["Username"] == "alice"
    # a retry within the grace period gets tokens of its own, in the same session
    _at(monkeypatch, 9)
    retry = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    assert retry["RefreshToken"] not in (issued.refresh_token, first["RefreshToken"])
    assert RefreshToken.objects.filter(user=user).values("session_id").distinct().count() == 1
    # the replacement rotates in turn
    second = public.get_tokens_from_refresh_token(RefreshToken=first["RefreshToken"], ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    # after the grace period the original is reuse: the whole session is revoked
    _at(monkeypatch, 11)
    assert (
        call_error(public.get_tokens_from_refresh_token, RefreshToken=issued.refresh_token, ClientId=client.client_id)
        == "RefreshTokenReuseException"
    )
    for token in (second["RefreshToken"], retry["RefreshToken"]):
        assert (
            call_error(public.get_tokens_from_refresh_token, RefreshToken=token, ClientId=client.client_id)
            == "NotAuthorizedException"
        )
    for access in (first["AccessToken"], second["AccessToken"], issued.access_token):
        assert call_error(public.get_user, AccessToken=access) == "NotAuthorizedException"


def test_rotation_without_grace_period(make_pool_model, make_client_model, make_user, public):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, RefreshTokenRotation={"Feature": "ENABLED"})  # RetryGracePeriodSeconds 0
    issued = tokens.tokens_issue(SYSTEM, user=make_user(pool_id), client=client)
    new = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    assert (
        call_error(public.get_tokens_from_refresh_token, RefreshToken=issued.refresh_token, ClientId=client.client_id)
        == "RefreshTokenReuseException"
    )
    assert (
        call_error(public.get_tokens_from_refresh_token, RefreshToken=new["RefreshToken"], ClientId=client.client_id)
        == "NotAuthorizedException"
    )


def test_rotation_keeps_the_session_expiry(rotating, public, monkeypatch):
    pool_id, client, user, issued = rotating
    _at(monkeypatch, 29 * 86400)
    new = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)[
        "AuthenticationResult"
    ]
    _at(monkeypatch, 30 * 86400 + 1)
    assert (
        call_error(public.get_tokens_from_refresh_token, RefreshToken=new["RefreshToken"], ClientId=client.client_id)
        == "NotAuthorizedException"
    )


def test_refresh_token_auth_refused_on_a_rotating_client(rotating, public):
    """Developer Guide, "Refresh tokens": REFRESH_TOKEN_AUTH isn't compatible with refresh
    token rotation; rotation is completed with GetTokensFromRefreshToken. Cognate refuses the
    flow on a rotating client even if ALLOW_REFRESH_TOKEN_AUTH is still listed, before the
    token is looked at: it keeps working with GetTokensFromRefreshToken."""
    pool_id, client, user, issued = rotating
    assert "ALLOW_REFRESH_TOKEN_AUTH" in client.settings["ExplicitAuthFlows"]
    assert (
        call_error(
            public.initiate_auth,
            ClientId=client.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": issued.refresh_token},
        )
        == "InvalidParameterException"
    )
    result = public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)
    assert result["AuthenticationResult"]["RefreshToken"]


def test_flows(make_pool_model, make_client_model, make_user, public):
    pool_id = make_pool_model().id
    user = make_user(pool_id)
    # Without rotation the client must allow ALLOW_REFRESH_TOKEN_AUTH (as InitiateAuth's flow does) ...
    closed = make_client_model(pool_id, "closed", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    issued = tokens.tokens_issue(SYSTEM, user=user, client=closed)
    assert (
        call_error(public.get_tokens_from_refresh_token, RefreshToken=issued.refresh_token, ClientId=closed.client_id)
        == "InvalidParameterException"
    )
    # ... a legacy flow list allows refreshing, as it does for InitiateAuth ...
    legacy = make_client_model(pool_id, "legacy", ExplicitAuthFlows=["USER_PASSWORD_AUTH"])
    issued = tokens.tokens_issue(SYSTEM, user=user, client=legacy)
    public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=legacy.client_id)
    # ... and a rotating client, which Cognito wants without ALLOW_REFRESH_TOKEN_AUTH, always may.
    rotating = make_client_model(
        pool_id, "rotating", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"], RefreshTokenRotation=ROTATING
    )
    issued = tokens.tokens_issue(SYSTEM, user=user, client=rotating)
    public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=rotating.client_id)


@pytest.mark.parametrize("case", ["unknown", "other client", "expired", "revoked", "disabled", "id token"])
def test_refused_tokens(setup, make_client_model, public, monkeypatch, case):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    token, client_id = issued.refresh_token, client.client_id
    if case == "unknown":
        token = "x" * 96
    elif case == "other client":
        client_id = make_client_model(pool_id, "other").client_id
    elif case == "expired":
        _at(monkeypatch, 30 * 86400 + 1)
    elif case == "revoked":
        tokens.refresh_token_revoke(SYSTEM, client=client, token=token)
    elif case == "disabled":
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:
        token = issued.id_token
    assert (
        call_error(public.get_tokens_from_refresh_token, RefreshToken=token, ClientId=client_id)
        == "NotAuthorizedException"
    )


def test_unknown_client(setup, public):
    issued = tokens.tokens_issue(SYSTEM, user=setup[2], client=setup[1])
    assert (
        call_error(
            public.get_tokens_from_refresh_token,
            RefreshToken=issued.refresh_token,
            ClientId="nosuchclient0000000000000a",
        )
        == "ResourceNotFoundException"
    )


def test_client_secret(make_pool_model, make_client_model, make_user, public):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, GenerateSecret=True)
    issued = tokens.tokens_issue(SYSTEM, user=make_user(pool_id), client=client)
    first = client.secrets.get().secret

    request = {"RefreshToken": issued.refresh_token, "ClientId": client.client_id}
    for secret in ({}, {"ClientSecret": "w" * len(first)}):
        assert call_error(public.get_tokens_from_refresh_token, **request, **secret) == "NotAuthorizedException"
    # The secret itself, not a SECRET_HASH; during secret rotation either secret works.
    second = client_secret_add(SYSTEM, pool_id=pool_id, client_id=client.client_id).secret
    for secret in (first, second):
        result = public.get_tokens_from_refresh_token(**request, ClientSecret=secret)
        assert result["AuthenticationResult"]["AccessToken"]


def test_a_secret_for_a_client_without_one_is_ignored(setup, public):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    result = public.get_tokens_from_refresh_token(
        RefreshToken=issued.refresh_token, ClientId=client.client_id, ClientSecret="s" * 40
    )["AuthenticationResult"]
    access, identity = _claims(result["AccessToken"]), _claims(result["IdToken"])
    assert (access["client_id"], access["username"], access["token_use"]) == (client.client_id, user.username, "access")
    assert identity["aud"] == client.client_id and identity["sub"] == str(user.sub)
    assert access["origin_jti"] == _claims(issued.access_token)["origin_jti"]  # the same session, refreshed


def test_refresh_records_the_caller(setup, public):
    pool_id, client, user = setup
    ctx = ServiceContext(actor="test", source_ip="203.0.113.9", user_agent="curl/8.0")
    issued = tokens.tokens_issue(ctx, user=user, client=client)
    record = RefreshToken.objects.get(user=user)
    assert (record.last_ip, record.device_type, record.last_used_at) == ("203.0.113.9", "curl", None)
    public.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)
    record.refresh_from_db()
    assert record.last_ip == "127.0.0.1" and "Boto3" in record.device_type and record.last_used_at


@pytest.mark.django_db
@pytest.mark.parametrize("rotation", [False, True])
def test_queries(make_pool_model, make_client_model, make_user, client, django_assert_num_queries, rotation):
    pool_id = make_pool_model().id
    app = make_client_model(pool_id, **({"RefreshTokenRotation": ROTATING} if rotation else {}))
    user = make_user(pool_id)
    headers = {"HTTP_X_AMZ_TARGET": "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken"}
    token = tokens.tokens_issue(SYSTEM, user=user, client=app).refresh_token

    def refresh():
        nonlocal token
        body = json.dumps({"RefreshToken": token, "ClientId": app.client_id})
        response = client.post("/", data=body, content_type="application/x-amz-json-1.1", **headers)
        assert response.status_code == 200, response.content
        token = json.loads(response.content)["AuthenticationResult"].get("RefreshToken", token)

    refresh()  # loads the signing key into the process cache
    # the client; its secrets; savepoint; the token with its user, locked with its session's
    # root; [the replacement; the replaced token's rotation] or [its last use]; release; groups
    with django_assert_num_queries(8 if rotation else 7):
        refresh()
    # constant: a longer rotation chain costs nothing more
    for _ in range(3):
        refresh()
    with django_assert_num_queries(8 if rotation else 7):
        refresh()

"""The token service: claims, refresh, rotation, revocation, keys (service level)."""

from __future__ import annotations

import io
from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from userpools.context import SYSTEM
from userpools.errors import ErrorCode, ServiceError
from userpools.models import RefreshToken, SigningKey
from userpools.services import groups, tokens, users

pytestmark = pytest.mark.django_db


def _claims(token: str, pool_id: str, **options) -> dict:
    header = jwt.get_unverified_header(token)
    key = next(k for k in tokens.jwks(pool_id)["keys"] if k["kid"] == header["kid"])
    public = jwt.PyJWK(key).key
    return jwt.decode(token, public, algorithms=["RS256"], issuer=tokens.issuer(pool_id), **options)


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.code.value


def test_issue_claims(setup):
    pool_id, client, user = setup
    for name, precedence, role in [
        ("b", 5, "arn:aws:iam::1:role/b"),
        ("a", 1, "arn:aws:iam::1:role/a"),
        ("c", None, ""),
    ]:
        groups.group_create(SYSTEM, pool_id=pool_id, name=name, precedence=precedence, role_arn=role or None)
        groups.group_member_add(SYSTEM, pool_id=pool_id, group_name=name, username=user.username)
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    result = issued.authentication_result()
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600 and len(result["RefreshToken"]) >= 64

    id_claims = _claims(issued.id_token, pool_id, audience=client.client_id)
    assert id_claims["token_use"] == "id" and id_claims["sub"] == str(user.sub)
    assert id_claims["cognito:username"] == "alice" and id_claims["email"] == "alice@example.com"
    assert id_claims["email_verified"] is True
    assert id_claims["cognito:groups"] == ["a", "b", "c"]
    assert id_claims["cognito:preferred_role"] == "arn:aws:iam::1:role/a"
    assert id_claims["cognito:roles"] == ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]
    assert id_claims["exp"] - id_claims["iat"] == 3600

    access = _claims(issued.access_token, pool_id)
    assert access["token_use"] == "access" and access["client_id"] == client.client_id
    assert access["scope"] == "aws.cognito.signin.user.admin" and access["username"] == "alice"
    assert "aud" not in access
    assert access["origin_jti"] == id_claims["origin_jti"] and access["jti"] != id_claims["jti"]
    assert access["event_id"] == id_claims["event_id"]
    stored = RefreshToken.objects.get(origin_jti=access["origin_jti"])
    assert stored.token_hash != issued.refresh_token and len(stored.token_hash) == 64
    with connection.cursor() as cursor:  # the private key is encrypted at rest
        cursor.execute("SELECT private_key_pem FROM userpools_signingkey WHERE pool_id = %s", [pool_id])
        assert "PRIVATE KEY" not in cursor.fetchone()[0]


def test_read_attributes_limit_id_token(make_pool_model, make_client_model, make_user):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, ReadAttributes=["email"])
    user = make_user(pool_id, name="Alice")
    claims = _claims(tokens.tokens_issue(SYSTEM, user=user, client=client).id_token, pool_id, audience=client.client_id)
    assert claims["email"] == "alice@example.com" and "name" not in claims


def test_access_token_authenticate(setup):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    found, claims = tokens.access_token_authenticate(issued.access_token)
    assert found.pk == user.pk and claims["client_id"] == client.client_id
    with pytest.raises(ServiceError) as exc:  # an ID token is not an access token
        tokens.access_token_authenticate(issued.id_token)
    assert _code(exc) == ErrorCode.NOT_AUTHORIZED


def test_expired_access_token(setup, monkeypatch):
    pool_id, client, user = setup
    past = timezone.now() - timedelta(hours=2)
    monkeypatch.setattr(tokens.common, "now", lambda: past)
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    monkeypatch.undo()
    with pytest.raises(ServiceError) as exc:
        tokens.access_token_authenticate(issued.access_token)
    assert exc.value.message == tokens.EXPIRED_ACCESS


def test_refresh_and_revoke(setup):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    refreshed = tokens.tokens_refresh(SYSTEM, client=client, refresh_token=issued.refresh_token)
    assert refreshed.refresh_token is None
    assert _claims(refreshed.access_token, pool_id)["origin_jti"] == _claims(issued.access_token, pool_id)["origin_jti"]

    tokens.refresh_token_revoke(SYSTEM, client=client, token=issued.refresh_token)
    for token in (issued.access_token, refreshed.access_token):
        with pytest.raises(ServiceError) as exc:
            tokens.access_token_authenticate(token)
        assert exc.value.message == tokens.REVOKED_ACCESS
    with pytest.raises(ServiceError) as exc:
        tokens.tokens_refresh(SYSTEM, client=client, refresh_token=issued.refresh_token)
    assert _code(exc) == ErrorCode.NOT_AUTHORIZED


@pytest.mark.parametrize("case", ["unknown", "other client", "expired"])
def test_invalid_refresh_token(setup, make_client_model, monkeypatch, case):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    token, using = issued.refresh_token, client
    if case == "unknown":
        token = "x" * 96
    elif case == "other client":
        using = make_client_model(pool_id, "other")
    else:
        later = timezone.now() + timedelta(days=31)
        monkeypatch.setattr(tokens.common, "now", lambda: later)
    with pytest.raises(ServiceError) as exc:
        tokens.tokens_refresh(SYSTEM, client=using, refresh_token=token)
    assert _code(exc) == ErrorCode.NOT_AUTHORIZED and exc.value.message == tokens.INVALID_REFRESH


def test_refresh_disabled_user(setup):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(ServiceError) as exc:
        tokens.tokens_refresh(SYSTEM, client=client, refresh_token=issued.refresh_token)
    assert exc.value.message == tokens.DISABLED
    with pytest.raises(ServiceError) as exc:
        tokens.access_token_authenticate(issued.access_token)
    assert exc.value.message == tokens.DISABLED


def test_rotation_and_reuse(make_pool_model, make_client_model, make_user, monkeypatch):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10})
    user = make_user(pool_id)

    def refresh(token: str):
        return tokens.tokens_refresh(SYSTEM, client=client, refresh_token=token, via="GetTokensFromRefreshToken")

    first = tokens.tokens_issue(SYSTEM, user=user, client=client)
    second = refresh(first.refresh_token)
    assert second.refresh_token and second.refresh_token != first.refresh_token
    # within the grace period the old one still works (a client retrying)
    retry = refresh(first.refresh_token)
    assert retry.refresh_token
    later = timezone.now() + timedelta(seconds=11)
    monkeypatch.setattr(tokens.common, "now", lambda: later)
    third = refresh(retry.refresh_token)
    with pytest.raises(ServiceError) as exc:
        refresh(first.refresh_token)
    assert _code(exc) == ErrorCode.REFRESH_TOKEN_REUSE
    # reuse revokes the whole session, the grace retry's branch included
    for token in (second, third):
        with pytest.raises(ServiceError) as exc:
            refresh(token.refresh_token)
        assert exc.value.message == tokens.REVOKED_REFRESH
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    assert RefreshToken.objects.filter(user=user).values("session_id").distinct().count() == 1


def test_global_sign_out(setup):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    tokens.user_global_sign_out(SYSTEM, user=user)
    with pytest.raises(ServiceError) as exc:
        tokens.access_token_authenticate(issued.access_token)
    assert exc.value.message == tokens.REVOKED_ACCESS
    with pytest.raises(ServiceError):
        tokens.tokens_refresh(SYSTEM, client=client, refresh_token=issued.refresh_token)
    # signing in again works at once
    again = tokens.tokens_issue(SYSTEM, user=users.user_get(pool_id, "alice"), client=client)
    assert tokens.access_token_authenticate(again.access_token)[0].pk == user.pk


def test_revoke_rules(setup, make_client_model):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    with pytest.raises(ServiceError) as exc:
        tokens.refresh_token_revoke(SYSTEM, client=client, token=issued.access_token)
    assert _code(exc) == ErrorCode.UNSUPPORTED_TOKEN_TYPE
    with pytest.raises(ServiceError) as exc:
        tokens.refresh_token_revoke(SYSTEM, client=make_client_model(pool_id, "other"), token=issued.refresh_token)
    assert _code(exc) == ErrorCode.UNAUTHORIZED
    no_revocation = make_client_model(pool_id, "closed", EnableTokenRevocation=False)
    with pytest.raises(ServiceError) as exc:
        tokens.refresh_token_revoke(SYSTEM, client=no_revocation, token=issued.refresh_token)
    assert _code(exc) == ErrorCode.UNSUPPORTED_OPERATION
    tokens.refresh_token_revoke(SYSTEM, client=client, token="unknown-token")  # RFC 7009 §2.2


def test_rotate_signing_keys(setup):
    pool_id, client, user = setup
    old = tokens.tokens_issue(SYSTEM, user=user, client=client)
    old_kid = jwt.get_unverified_header(old.access_token)["kid"]
    call_command("rotate_signing_keys", "--pool", pool_id, stdout=io.StringIO())
    new = tokens.tokens_issue(SYSTEM, user=user, client=client)
    new_kid = jwt.get_unverified_header(new.access_token)["kid"]
    assert new_kid != old_kid
    assert {k["kid"] for k in tokens.jwks(pool_id)["keys"]} == {old_kid, new_kid}
    assert tokens.access_token_authenticate(old.access_token)[0].pk == user.pk
    assert tokens.access_token_authenticate(new.access_token)[0].pk == user.pk
    # a day later the retired key leaves the JWKS
    SigningKey.objects.filter(kid=old_kid).update(retired_at=timezone.now() - timedelta(days=1, seconds=1))
    tokens.keys_cache_clear()
    assert [k["kid"] for k in tokens.jwks(pool_id)["keys"]] == [new_kid]


def test_rotate_all_pools(make_pool_model):
    pools = [make_pool_model("a").id, make_pool_model("b").id]
    call_command("rotate_signing_keys", stdout=io.StringIO())
    for pool_id in pools:
        assert SigningKey.objects.filter(pool_id=pool_id, purpose="jwt", retired_at__isnull=True).count() == 1
